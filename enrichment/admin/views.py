"""The curator pages beside the model admins: the dashboard and the review queue."""

from __future__ import annotations

from typing import Any

from django.contrib.admin import ModelAdmin
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.template.response import TemplateResponse

from enrichment import track_metadata
from enrichment.admin import dashboard
from enrichment.admin.filters import StatusFilter
from enrichment.admin.links import PROVIDER_FIELDS
from enrichment.admin.permissions import VIEW, can_review, require
from enrichment.admin.review_cards import COMPONENTS, minutes, review_cards
from enrichment.models import EnrichmentStatus, Track

REVIEWS_PER_PAGE = 20


def page_context(model_admin: ModelAdmin[Any], request: HttpRequest, title: str) -> dict[str, Any]:
    """What every admin page needs (site header, sidebar, permissions)."""
    return {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.opts,
        "can_review": can_review(request),
    }


def dashboard_view(request: HttpRequest, *, model_admin: ModelAdmin[Any]) -> TemplateResponse:
    """Coverage, statuses, queue, sources, cache and review backlog on one page."""
    require(request, VIEW)
    total, coverage, awaiting_review, octave_flags = dashboard.field_coverage()
    statuses = dashboard.status_counts()
    context = {
        **page_context(model_admin, request, "Enrichment dashboard"),
        "total": total,
        "coverage": coverage,
        "statuses": [
            (value, label, statuses[value])
            for value, (label, _) in StatusFilter.options.items()
            if value != "none"
        ],
        "without_status": max(0, total - sum(statuses[s.value] for s in EnrichmentStatus.Status)),
        "stuck": statuses["stuck"],
        "awaiting_review": awaiting_review,
        "octave_flags": octave_flags,
        "queue": dashboard.queue_depth(),
        "sources": dashboard.source_health(),
        "cache": dashboard.cache_stats(),
        "failures": dashboard.recent_failures(),
    }
    return TemplateResponse(request, "admin/enrichment/dashboard.html", context)


def review_queue_view(request: HttpRequest, *, model_admin: ModelAdmin[Any]) -> TemplateResponse:
    """Tracks with uncertain matches, each provider's candidates side by side."""
    require(request, VIEW)
    provider = request.GET.get("provider", "")
    tracks = Track.objects.filter(track_metadata.awaiting_review())
    if provider in PROVIDER_FIELDS:
        tracks = tracks.filter(track_metadata.awaiting_review(provider))
    tracks = tracks.select_related("enrichment_status").order_by("artist_name", "title", "pk")
    page = Paginator(tracks, REVIEWS_PER_PAGE).get_page(request.GET.get("p"))
    context = {
        **page_context(model_admin, request, "Review queue"),
        "page": page,
        "entries": [(track, minutes(track.duration_ms), review_cards(track)) for track in page],
        "components": COMPONENTS,
        "provider": provider,
        "providers": list(PROVIDER_FIELDS),
    }
    return TemplateResponse(request, "admin/enrichment/review_queue.html", context)
