"""What curators do to sets of tracks: queue enrichment, reset retries, lock and unlock fields.

Each function takes a queryset (one track, a selection, or everything a filter matches) and
works in batches, so "select all" over a million rows stays cheap. Queueing runs about 10,000
tracks a second; a request stops after QUEUE_TIME_BUDGET and says so (running the action again
carries on: tracks with a job waiting or running are skipped). Resets and locks change at most
ADMIN_ACTION_LIMIT tracks per request, ADMIN_UPDATE_BATCH_SIZE per UPDATE, each UPDATE its own
short transaction (row locks held for one batch, not the whole set), and say how many are left:
they only touch rows that still need the change, so running the action again carries on.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now
from django.utils import timezone

from enrichment import track_metadata
from enrichment.models import EnrichmentStatus, Track
from enrichment.tasks import defer_enrichment

Status = EnrichmentStatus.Status
BATCH_SIZE = 500
# Curators' requests go ahead of the periodic backlog (higher runs first).
CURATOR_PRIORITY = 10
# Seconds one request may spend queueing: below the web server's worker timeout (30 s).
QUEUE_TIME_BUDGET = 20.0

_FAILED_TO_PENDING = Case(
    When(status=Status.FAILED, then=Value(Status.PENDING)), default=F("status")
)
_LOCK_SQL = "ARRAY(SELECT DISTINCT f FROM unnest(locked_fields || %s::varchar[]) AS f ORDER BY f)"
_UNLOCK_SQL = "ARRAY(SELECT f FROM unnest(locked_fields) AS f WHERE NOT f = ANY(%s::varchar[]))"


@dataclass(frozen=True)
class QueueReport:
    """How many tracks got a new job, and how many already had one (waiting or running)."""

    queued: int = 0
    already_queued: int = 0
    complete: bool = True  # False: the time budget ran out before every track was seen

    def __add__(self, other: QueueReport) -> QueueReport:
        return QueueReport(
            self.queued + other.queued,
            self.already_queued + other.already_queued,
            self.complete and other.complete,
        )

    def message(self, force_refresh: bool = False) -> str:
        """One line for the admin's message bar."""
        kind = "enrichment from scratch (force refresh)" if force_refresh else "enrichment"
        done = f"Queued {kind} of {self.queued} track(s); {self.already_queued} already queued."
        if self.complete:
            return done
        return (
            f"{done} Stopped after {QUEUE_TIME_BUDGET:.0f} s to keep the page responsive: "
            "run the action again to queue the rest (queued tracks are skipped)."
        )


@dataclass(frozen=True)
class UpdateReport:
    """How many tracks a bulk update changed, and how many it left over the per-request limit."""

    changed: int = 0
    left: int = 0

    def message(self, done: str) -> str:
        """The admin's line: what was done, and what remains when the limit stopped it."""
        if not self.left:
            return done
        return (
            f"{done} Stopped at {settings.ADMIN_ACTION_LIMIT} track(s) per request to keep "
            f"the page responsive: {self.left} more to do; run the action again to carry on."
        )


def bounded_update(rows: QuerySet[Any], **changes: Any) -> UpdateReport:
    """UPDATE `rows` (those still needing the change) in short batches, up to the limit."""
    limit, size = settings.ADMIN_ACTION_LIMIT, settings.ADMIN_UPDATE_BATCH_SIZE
    # At most `limit` ids, so holding them is cheap; each batch is re-filtered by `rows`,
    # so a row that changed meanwhile (e.g. a job claimed the track) is left alone.
    chosen = list(rows.order_by("pk").values_list("pk", flat=True)[:limit])
    changed = 0
    for start in range(0, len(chosen), size):
        with transaction.atomic():
            changed += rows.filter(pk__in=chosen[start : start + size]).update(**changes)
    left = rows.count() if len(chosen) >= limit else 0
    return UpdateReport(changed, left)


def track_id_batches(queryset: QuerySet[Track], size: int) -> Generator[list[str], None, None]:
    """The queryset's track ids in batches, read in one pass through a server-side cursor."""
    ids = queryset.order_by().values_list("pk", flat=True).iterator(chunk_size=size)
    try:
        while batch := [str(track_id) for track_id in itertools.islice(ids, size)]:
            yield batch
    finally:
        getattr(ids, "close", lambda: None)()  # release the cursor at once when stopped early


