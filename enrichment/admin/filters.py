"""Track list filters: status, needs review, has/lacks each identifier or feature, sources."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from enrichment import genres, track_metadata
from enrichment.models import MAX_RETRIES, EnrichmentStatus, SourceOutcome
from enrichment.sources import registry
from enrichment.track_metadata import NOTE_KINDS

Status = EnrichmentStatus.Status
# Every provider's name, in waterfall order: the filter options and the dashboard's rows.
PROVIDERS = tuple(provider.name for provider in registry.PROVIDERS)
# The providers that identify tracks: only they leave candidates for a curator to review.
IDENTIFYING = tuple(provider.name for provider in registry.PROVIDERS if provider.identifies)
# field -> label, for the has/lacks filters and the dashboard's coverage (which links to them).
PRESENCE_FIELDS: dict[str, str] = {
    **{p.id_field: f"{p.label} ID" for p in registry.PROVIDERS if p.id_field},
    "isrc": "ISRC",
    "bpm": "BPM",
    "camelot_key": "key (Camelot)",
    "energy": "audio features",
    "label": "label",
    "release_date": "release date",
    "genre": "genre",
}


def absent(field: str) -> Q:
    """Rows where the field is unknown (NULL: no enriched column stores "")."""
    return Q(**{f"{field}__isnull": True})


class ChoiceFilter(admin.SimpleListFilter):
    """A filter whose options map to Q objects (subclasses fill `options`)."""

    options: dict[str, tuple[str, Q]] = {}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(value, label) for value, (label, _) in self.options.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        choice = self.options.get(self.value() or "")
        return queryset.filter(choice[1]) if choice else queryset


def presence_filter(field: str, label: str) -> type[ChoiceFilter]:
    """A has/lacks filter for one field."""
    options = {"yes": (f"has {label}", ~absent(field)), "no": (f"lacks {label}", absent(field))}
    attributes = {"title": label, "parameter_name": f"has_{field}", "options": options}
    return type(f"Has{field.title().replace('_', '')}Filter", (ChoiceFilter,), attributes)


def status_options(prefix: str = "enrichment_status__") -> dict[str, tuple[str, Q]]:
    """Status choices, plus "retries used up" and "no status yet" (prefix: path to the status)."""
    options = {s.value: (s.label, Q(**{f"{prefix}status": s.value})) for s in Status}
    exhausted = Q(**{f"{prefix}status": Status.FAILED, f"{prefix}retry_count__gte": MAX_RETRIES})
    options["exhausted"] = ("failed, retries used up", exhausted)
    if prefix:
        options["none"] = ("no status yet", Q(enrichment_status__isnull=True))
    return options


class StatusFilter(ChoiceFilter):
    title = "status"
    parameter_name = "status"
    options = status_options()


class NeedsReviewFilter(ChoiceFilter):
    title = "needs review"
    parameter_name = "review"
    options = {
        "yes": ("any provider", track_metadata.awaiting_review()),
        **{name: (name, track_metadata.awaiting_review(name)) for name in IDENTIFYING},
        "no": ("no", ~track_metadata.awaiting_review()),
    }


class NotesFilter(ChoiceFilter):
    title = "identifier notes"
    parameter_name = "notes"
    options = {
        "yes": ("any note", track_metadata.has_note()),
        **{kind: (label, track_metadata.has_note(kind)) for kind, label in NOTE_KINDS.items()},
        "no": ("no notes", ~track_metadata.has_note()),
    }


class SourceUsedFilter(ChoiceFilter):
    title = "data from"
    parameter_name = "source"
    options = {name: (name, track_metadata.with_data_from(name)) for name in PROVIDERS}


def trouble_options(prefix: str = "enrichment_status__") -> dict[str, tuple[str, Q]]:
    """Per provider: asked, but not settled (failed, unconfigured, or awaiting review)."""
    settled = sorted(SourceOutcome.settled())
    return {
        name: (
            name,
            Q(**{f"{prefix}source_outcomes__has_key": name})
            & ~Q(**{f"{prefix}source_outcomes__{name}__outcome__in": settled}),
        )
        for name in PROVIDERS
    }


class SourceTroubleFilter(ChoiceFilter):
    title = "unsettled source"
    parameter_name = "trouble"
    options = trouble_options()


class OctaveFlagFilter(ChoiceFilter):
    title = "BPM octave flag"
    parameter_name = "octave"
    options = {
        "yes": ("sources disagree (x2, x1.5)", track_metadata.octave_flagged()),
        "no": ("no disagreement", ~track_metadata.octave_flagged()),
    }


class GenreFilter(admin.SimpleListFilter):
    """Tracks with a canonical genre among their genres (the taxonomy's names)."""

    title = "genre"
    parameter_name = "genre"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        names = sorted(genres.taxonomy().names)
        return [(name, name) for name in names]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(genres__contains=[value]) if value else queryset


class LockedFilter(ChoiceFilter):
    title = "locked fields"
    parameter_name = "locked"
    options = {
        "yes": ("some locked", Q(locked_fields__len__gt=0)),
        "no": ("none locked", Q(locked_fields__len=0)),
    }


TRACK_FILTERS: list[Any] = [
    StatusFilter,
    NeedsReviewFilter,
    NotesFilter,
    *(presence_filter(field, label) for field, label in PRESENCE_FIELDS.items()),
    SourceUsedFilter,
    SourceTroubleFilter,
    GenreFilter,
    OctaveFlagFilter,
    LockedFilter,
]


class StatusOnlyFilter(ChoiceFilter):
    """The status filter of the status admin (fields are on the row itself)."""

    title = "status"
    parameter_name = "status"
    options = status_options(prefix="")


class StatusTroubleFilter(ChoiceFilter):
    title = "unsettled source"
    parameter_name = "trouble"
    options = trouble_options(prefix="")
