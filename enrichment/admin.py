"""Admin for curators (grown into the full curator tool by the admin module's issue)."""

from __future__ import annotations

from django.contrib import admin

from enrichment.models import ApiCache, CircuitBreakerState, EnrichmentStatus, Track


class EnrichmentStatusInline(admin.StackedInline):
    model = EnrichmentStatus
    can_delete = False
    readonly_fields = (
        "status",
        "sources_enriched",
        "last_attempt",
        "retry_count",
        "error_message",
        "source_outcomes",
        "claimed_at",
    )


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = (
        "artist_name",
        "title",
        "enrichment_state",
        "camelot_key",
        "bpm",
        "isrc",
        "spotify_id",
    )
    list_select_related = ("enrichment_status",)
    list_filter = ("enrichment_status__status",)
    search_fields = ("artist_name", "title", "=isrc", "=spotify_id")
    readonly_fields = ("id", "created_at", "updated_at")
    inlines = (EnrichmentStatusInline,)
    show_full_result_count = False

    @admin.display(description="status", ordering="enrichment_status__status")
    def enrichment_state(self, track: Track) -> str:
        status = getattr(track, "enrichment_status", None)
        return status.status if status else "—"


@admin.register(EnrichmentStatus)
class EnrichmentStatusAdmin(admin.ModelAdmin):
    list_display = ("track", "status", "sources_enriched", "retry_count", "last_attempt")
    list_filter = ("status",)
    list_select_related = ("track",)
    raw_id_fields = ("track",)
    show_full_result_count = False


@admin.register(ApiCache)
class ApiCacheAdmin(admin.ModelAdmin):
    list_display = ("api_source", "endpoint", "status_code", "hit_count", "expires_at")
    list_filter = ("api_source", "status_code")
    search_fields = ("endpoint",)
    show_full_result_count = False


@admin.register(CircuitBreakerState)
class CircuitBreakerStateAdmin(admin.ModelAdmin):
    list_display = ("api", "state", "failure_count", "success_count", "opened_at")
