"""The track page's read-only panels: per-field provenance, per-source outcomes, reviews, jobs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from procrastinate.contrib.django.models import ProcrastinateJob

from enrichment import track_metadata
from enrichment.admin.links import identifier_links, jobs_url
from enrichment.admin.notes import note_rows
from enrichment.admin.review_cards import COMPONENTS, minutes, review_cards
from enrichment.models import LOCKABLE_FIELDS, EnrichmentStatus, SourceOutcome, Track
from enrichment.tasks import queueing_lock


@dataclass(frozen=True)
class FieldRow:
    """One field's value and where it came from."""

    name: str
    value: Any
    source: str
    fetched_at: datetime | None
    confidence: float | None
    locked: bool
    kept: str  # why enrichment refused a newer value, if it did


@dataclass(frozen=True)
class OutcomeRow:
    """How one provider answered on its latest attempt."""

    provider: str
    outcome: str
    at: datetime | None
    detail: str

    @property
    def grade(self) -> str:
        if self.outcome == SourceOutcome.DATA:
            return "good"
        if self.outcome in SourceOutcome.settled():
            return "none"
        return "fair" if self.outcome == SourceOutcome.REVIEW else "poor"


def _when(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def field_rows(track: Track) -> list[FieldRow]:
    """Fields that hold a value, have provenance, are locked, or kept an old value."""
    provenance = track_metadata.provenance(track)
    kept = track_metadata.kept(track)
    rows = []
    for name in LOCKABLE_FIELDS:
        value = getattr(track, name)
        origin: Mapping[str, Any] = provenance.get(name) or {}
        locked = name in track.locked_fields
        if value in (None, "", []) and not (origin or locked or name in kept):
            continue
        rows.append(
            FieldRow(
                name=name,
                value=value,
                source=str(origin.get("source", "import or curator")),
                fetched_at=_when(origin.get("fetched_at")),
                confidence=origin.get("confidence"),
                locked=locked,
                kept=str(kept.get(name, "")),
            )
        )
    return rows


def outcome_rows(status: EnrichmentStatus | None) -> list[OutcomeRow]:
    """The per-provider outcomes of the latest attempt."""
    outcomes: dict[str, Any] = status.source_outcomes if status else {}
    return [
        OutcomeRow(
            name,
            str(seen.get("outcome", "?")),
            _when(seen.get("at")),
            str(seen.get("detail") or ""),
        )
        for name, seen in sorted(outcomes.items())
        if isinstance(seen, dict)
    ]


def track_panels(track: Track) -> dict[str, Any]:
    """Context for the track page's panels (one query: the waiting job, if any)."""
    status = getattr(track, "enrichment_status", None) if track.pk else None
    waiting = ProcrastinateJob.objects.filter(
        status="todo", queueing_lock=queueing_lock(track.pk)
    ).first()
    return {
        "status_row": status,
        "field_rows": field_rows(track),
        "outcome_rows": outcome_rows(status),
        "review_cards": review_cards(track),
        "components": COMPONENTS,
        "track_duration": minutes(track.duration_ms),
        "identifier_links": identifier_links(vars(track), full=True),
        "jobs_url": jobs_url(track.pk),
        "waiting_job": waiting,
        "tags": track_metadata.tags(track),
        "bpm_raw": track_metadata.bpm_raw(track),
        "octave_flag": track_metadata.octave_flag(track),
        "sources_used": track_metadata.sources(track),
        "reviewed": {
            provider: {**decision, "at": _when(decision.get("at"))}
            for provider, decision in track_metadata.reviewed(track).items()
            if isinstance(decision, dict)
        },
        "rejected": track_metadata.rejected(track),
        "note_rows": note_rows(track),
        "resolved_notes": [
            {**done, "at": _when(done.get("at"))} for done in track_metadata.resolved_notes(track)
        ],
    }
