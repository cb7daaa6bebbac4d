"""A bounded wait for a deferred enrichment job's attempt (synchronous POST /enrich).

The web process never calls upstream itself: it defers a job and polls, with a growing
interval, for the report the worker writes when the attempt ends. The wait is bounded in
time (ENRICH_SYNC_TIMEOUT) and in waiters per process (ENRICH_SYNC_MAX_WAITERS).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from enrichment import attempt_reports
from enrichment.attempt_reports import AttemptReport
from enrichment.models import EnrichmentStatus, SourceOutcome, jobs

FIRST_POLL_SECONDS = 0.05
LONGEST_POLL_SECONDS = 0.5
# Job states after which no report will come (a crash, a cancelled or aborted job).
ENDED_WITHOUT_REPORT = ("succeeded", "failed", "cancelled", "aborted")

_waiters_lock = threading.Lock()
_waiters = 0


@contextmanager
def waiter_slot() -> Iterator[bool]:
    """A place among this process's waiters: True if taken, False if all are busy."""
    global _waiters
    with _waiters_lock:
        taken = _waiters < settings.ENRICH_SYNC_MAX_WAITERS
        _waiters += taken
    try:
        yield taken
    finally:
        if taken:
            with _waiters_lock:
                _waiters -= 1


def wait_for_attempt(job_id: int, track_id: str, timeout: float) -> AttemptReport | None:
    """The job's attempt report, or None if it has not ended within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    pause = FIRST_POLL_SECONDS
    while True:
        report = attempt_reports.load(job_id)
        if report is not None:
            return report
        if jobs().filter(id=job_id, status__in=ENDED_WITHOUT_REPORT).exists():
            return attempt_reports.load(job_id) or _report_from_status(track_id)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, LONGEST_POLL_SECONDS)


def _report_from_status(track_id: str) -> AttemptReport:
    """A job ended without a report (it crashed, or was running before anyone waited for it):
    what the track's status records (its upcall counts unknown, so not "cached")."""
    status = EnrichmentStatus.objects.filter(track_id=track_id).first()
    outcomes = status.source_outcomes if status else {}
    seen = {name: o for name, o in outcomes.items() if isinstance(o, dict)}
    errors = {
        name: f"{o.get('outcome')}: {o.get('detail', '')}".strip()
        for name, o in seen.items()
        if o.get("outcome") not in SourceOutcome.settled()
    }
    if status is None or (status.status == EnrichmentStatus.Status.FAILED and not errors):
        errors["track"] = (status.error_message if status else "") or "no attempt recorded"
    return AttemptReport(
        status=status.status if status else EnrichmentStatus.Status.FAILED,
        sources_used=sorted(n for n, o in seen.items() if o.get("outcome") == SourceOutcome.DATA),
        errors=errors,
        duration_seconds=0.0,
        cached=False,
        claimed=True,
        upstream_calls=0,
        cache_hits=0,
    )
