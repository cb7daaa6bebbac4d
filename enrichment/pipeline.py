"""One enrichment attempt for one track: claim, ask the sources, merge, persist, report.

Status rules: completed = every enabled provider settled (data, definite
not-found, or nothing to ask); partial = some data, but a provider failed (transiently or
not), is unconfigured, or a match awaits review; failed = nothing usable. A failed attempt
counts in retry_count; transient trouble is never recorded as "not found". An unreadable
answer (malformed) is often a passing upstream fault: it counts as transient, so the job
runs again soon, until MALFORMED_MAX_ATTEMPTS in a row for that provider; then it is an
error like any other permanent one (asked again only by the periodic re-runs).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from enrichment import metrics, pacing, track_metadata, track_rows
from enrichment.isrc_conflicts import without_held_identifiers
from enrichment.logging import log_context
from enrichment.lookups import Attempt, run_all
from enrichment.matching import Query
from enrichment.merge import PROVIDERS, MergeResult, merge
from enrichment.models import (
    ENRICHED_FIELDS,
    EnrichmentStatus,
    OutcomeRecord,
    SourceOutcome,
    Track,
    claim_cutoff,
    outcome_record,
)
from enrichment.redaction import redact
from enrichment.sources import registry

logger = logging.getLogger(__name__)
Status = EnrichmentStatus.Status
# How soon an attempt that got an unreadable answer asks for a retry (the queue's backoff
# may make it later).
MALFORMED_RETRY_SECONDS = 60.0
SETTLED_OR_REVIEW = SourceOutcome.settled() | {SourceOutcome.REVIEW}
# Queues the follow-up jobs of a track's slow sources, inside the transaction that marks
# them pending (so a crash between the two loses neither): (track id, providers).
FollowUps = Callable[[str, list[str]], None]


@dataclass
class EnrichmentResult:
    """What one attempt did (the REST API's and the command's result shape)."""

    track_id: str
    status: str
    sources_used: list[str] = field(default_factory=list)
    metadata_acquired: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    duration_seconds: float = 0.0
    cached: bool = False
    # Requests this attempt sent upstream, and answers it took from the response cache.
    upstream_calls: int = 0
    cache_hits: int = 0
    retry_after: float | None = None
    claimed: bool = True
    follow_ups: list[str] = field(default_factory=list)  # sources left to their own jobs

    @property
    def transient(self) -> bool:
        """Did a provider fail in a way that a later retry may fix?"""
        return self.retry_after is not None


def enabled_providers() -> list[str]:
    """The sources enrichment asks (settings.ENRICHMENT_SOURCES), plus their capabilities."""
    return registry.providers_for(settings.ENRICHMENT_SOURCES)


def claim(track_id: uuid.UUID | str) -> bool:
    """Mark the track in_progress unless another worker holds a fresh claim on it."""
    return claimed(track_id) is not None


def claimed(track_id: uuid.UUID | str) -> Track | None:
    """Claim the track (see `claim`) and read it with its status row: one statement in the
    common case, a row made at import; two more only for a track without one. None when
    the claim is taken."""
    track = _claim(track_id)
    if track is not None:
        return track
    _, created = EnrichmentStatus.objects.get_or_create(track_id=track_id)
    return _claim(track_id) if created else None


def _claim(track_id: uuid.UUID | str) -> Track | None:
    now = timezone.now()
    return track_rows.claim(track_id, status=Status.IN_PROGRESS, now=now, stale=claim_cutoff(now))


def enrich(
    track_id: uuid.UUID | str, *, force_refresh: bool = False, follow_ups: FollowUps | None = None
) -> EnrichmentResult:
    """Run one attempt; a lost claim returns at once with claimed=False. With `follow_ups`,
    the slow sources (enrichment.pacing) are left pending and handed to it."""
    with log_context(track_id=str(track_id)):
        return _enrich(track_id, force_refresh, follow_ups)


def _enrich(
    track_id: uuid.UUID | str, force_refresh: bool, follow_ups: FollowUps | None
) -> EnrichmentResult:
    started = time.monotonic()
    track = claimed(track_id)
    if track is None:
        return EnrichmentResult(str(track_id), Status.IN_PROGRESS, claimed=False)
    try:
        attempt = attempt_for(track, force_refresh, split=follow_ups is not None)
        run_all(attempt)
        attempt.hand_over_failures()
        result = persist(track.pk, attempt, follow_ups)
    except Exception as error:
        # Never leave the track in_progress, never call a crash a success.
        record_failure(track_id, redact(f"{type(error).__name__}: {error}"))
        metrics.TRACKS_ENRICHED.labels(status=Status.FAILED).inc()
        metrics.ENRICHMENT_TASKS.labels(source=metrics.PIPELINE, status=Status.FAILED).inc()
        raise
    result.duration_seconds = round(time.monotonic() - started, 3)
    result.upstream_calls = sum(source.network_calls for source in attempt.sources.values())
    result.cache_hits = sum(source.cache_hits for source in attempt.sources.values())
    # As the original meant it: this answer needed no upstream call (all from the cache,
    # or every source had already answered before).
    result.cached = result.upstream_calls == 0
    metrics.ENRICHMENT_DURATION.observe(result.duration_seconds)
    metrics.TRACKS_ENRICHED.labels(status=result.status).inc()
    metrics.ENRICHMENT_TASKS.labels(source=metrics.PIPELINE, status=result.status).inc()
    for provider, outcome in attempt.outcomes.items():
        metrics.SOURCE_OUTCOMES.labels(source=provider, status=outcome.outcome).inc()
    return result


def attempt_for(
    track: Track, force_refresh: bool, *, split: bool = False, only: str | None = None
) -> Attempt:
    """The attempt for a track: every unsettled source; with `split`, the slow ones left
    pending (those whose API is busy: enrichment.pacing.deferred); with `only`, that one
    source (a follow-up: the others' outcomes stay)."""
    recorded: dict[str, Any] = track.enrichment_status.source_outcomes
    previous = {} if force_refresh and only is None else recorded
    settled = {name for name, seen in previous.items() if _settled(seen)}
    enabled = enabled_providers()
    skip = settled if only is None else set(enabled) - {only}
    slow = set(pacing.slow_providers(enabled)) - skip if split else set()
    # A source already pending keeps its follow-up (queued or running): asked here too, it
    # would be asked twice.
    waiting = {name for name in slow if _outcome_of(previous.get(name)) == SourceOutcome.PENDING}
    pending = waiting | pacing.deferred(slow - waiting)

    def known(field: str) -> str | None:
        # Identify with what came from outside (import, curator) or from providers not asked
        # again; a provider re-asked re-learns its own ids, so the attempt replays the same
        # requests as before and a warm cache answers all of them.
        value = getattr(track, field)
        origin = track_metadata.origin(track, field)
        usable = origin is None or origin not in PROVIDERS or origin in settled
        return str(value) if value and usable else None

    return Attempt(
        query=Query(track.artist_name, track.title, track.duration_ms),
        spotify_id=known("spotify_id"),
        isrc=known("isrc"),
        musicbrainz_id=known("musicbrainz_id"),
        deezer_id=known("deezer_id"),
        rejected=track_metadata.rejected(track),
        enabled=enabled,
        skip=skip,
        pending=pending,
        force_refresh=force_refresh,
        inline=slow - pending,
        known_release_year=track.release_date.year if only and track.release_date else None,
    )


def persist(
    track_id: uuid.UUID,
    attempt: Attempt,
    follow_ups: FollowUps | None = None,
    *,
    follow_up: bool = False,
) -> EnrichmentResult:
    """Merge into the freshly locked row and write track + status in one transaction.

    The row locks make concurrent attempts of one track (its job, its follow-ups) merge one
    after the other, each over what the previous one wrote.
    """
    now = timezone.now()
    with transaction.atomic():
        # Both rows locked, and read, in one statement.
        track = track_rows.load(track_id, lock=True)
        status = track.enrichment_status
        outcomes = _outcomes_json(status.source_outcomes, attempt, now)
        changed = _apply(track, attempt, now)
        result = _judge(track, attempt, outcomes)
        result.follow_ups = sorted(
            p for p in attempt.pending if outcomes[p]["outcome"] == SourceOutcome.PENDING
        )
        if follow_up and status.status == Status.IN_PROGRESS:
            # A follow-up beside a running attempt of the track: its claim and status stay
            # (that attempt writes them, over these outcomes).
            status.source_outcomes = outcomes
            status.save(update_fields=["source_outcomes", "updated_at"])
        else:
            _write_status(status, result, outcomes, now)
        if result.follow_ups and follow_ups is not None:
            follow_ups(str(track_id), result.follow_ups)
    result.metadata_acquired = changed
    return result


def _apply(track: Track, attempt: Attempt, now: datetime) -> list[str]:
    """Merge found values into the track and save; the names of the columns that changed."""
    current = {name: getattr(track, name) for name in ENRICHED_FIELDS}
    merged: MergeResult = merge(
        current,
        track_metadata.provenance(track),
        set(track.locked_fields),
        attempt.found,
        now,
        bpm_raw=track_metadata.bpm_raw(track),
    )
    changes = without_held_identifiers(track, merged.changes, now)
    for name, value in changes.items():
        setattr(track, name, value)
    _note_attempt(track, attempt, merged, now)
    # Only the columns this attempt set are validated and written (with the metadata it
    # noted in): the others are as the locked row holds them.
    unchanged = [f.name for f in Track._meta.concrete_fields if f.name not in changes]
    track.full_clean(exclude=unchanged, validate_unique=False, validate_constraints=False)
    track.save(update_fields=[*changes, "metadata", "updated_at"])
    return sorted(changes)


def _note_attempt(track: Track, attempt: Attempt, merged: MergeResult, now: datetime) -> None:
    """Record in the track's metadata what this attempt learnt: provenance, sources, reviews."""
    for name, entry in merged.provenance.items():
        track_metadata.record_provenance(track, name, entry)
    track_metadata.add_sources(track, attempt.found)
    if attempt.tags:
        track_metadata.set_tags(track, attempt.tags)
    for provider, decision in attempt.reviews.items():
        track_metadata.set_review(track, provider, decision)
    for provider, outcome in attempt.outcomes.items():
        if outcome.outcome != SourceOutcome.REVIEW:
            track_metadata.clear_review(track, provider)  # settled now: nothing left to review
    track_metadata.set_kept(track, merged.kept)
    _note_identifiers(track, attempt, now)
    if merged.bpm_raw:  # with new raw tempos the octave flag is decided afresh
        track_metadata.set_bpm_raw(track, merged.bpm_raw)
        track_metadata.set_octave_flag(track, merged.octave)
    track_metadata.mark_enriched(track, now)


def _note_identifiers(track: Track, attempt: Attempt, now: datetime) -> None:
    """Replace the notes of every provider that answered with what it said this time.

    A provider that failed (transient, error) said nothing new: its earlier notes stay.
    """
    for provider, outcome in attempt.outcomes.items():
        if outcome.outcome in SETTLED_OR_REVIEW:
            track_metadata.clear_notes(track, provider)
    for note in attempt.notes:
        entry = track_metadata.note_entry(note.identifier, note.found_by, note.details, now)
        track_metadata.add_note(track, note.kind, note.provider, entry)


def _outcomes_json(
    previous: dict[str, Any], attempt: Attempt, now: datetime
) -> dict[str, OutcomeRecord]:
    """Per-provider outcomes: this attempt's, plus earlier settled ones it did not re-ask."""
    outcomes = {name: seen for name, seen in previous.items() if name in attempt.skip}
    for provider in attempt.pending:  # a follow-up that answered meanwhile keeps its answer
        seen = previous.get(provider)
        queue = pacing.queue_for(provider)
        queued = outcome_record(SourceOutcome.PENDING, f"queued on {queue}", now)
        outcomes[provider] = seen if _settled(seen) else queued
    for provider, outcome in attempt.outcomes.items():
        if outcome.outcome == SourceOutcome.MALFORMED:
            outcomes[provider] = _malformed_record(previous.get(provider), outcome.detail, now)
        else:
            outcomes[provider] = outcome_record(outcome.outcome, outcome.detail, now)
    return outcomes


def _malformed_record(before: Any, detail: str, now: datetime) -> OutcomeRecord:
    """A malformed outcome counting the unreadable answers in a row, saying when it gave up."""
    attempts = 1
    if _outcome_of(before) == SourceOutcome.MALFORMED:
        attempts += int(before.get("attempts") or 1)
    limit = settings.MALFORMED_MAX_ATTEMPTS
    if attempts >= limit:
        detail = f"gave up after {limit} attempts: {detail}"
    return outcome_record(SourceOutcome.MALFORMED, detail, now, attempts)


def _retries_malformed(seen: OutcomeRecord | None) -> bool:
    """Is this a malformed outcome with attempts left (so the job should run again soon)?"""
    if not seen or seen["outcome"] != SourceOutcome.MALFORMED:
        return False
    return seen.get("attempts", 1) < settings.MALFORMED_MAX_ATTEMPTS


def _outcome_of(seen: Any) -> str | None:
    """The outcome a recorded entry names (None for anything else)."""
    return seen.get("outcome") if isinstance(seen, dict) else None


def _settled(seen: Any) -> bool:
    """Did this recorded outcome settle its provider?"""
    return _outcome_of(seen) in SourceOutcome.settled()


def _judge(track: Track, attempt: Attempt, outcomes: dict[str, OutcomeRecord]) -> EnrichmentResult:
    """Status, sources used and errors of this attempt."""
    unsettled = {
        provider: outcomes.get(provider)
        for provider in attempt.enabled
        if not _settled(outcomes.get(provider))
    }
    has_data = bool(track_metadata.sources(track))
    waiting = any(seen and seen["outcome"] == SourceOutcome.PENDING for seen in unsettled.values())
    if not has_data:
        # Nothing usable yet, but sources still to answer in their own jobs: not failed yet.
        status = Status.PENDING if waiting else Status.FAILED
    elif unsettled:
        status = Status.PARTIAL
    else:
        status = Status.COMPLETED
    hints = [o.retry_after or 60.0 for o in attempt.outcomes.values() if o.transient]
    hints += [MALFORMED_RETRY_SECONDS for p in attempt.outcomes if _retries_malformed(outcomes[p])]
    return EnrichmentResult(
        track_id=str(track.pk),
        status=status,
        sources_used=sorted(attempt.found),
        errors={provider: _error(seen) for provider, seen in unsettled.items()},
        retry_after=max(hints) if hints else None,
    )


def _error(seen: OutcomeRecord | None) -> str:
    """An unsettled provider's outcome as an error line ("not asked" when it has none)."""
    if seen is None:
        return "not asked:"
    return f"{seen['outcome']}: {seen.get('detail', '')}".strip()


def _write_status(
    status: EnrichmentStatus,
    result: EnrichmentResult,
    outcomes: dict[str, OutcomeRecord],
    now: datetime,
) -> None:
    status.status = result.status
    status.sources_enriched = len(result.sources_used)
    status.last_attempt = now
    status.claimed_at = None
    status.source_outcomes = outcomes
    if result.status == Status.COMPLETED:
        status.retry_count = 0
    elif result.status == Status.FAILED:
        status.retry_count += 1
    # NULL when nothing went wrong (the original's upsert writes NULL too).
    status.error_message = "; ".join(f"{p}: {e}" for p, e in sorted(result.errors.items())) or None
    if result.status == Status.FAILED and not result.errors:
        status.error_message = "not found in any source"
    status.save()


def record_failure(track_id: uuid.UUID | str, message: str) -> None:
    """Mark an attempt that crashed as failed (counted), releasing the claim."""
    logger.exception("enrichment of %s failed", track_id)
    try:
        _mark_failed(track_id, message)
    except DatabaseError:  # the database itself is the trouble: the caller's error says so
        logger.exception("could not record the failure of %s", track_id)


def _mark_failed(track_id: uuid.UUID | str, message: str) -> None:
    EnrichmentStatus.objects.filter(track_id=track_id).update(
        status=Status.FAILED,
        claimed_at=None,
        last_attempt=timezone.now(),
        retry_count=F("retry_count") + 1,
        error_message=message[:2000],
    )
