"""What the write endpoints do: save tracks (filling gaps only), queue jobs, report results.

Job priorities: an asynchronous request's job runs at the request's priority (1..10, the
curators' re-enrich is 10); a synchronous one's at SYNC_PRIORITY_OFFSET above it (11..20), so
a caller waiting for an answer goes before the backlog; maintenance jobs (100) go first.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from psycopg import errors

from enrichment import identity, importing
from enrichment.api import batches
from enrichment.api.inputs import EnrichRequest
from enrichment.models import ENRICHED_FIELDS, Track, jobs
from enrichment.tasks import WAITED_FOR_ABOVE, defer_enrichment, queueing_lock

DEADLOCK_ATTEMPTS = 5
SYNC_PRIORITY_OFFSET = WAITED_FOR_ABOVE  # 11..20: the worker reports their attempts


class TrackConflict(Exception):
    """The body contradicts stored data (e.g. an ISRC another track already holds)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors


class BatchConflict(Exception):
    """Some batch items conflict with stored data; nothing of the batch was kept."""

    def __init__(self, errors: dict[str, dict[str, list[str]]]) -> None:
        super().__init__(str(errors))
        self.errors = errors


@dataclass(frozen=True)
class Queued:
    """One track and its job (None when a job for it was already waiting or running)."""

    track_id: uuid.UUID
    job_id: int | None
    # The job already there for the track (reported to a caller who waits for it).
    existing_job_id: int | None = None
    caller_track_id: str | None = None  # the track_id the request sent, echoed back

    @property
    def already_queued(self) -> bool:
        """Was a job for this track already waiting or running, so none was added?"""
        return self.job_id is None


def save_track(request: EnrichRequest) -> uuid.UUID:
    """Create the track or fill its missing identifiers (never overwrite); its id."""
    try:
        with transaction.atomic():
            _, track = importing.upsert(request.row)
            _fill_musicbrainz_id(track, request.musicbrainz_id)
    except IntegrityError as error:
        field = _conflicting_field(error, request)
        raise TrackConflict({field: ["Conflicts with another track."]}) from error
    return track.pk


# Unique constraints on tracks -> the body field whose value another track already holds.
_FIELD_OF_CONSTRAINT = {"track_spotify_id_unique": "existing_spotify_id"}


def _conflicting_field(error: IntegrityError, request: EnrichRequest) -> str:
    """The body field the refused write came from (by the constraint the database named)."""
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    if constraint in _FIELD_OF_CONSTRAINT:
        return _FIELD_OF_CONSTRAINT[constraint]
    return "existing_isrc" if request.row.isrc else "track_id"


def _fill_musicbrainz_id(track: Track, musicbrainz_id: uuid.UUID | None) -> None:
    if musicbrainz_id is None or "musicbrainz_id" in track.locked_fields:
        return
    Track.objects.filter(pk=track.pk, musicbrainz_id__isnull=True).update(
        musicbrainz_id=musicbrainz_id
    )


def echoed_track_id(request: EnrichRequest, track_id: uuid.UUID | str) -> str:
    """The track_id a response gives back: the caller's own string as sent, else our pk."""
    return request.row.track_id or str(track_id)


def enqueue(request: EnrichRequest, *, waiting: bool = False) -> Queued:
    """Save the track and queue a job for it (unless one is already waiting or running).

    For a caller that waits (`waiting`), the job runs above the backlog, and a job already
    there for the track is the one to wait for: its id is returned (moved up if waiting).
    """
    priority = request.priority + (SYNC_PRIORITY_OFFSET if waiting else 0)
    with transaction.atomic():
        track_id = save_track(request)
        jobs_by_track = defer_enrichment(
            [track_id], priority=priority, force_refresh=request.force_refresh
        )
    job_id = jobs_by_track[str(track_id)]
    existing = _active_job(track_id, priority) if job_id is None and waiting else None
    return Queued(track_id, job_id, existing, caller_track_id=request.row.track_id)


