"""Read-only admins for machine state: enrichment statuses and circuit breakers."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from enrichment.admin.curation import queue_enrichment, reset_retries
from enrichment.admin.filters import StatusOnlyFilter, StatusTroubleFilter
from enrichment.admin.paginator import EstimatedCountPaginator
from enrichment.admin.permissions import ENRICH
from enrichment.admin.track_panels import outcome_rows
from enrichment.models import CircuitBreakerState, EnrichmentStatus, Track


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by whoever may view; never added, edited or deleted by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _tracks(queryset: QuerySet[EnrichmentStatus]) -> QuerySet[Track]:
    return Track.objects.filter(pk__in=queryset.order_by().values("track_id"))


@admin.action(description="Re-enrich these tracks", permissions=["enrich"])
def re_enrich(model_admin: Any, request: HttpRequest, queryset: QuerySet[EnrichmentStatus]) -> None:
    report = queue_enrichment(_tracks(queryset))
    model_admin.message_user(request, report.message(), messages.SUCCESS)


@admin.action(description="Reset retries (failed tracks become pending)", permissions=["enrich"])
def reset(model_admin: Any, request: HttpRequest, queryset: QuerySet[EnrichmentStatus]) -> None:
    report = reset_retries(_tracks(queryset))
    done = f"Reset retries of {report.changed} track(s)."
    model_admin.message_user(request, report.message(done), messages.SUCCESS)


@admin.register(EnrichmentStatus)
class EnrichmentStatusAdmin(ReadOnlyAdmin):
    list_display = (
        "track_link",
        "status",
        "retry_count",
        "sources_enriched",
        "last_attempt",
        "outcomes",
        "short_error",
    )
    list_filter = (StatusOnlyFilter, StatusTroubleFilter)
    list_select_related = ("track",)
    list_per_page = 100
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-option counts would scan the table per filter
    paginator = EstimatedCountPaginator
    ordering = ("-last_attempt",)
    actions = (re_enrich, reset)
    readonly_fields = (
        "track_link",
        "status",
        "retry_count",
        "sources_enriched",
        "last_attempt",
        "claimed_at",
        "error_message",
        "outcomes",
        "updated_at",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[EnrichmentStatus]:
        return super().get_queryset(request).defer("track__metadata")

    def has_enrich_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ENRICH)

    @admin.display(description="track", ordering="track__artist_name")
    def track_link(self, status: EnrichmentStatus) -> str:
        url = reverse("admin:enrichment_track_change", args=[status.track_id])
        return format_html('<a href="{}">{}</a>', url, status.track)

    @admin.display(description="per source")
    def outcomes(self, status: EnrichmentStatus) -> str:
        rows = (
            (row.grade, row.detail or row.outcome, row.provider, row.outcome)
            for row in outcome_rows(status)
        )
        chips = format_html_join(
            " ", '<span class="sn-outcome sn-{}" title="{}">{}: {}</span>', rows
        )
        return chips or "—"

    @admin.display(description="error")
    def short_error(self, status: EnrichmentStatus) -> str:
        error = status.error_message or ""
        return error if len(error) <= 120 else error[:119] + "…"


@admin.register(CircuitBreakerState)
class CircuitBreakerStateAdmin(ReadOnlyAdmin):
    list_display = (
        "api",
        "state_badge",
        "failure_count",
        "success_count",
        "opened_at",
        "updated_at",
    )

    @admin.display(description="state", ordering="state")
    def state_badge(self, breaker: CircuitBreakerState) -> str:
        return format_html(
            '<span class="sn-badge sn-breaker-{}">{}</span>', breaker.state, breaker.state
        )
