"""The track admin: the list curators work from, the track page, and its extra URLs."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from django.contrib import admin
from django.db.models import BooleanField, ExpressionWrapper, QuerySet
from django.http import HttpRequest
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from enrichment import track_metadata
from enrichment.admin import dj_library, track_actions, track_views, views
from enrichment.admin.filters import TRACK_FILTERS
from enrichment.admin.forms import TrackForm
from enrichment.admin.links import UPSTREAM_PAGES, identifier_links
from enrichment.admin.paginator import EstimatedCountPaginator
from enrichment.admin.permissions import ENRICH, can_enrich, can_review
from enrichment.admin.search import identifier_query, search_tracks
from enrichment.admin.track_panels import track_panels
from enrichment.camelot import harmonic_key
from enrichment.fields import UNIT_FEATURES
from enrichment.models import LOCKABLE_FIELDS, Track

CURATOR_SOURCE = track_metadata.CURATOR


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    form = TrackForm
    list_display = (
        "artist_name",
        "title",
        "status_badge",
        "camelot",
        "bpm_display",
        "identifiers",
        "sources_display",
        "flags",
    )
    list_display_links = ("artist_name", "title")
    list_select_related = ("enrichment_status",)
    list_filter = TRACK_FILTERS
    list_per_page = 100
    search_fields = ("artist_name", "title")
    search_help_text = (
        "Words of artist or title (prefixes), “Artist - Title”, ISRC, any id or link."
    )
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-option counts would scan the table per filter
    empty_value_display = "—"
    paginator = EstimatedCountPaginator
    actions = track_actions.TRACK_ACTIONS
    readonly_fields = ("id", "external_id", "created_at", "updated_at", "metadata_json")
    fieldsets = (
        (None, {"fields": ("artist_name", "title", "locked_fields")}),
        (
            "Identifiers",
            {"fields": tuple(UPSTREAM_PAGES)},  # every provider's id column, and the ISRC
        ),
        (
            "Tempo and key",
            {
                "fields": (
                    "bpm",
                    ("key_pitch_class", "key_mode"),
                    ("key", "camelot_key", "open_key"),
                    "time_signature",
                )
            },
        ),
        ("Audio features", {"classes": ("collapse",), "fields": (*UNIT_FEATURES, "loudness")}),
        (
            "Release",
            {
                "fields": (
                    "duration_ms",
                    ("label", "catalog_number"),
                    ("release_date", "release_date_precision"),
                    "release_country",
                    ("genre", "genres"),
                )
            },
        ),
        (
            "Popularity",
            {
                "classes": ("collapse",),
                "fields": ("spotify_popularity", "lastfm_playcount", "lastfm_listeners"),
            },
        ),
        (
            "Record",
            {
                "classes": ("collapse",),
                "fields": ("id", "external_id", "created_at", "updated_at", "metadata_json"),
            },
        ),
    )
    change_form_template = "admin/enrichment/track/change_form.html"
    change_list_template = "admin/enrichment/track/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Track]:
        """With the status row; list rows read two keys of metadata, not the whole document."""
        queryset = super().get_queryset(request).select_related("enrichment_status")
        match = request.resolver_match
        if match is None or match.url_name != "enrichment_track_changelist":
            return queryset
        return queryset.defer("metadata", "enrichment_status__source_outcomes").annotate(
            sources_used=track_metadata.sources_used(),
            needs_review=ExpressionWrapper(track_metadata.awaiting_review(), BooleanField()),
            has_notes=ExpressionWrapper(track_metadata.has_note(), BooleanField()),
            octave_flagged=ExpressionWrapper(track_metadata.octave_flagged(), BooleanField()),
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Track], search_term: str
    ) -> tuple[QuerySet[Track], bool]:
        """Identifiers and links match exactly; otherwise words match by prefix (indexed)."""
        exact = identifier_query(search_term)
        if exact is not None:
            return queryset.filter(exact), False
        found = search_tracks(queryset, search_term)
        if found is None:
            return super().get_search_results(request, queryset, search_term)
        return found, False

    def has_enrich_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ENRICH)

    # --- list columns -----------------------------------------------------------------
    @admin.display(description="status", ordering="enrichment_status__status")
    def status_badge(self, track: Track) -> str:
        status = getattr(track, "enrichment_status", None)
        if status is None:
            return format_html('<span class="sn-badge sn-none">{}</span>', "no status")
        retries = f", {status.retry_count} retries" if status.retry_count else ""
        return format_html(
            '<span class="sn-badge sn-{}" title="{}">{}{}</span>',
            status.status,
            (status.error_message or "")[:300],
            status.get_status_display(),
            retries,
        )

    @admin.display(description="Camelot", ordering="camelot_key")
    def camelot(self, track: Track) -> str:
        if not track.camelot_key:
            return "—"
        hint = f"{track.key} · Open Key {track.open_key}"
        return format_html('<span title="{}">{}</span>', hint, track.camelot_key)

    @admin.display(description="BPM", ordering="bpm")
    def bpm_display(self, track: Track) -> str:
        return f"{track.bpm:.1f}" if track.bpm is not None else "—"

    @admin.display(description="identifiers")
    def identifiers(self, track: Track) -> str:
        return identifier_links({name: getattr(track, name) for name in UPSTREAM_PAGES})

    @admin.display(description="data from")
    def sources_display(self, track: Track) -> str:
        sources = getattr(track, "sources_used", None) or []
        if not isinstance(sources, list) or not sources:
            return "—"
        return format_html_join(" ", '<span class="sn-source">{}</span>', ((s,) for s in sources))

    @admin.display(description="")
    def flags(self, track: Track) -> str:
        flags = []
        if getattr(track, "needs_review", False):
            flags.append(("sn-flag sn-review", "awaiting review", "review"))
        if getattr(track, "has_notes", False):
            flags.append(("sn-flag sn-notes", "identifier notes for a curator", "notes"))
        if getattr(track, "octave_flagged", False):
            hint = "sources disagree on the BPM by x2 or x1.5: halve or double it"
            flags.append(("sn-flag sn-review", hint, "BPM octave"))
        if track.locked_fields:
            locked = ", ".join(track.locked_fields)
            flags.append(
                ("sn-flag sn-locked", f"locked: {locked}", f"{len(track.locked_fields)} locked")
            )
        return format_html_join(" ", '<span class="{}" title="{}">{}</span>', flags)

    # --- the track page ---------------------------------------------------------------
    @admin.display(description="metadata")
    def metadata_json(self, track: Track) -> str:
        text = json.dumps(track.metadata, indent=2, sort_keys=True, default=str)
        return format_html('<pre class="sn-json">{}</pre>', text)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Track | None = None,
    ) -> Any:
        if obj is not None:
            context.update(track_panels(obj), **dj_library.compatible_panel(obj))
        context.update(can_enrich=can_enrich(request), can_review=can_review(request))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request: HttpRequest, obj: Track, form: Any, change: bool) -> None:
        """Edited fields get curator provenance and a lock; key notations follow pitch and mode."""
        if not change:  # a new track's values are like an import: kept, but not locked
            return super().save_model(request, obj, form, change)
        edited = [name for name in form.changed_data if name in LOCKABLE_FIELDS]
        if {"key_pitch_class", "key_mode"} & set(edited):
            _derive_key(obj, edited)
        curator, now = request.user.get_username(), timezone.now()
        for name in edited:
            entry = track_metadata.provenance_entry(CURATOR_SOURCE, now, curator=curator)
            track_metadata.record_provenance(obj, name, entry)
        obj.locked_fields = sorted(set(obj.locked_fields) | set(edited))
        super().save_model(request, obj, form, change)

    def get_urls(self) -> list[URLPattern]:
        def wrap(view: Any) -> Any:
            return self.admin_site.admin_view(partial(view, model_admin=self))

        extra = [
            path("dashboard/", wrap(views.dashboard_view), name="enrichment_dashboard"),
            path("review/", wrap(views.review_queue_view), name="enrichment_review_queue"),
            path("import/", wrap(dj_library.import_view), name="enrichment_track_import"),
            path(
                "<path:object_id>/enrich/",
                wrap(track_views.enrich_view),
                name="enrichment_track_enrich",
            ),
            path(
                "<path:object_id>/reset-retries/",
                wrap(track_views.reset_view),
                name="enrichment_track_reset",
            ),
            path(
                "<path:object_id>/review/<str:provider>/accept/",
                wrap(track_views.accept_view),
                name="enrichment_review_accept",
            ),
            path(
                "<path:object_id>/review/<str:provider>/reject/",
                wrap(track_views.reject_view),
                name="enrichment_review_reject",
            ),
            path(
                "<path:object_id>/notes/<str:kind>/<str:source>/",
                wrap(track_views.note_view),
                name="enrichment_note_resolve",
            ),
        ]
        return extra + super().get_urls()


def _derive_key(track: Track, edited: list[str]) -> None:
    """Recompute key name, Camelot and Open Key from an edited pitch class / mode."""
    harmonic = harmonic_key(track.key_pitch_class, track.key_mode)
    derived = {
        "key": harmonic.name if harmonic else None,
        "camelot_key": harmonic.camelot if harmonic else None,
        "open_key": harmonic.open_key if harmonic else None,
    }
    for name, value in derived.items():
        if name not in edited and getattr(track, name) != value:
            setattr(track, name, value)
            edited.append(name)