def _active_job(track_id: uuid.UUID, priority: int) -> int | None:
    """The track's waiting or running job, moved up to `priority` if it is still waiting."""
    job_id = (
        jobs().active().filter(queueing_lock=queueing_lock(track_id)).values_list("id", flat=True)
    ).first()
    if job_id is not None:
        with connection.cursor() as cursor:  # Procrastinate's model is read-only
            cursor.execute(
                "UPDATE procrastinate_jobs SET priority = GREATEST(priority, %s)"
                " WHERE id = %s AND status = 'todo'",
                [priority, job_id],
            )
    return job_id


def known_values(track_id: uuid.UUID) -> tuple[dict[str, Any], list[str]]:
    """The track's known enriched values (the original's `metadata_acquired`) and the
    providers that supplied them."""
    row = Track.objects.values(*ENRICHED_FIELDS, "metadata").get(pk=track_id)
    metadata = row.pop("metadata") or {}
    known = {name: value for name, value in row.items() if value not in (None, "", [])}
    return known, list(metadata.get("enrichment_sources") or [])


def submit_batch(requests: Sequence[EnrichRequest]) -> tuple[batches.Batch, list[Queued]]:
    """Save every track and queue the jobs, all or nothing; the remembered batch."""
    for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
        try:
            return _submit_batch_once(requests)
        except OperationalError as error:
            # Batches naming the same tracks in another order wait on each other's new rows;
            # Postgres aborts one of them, which succeeds when it runs again.
            if not isinstance(error.__cause__, errors.DeadlockDetected):
                raise
            if attempt == DEADLOCK_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _submit_batch_once(requests: Sequence[EnrichRequest]) -> tuple[batches.Batch, list[Queued]]:
    with transaction.atomic():
        track_ids = _save_all(requests)
        jobs = _defer_grouped(requests, track_ids)
        queued = [
            Queued(track_id, jobs[str(track_id)], caller_track_id=request.row.track_id)
            for request, track_id in zip(requests, track_ids, strict=True)
        ]
        batch = batches.create(track_ids, [job for job in jobs.values() if job is not None])
    return batch, queued


def _save_all(requests: Sequence[EnrichRequest]) -> list[uuid.UUID]:
    track_ids: dict[int, uuid.UUID] = {}
    conflicts: dict[str, dict[str, list[str]]] = {}
    # Concurrent batches sharing tracks save them in one order, so one waits for the other
    # instead of both waiting for each other.
    order = sorted(range(len(requests)), key=lambda index: _lock_order(requests[index]))
    for index in order:
        try:
            track_ids[index] = save_track(requests[index])
        except TrackConflict as conflict:
            conflicts[str(index)] = conflict.errors
    if conflicts:
        raise BatchConflict(dict(sorted(conflicts.items(), key=lambda item: int(item[0]))))
    return [track_ids[index] for index in range(len(requests))]


def _lock_order(request: EnrichRequest) -> tuple[str, str]:
    return identity.lock_order(request.row.artist_name, request.row.title)


def _defer_grouped(
    requests: Sequence[EnrichRequest], track_ids: Sequence[uuid.UUID]
) -> dict[str, int | None]:
    """Queue each track once, with the options of its first item."""
    groups: dict[tuple[int, bool], list[uuid.UUID]] = defaultdict(list)
    seen: set[uuid.UUID] = set()
    for request, track_id in zip(requests, track_ids, strict=True):
        if track_id not in seen:
            seen.add(track_id)
            groups[(request.priority, request.force_refresh)].append(track_id)
    jobs: dict[str, int | None] = {}
    for (priority, force_refresh), ids in groups.items():
        ordered = sorted(ids)  # one order of queueing locks across concurrent batches
        jobs.update(defer_enrichment(ordered, priority=priority, force_refresh=force_refresh))
    return jobs
