"""The API cache admin: browse cached responses by source, purge the expired ones."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from enrichment.admin.filters import ChoiceFilter
from enrichment.admin.paginator import EstimatedCountPaginator
from enrichment.admin.permissions import PURGE_CACHE, require
from enrichment.admin.status_admin import ReadOnlyAdmin
from enrichment.models import ApiCache
from enrichment.sources.cache import purge_expired
from enrichment.sources.registry import APIS


class CacheSourceFilter(ChoiceFilter):
    title = "source"
    parameter_name = "source"
    options = {api.name: (api.name, Q(api_source=api.name)) for api in APIS}


class ExpiredFilter(admin.SimpleListFilter):
    title = "expired"
    parameter_name = "expired"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "expired"), ("no", "fresh")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(expires_at__lte=now)
        if self.value() == "no":
            return queryset.filter(expires_at__gt=now)
        return queryset


class StatusCodeFilter(ChoiceFilter):
    title = "HTTP status"
    parameter_name = "code"
    options = {
        "ok": ("2xx", Q(status_code__gte=200, status_code__lt=300)),
        "404": ("404 (not found)", Q(status_code=404)),
        "other": ("other", ~Q(status_code__gte=200, status_code__lt=300) & ~Q(status_code=404)),
    }


@require_POST
def purge_view(request: HttpRequest) -> HttpResponseRedirect:
    """Delete every expired cache row."""
    require(request, PURGE_CACHE)
    deleted = purge_expired()
    messages.success(
        request, f"Purged {deleted} expired cache entr{'y' if deleted == 1 else 'ies'}."
    )
    return HttpResponseRedirect(reverse("admin:enrichment_apicache_changelist"))


@admin.register(ApiCache)
class ApiCacheAdmin(ReadOnlyAdmin):
    list_display = (
        "api_source",
        "endpoint",
        "params",
        "status_code",
        "hit_count",
        "created_at",
        "expires_at",
        "fresh",
    )
    list_filter = (CacheSourceFilter, ExpiredFilter, StatusCodeFilter)
    search_fields = ("endpoint", "=cache_key")
    list_per_page = 100
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-option counts would scan the table per filter
    paginator = EstimatedCountPaginator
    ordering = ("-created_at",)
    fields = (
        "api_source",
        "endpoint",
        "params",
        "status_code",
        "hit_count",
        "created_at",
        "expires_at",
        "last_accessed",
        "cache_key",
        "response",
    )
    readonly_fields = fields
    change_list_template = "admin/enrichment/apicache/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiCache]:
        queryset = super().get_queryset(request)
        match = request.resolver_match
        listing = match is not None and match.url_name == "enrichment_apicache_changelist"
        return queryset.defer("response_data") if listing else queryset

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(PURGE_CACHE)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        extra_context = {**(extra_context or {}), "can_purge": request.user.has_perm(PURGE_CACHE)}
        return super().changelist_view(request, extra_context)

    def get_urls(self) -> list[URLPattern]:
        purge = self.admin_site.admin_view(purge_view)
        return [
            path("purge-expired/", purge, name="enrichment_apicache_purge"),
            *super().get_urls(),
        ]

    @admin.display(description="params")
    def params(self, entry: ApiCache) -> str:
        return ", ".join(f"{key}={value}" for key, value in sorted(entry.request_params.items()))

    @admin.display(description="fresh", boolean=True)
    def fresh(self, entry: ApiCache) -> bool:
        return entry.expires_at > timezone.now()

    @admin.display(description="response")
    def response(self, entry: ApiCache) -> str:
        text = json.dumps(entry.response_data, indent=2, sort_keys=True, default=str)
        if len(text) > 20_000:
            text = text[:20_000] + "\n…"
        return format_html('<pre class="sn-json">{}</pre>', text)