def queue_enrichment(
    queryset: QuerySet[Track], *, force_refresh: bool = False, priority: int = CURATOR_PRIORITY
) -> QueueReport:
    """Queue one enrichment job per track, a batch per statement, within the time budget."""
    deadline = time.monotonic() + QUEUE_TIME_BUDGET
    report = QueueReport()
    batches = track_id_batches(queryset, BATCH_SIZE)
    for batch in batches:
        report += defer_batch(batch, force_refresh=force_refresh, priority=priority)
        if time.monotonic() > deadline:
            batches.close()
            return QueueReport(report.queued, report.already_queued, complete=False)
    return report


def defer_batch(track_ids: Sequence[str], *, force_refresh: bool, priority: int) -> QueueReport:
    """Queue one batch in one statement (tasks.defer_enrichment's rule) and count what it did."""
    jobs = defer_enrichment(track_ids, priority=priority, force_refresh=force_refresh)
    queued = sum(job is not None for job in jobs.values())
    return QueueReport(queued, len(jobs) - queued)


def reset_retries(queryset: QuerySet[Track]) -> UpdateReport:
    """Retry count back to 0 and failed tracks back to pending; tracks being enriched untouched."""
    statuses = (
        EnrichmentStatus.objects.filter(track__in=queryset.order_by().values("pk"))
        .exclude(status=Status.IN_PROGRESS)
        .filter(Q(retry_count__gt=0) | Q(status=Status.FAILED))
    )
    return bounded_update(statuses, retry_count=0, status=_FAILED_TO_PENDING)


def lock_fields(queryset: QuerySet[Track], fields: Sequence[str]) -> UpdateReport:
    """Add fields to every track's locks (enrichment then never overwrites them)."""
    unlocked = queryset.order_by().exclude(locked_fields__contains=list(fields))
    return bounded_update(
        unlocked, locked_fields=RawSQL(_LOCK_SQL, [list(fields)]), updated_at=Now()
    )


def unlock_fields(queryset: QuerySet[Track], fields: Sequence[str]) -> UpdateReport:
    """Remove fields from every track's locks."""
    holding = queryset.order_by().filter(locked_fields__overlap=list(fields))
    return bounded_update(
        holding, locked_fields=RawSQL(_UNLOCK_SQL, [list(fields)]), updated_at=Now()
    )


def scale_bpm(queryset: QuerySet[Track], factor: float, curator: str) -> UpdateReport:
    """Halve (0.5) or double (2) the BPM of tracks that have one, and lock it as the curator's.

    Each track's octave flag is resolved by it. Up to ADMIN_ACTION_LIMIT tracks per request.
    """
    limit = settings.ADMIN_ACTION_LIMIT
    rows = queryset.order_by("pk").filter(bpm__isnull=False)
    chosen = list(rows.values_list("pk", flat=True)[:limit])
    now, changed = timezone.now(), 0
    for start in range(0, len(chosen), settings.ADMIN_UPDATE_BATCH_SIZE):
        batch = chosen[start : start + settings.ADMIN_UPDATE_BATCH_SIZE]
        with transaction.atomic():
            for track in Track.objects.select_for_update().filter(pk__in=batch):
                changed += _scale_one(track, factor, curator, now)
    left = rows.count() - len(chosen) if len(chosen) >= limit else 0
    return UpdateReport(changed, left)


def _scale_one(track: Track, factor: float, curator: str, now: Any) -> bool:
    scaled = round((track.bpm or 0.0) * factor, 3)
    if not 0 < scaled < 1000:  # the column's range
        return False
    track.bpm = scaled
    entry = track_metadata.provenance_entry(track_metadata.CURATOR, now, curator=curator)
    track_metadata.record_provenance(track, "bpm", entry)
    track_metadata.set_octave_flag(track, None)
    track.locked_fields = sorted({*track.locked_fields, "bpm"})
    track.save(update_fields=["bpm", "metadata", "locked_fields", "updated_at"])
    return True
