"""Curator decisions on uncertain matches the pipeline kept in the track's metadata for review.

Accepting writes the candidate's identifiers (provenance source "curator-review", locked so no
later match can replace them); rejecting records the refused identifiers. Either way the
provider's review entry goes, the decision is noted (`track_metadata.record_decision`), and the
track is queued so its status is recomputed.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from enrichment import track_metadata
from enrichment.admin.curation import QueueReport, queue_enrichment
from enrichment.admin.links import PROVIDER_FIELDS
from enrichment.matching import Candidate, MatchDecision, ScoredCandidate
from enrichment.models import ISRC_REGEX, EnrichmentStatus, SourceOutcome, Track, outcome_record
from enrichment.sources import registry
from enrichment.track_metadata import Provenance

REVIEW_SOURCE = track_metadata.CURATOR_REVIEW


class ReviewGone(Exception):
    """The review entry or candidate is not there any more (decided elsewhere, or re-run)."""


@dataclass(frozen=True)
class ProviderReview:
    """One provider's kept decision on one track."""

    provider: str
    decision: MatchDecision


@dataclass
class Outcome:
    """What a decision changed, for the message bar."""

    written: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    queue: QueueReport = field(default_factory=QueueReport)

    def message(self, verb: str) -> str:
        parts = [verb]
        if self.written:
            parts.append(f"wrote and locked {', '.join(self.written)}")
        parts += [f"kept {name} ({why})" for name, why in self.skipped.items()]
        parts.append(f"queued {self.queue.queued}, already queued {self.queue.already_queued}")
        return "; ".join(parts) + "."


def pending_reviews(track: Track) -> list[ProviderReview]:
    """The track's readable review entries, by provider name."""
    found = []
    for provider, data in sorted(track_metadata.reviews(track).items()):
        try:
            found.append(ProviderReview(provider, MatchDecision.from_dict(data)))
        except (KeyError, TypeError, ValueError):
            continue  # unreadable entry: the raw metadata still shows it
    return found


def accept_candidate(track_id: uuid.UUID, provider: str, identifier: str, curator: str) -> Outcome:
    """Write the chosen candidate's identifiers, close the review, queue the track."""
    now = timezone.now()
    with transaction.atomic():
        track = Track.objects.select_for_update().get(pk=track_id)
        chosen = _candidate(track, provider, identifier)
        outcome = Outcome()
        for name, value in identifier_values(provider, chosen.candidate).items():
            _write(track, name, value, outcome, _provenance(provider, chosen, curator, now))
        track.locked_fields = sorted(set(track.locked_fields) | set(outcome.written))
        track_metadata.record_decision(
            track, provider, curator=curator, at=now, accepted=identifier
        )
        track.full_clean(exclude=["id"], validate_unique=False, validate_constraints=False)
        track.save()
        if _searches_again(provider):
            # Its next lookup would be the same text search: settle it instead.
            _settle(track.pk, provider, "data", f"accepted in review by {curator}", now)
        outcome.queue = queue_enrichment(Track.objects.filter(pk=track.pk))
    return outcome


def _searches_again(provider: str) -> bool:
    """Can the provider not look a track up by the identifier a curator just accepted?"""
    entry = registry.provider(provider)
    return entry.id_field is None or not hasattr(entry.adapter(), "lookup")


def reject_candidates(track_id: uuid.UUID, provider: str, curator: str) -> Outcome:
    """Record every candidate as rejected, close the review, settle the provider, queue."""
    now = timezone.now()
    with transaction.atomic():
        track = Track.objects.select_for_update().get(pk=track_id)
        decision = _decision(track, provider)
        identifiers = [item.candidate.identifier for item in decision.ranked]
        track_metadata.record_decision(
            track, provider, curator=curator, at=now, rejected=identifiers
        )
        track.save(update_fields=["metadata", "updated_at"])
        # "None of these" is a definite not-found for this provider: not re-asked next run.
        detail = f"candidates rejected in review by {curator}"
        _settle(track.pk, provider, SourceOutcome.NOT_FOUND, detail, now)
        return Outcome(queue=queue_enrichment(Track.objects.filter(pk=track.pk)))


def identifier_values(provider: str, candidate: Candidate) -> dict[str, Any]:
    """The column values a candidate supplies: its provider's id, and its ISRC if any."""
    name = PROVIDER_FIELDS.get(provider)
    if name is None:
        raise ReviewGone(f"{provider} candidates carry no identifier we store")
    raw = candidate.identifier
    try:
        value: Any = uuid.UUID(raw) if name == "musicbrainz_id" else raw
        value = int(raw) if name in ("discogs_id", "deezer_id") else value
    except ValueError as error:
        raise ReviewGone(f"{provider} identifier {raw!r} is not valid") from error
    values = {name: value}
    if candidate.isrc:
        values["isrc"] = candidate.isrc.upper()
    return values


def _decision(track: Track, provider: str) -> MatchDecision:
    data = track_metadata.reviews(track).get(provider)
    if data is None:
        raise ReviewGone(f"no {provider} review is waiting for this track")
    return MatchDecision.from_dict(data)


def _candidate(track: Track, provider: str, identifier: str) -> ScoredCandidate:
    for item in _decision(track, provider).ranked:
        if item.candidate.identifier == identifier:
            return item
    raise ReviewGone(f"{identifier} is not among the {provider} candidates")


def _provenance(provider: str, chosen: ScoredCandidate, curator: str, now: datetime) -> Provenance:
    return track_metadata.provenance_entry(
        REVIEW_SOURCE, now, curator=curator, provider=provider, score=chosen.score
    )


def _write(track: Track, name: str, value: Any, outcome: Outcome, origin: Provenance) -> None:
    """Set one identifier and its provenance, unless there is a reason to keep the current one."""
    refusal = _refusal(track, name, value)
    if refusal:
        outcome.skipped[name] = refusal
        return
    setattr(track, name, value)
    track_metadata.record_provenance(track, name, origin)
    outcome.written.append(name)


def _refusal(track: Track, name: str, value: Any) -> str | None:
    """Why a candidate's value may not be written: locked, an ISRC known, an identifier taken."""
    current = getattr(track, name)
    if current not in (None, "") and current != value:
        if name in track.locked_fields:
            return "locked"
        if name == "isrc":  # a recording may have several ISRCs: keep the one we have
            return f"the track already has {current}"
    if name == "isrc" and not re.match(ISRC_REGEX, value):
        return f"{value} is not a valid ISRC"
    if name in ("isrc", "spotify_id"):  # one track per identifier (unique in the database)
        holder = Track.objects.filter(**{name: value}).exclude(pk=track.pk).first()
        if holder is not None:
            return f"already held by {holder}"
    return None


def _settle(track_id: uuid.UUID, provider: str, outcome: str, detail: str, now: datetime) -> None:
    """Mark a provider as answered for this track, so the next ordinary run skips it."""
    status, _ = EnrichmentStatus.objects.select_for_update().get_or_create(track_id=track_id)
    status.source_outcomes = {
        **status.source_outcomes,
        provider: outcome_record(outcome, detail, now),
    }
    status.save(update_fields=["source_outcomes", "updated_at"])
