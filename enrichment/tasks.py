"""Procrastinate tasks: thin wrappers that load ids and call the pipeline or the upkeep.

Enrichment runs in its own thread pool (ENRICH_THREADS), not in the worker's default
executor: Procrastinate runs sync tasks in min(32, cpus + 4) threads whatever --concurrency
says, and rate-limited jobs spend most of their time waiting for their turn.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from procrastinate import RetryDecision
from procrastinate.contrib.django import app
from procrastinate.job_context import JobContext
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy

from enrichment import attempt_reports, coverage, maintenance, pacing, pipeline
from enrichment.logging import log_context
from enrichment.models import ENRICHMENT_QUEUE, EnrichmentStatus, jobs
from enrichment.sources.cache import purge_expired

logger = logging.getLogger(__name__)
QUEUE = ENRICHMENT_QUEUE
MAINTENANCE_QUEUE = "maintenance"
# Above any enrichment priority (the API's 1-10, curators' 10): a worker listening on every
# queue takes a due maintenance job before the backlog. run_workers also gives the
# maintenance queue a worker of its own, so it never waits for a busy slot to free.
MAINTENANCE_PRIORITY = 100
# Jobs above this priority have a caller waiting for them (a synchronous POST /enrich): their
# attempt leaves a report for it (enrichment.attempt_reports). The API's 1-10 and the
# curators' 10 are at or below it.
WAITED_FOR_ABOVE = 10
TASK_NAME = "enrichment.enrich_track"
T = TypeVar("T")


class TransientEnrichmentFailure(Exception):
    """An attempt ended with a provider failing transiently: the job should run again."""

    def __init__(self, track_id: str, retry_after: float | None) -> None:
        super().__init__(f"track {track_id}: transient upstream failure, retry in {retry_after}s")
        self.retry_after = retry_after


class TransientRetry(BaseRetryStrategy):
    """Retry transient failures only: capped exponential backoff with full jitter, never
    sooner than the upstream's Retry-After hint. (Procrastinate's own `exponential_wait` is
    uncapped and has no jitter.)"""

    max_attempts = 5
    base_seconds = 30.0
    cap_seconds = 3600.0

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if not isinstance(exception, TransientEnrichmentFailure):
            return None
        if job.attempts >= self.max_attempts:
            return None
        backoff = min(self.cap_seconds, self.base_seconds * 2**job.attempts)
        wait = max(exception.retry_after or 0.0, random.uniform(backoff / 2, backoff))
        delay = datetime.timedelta(seconds=min(wait, self.cap_seconds))
        return RetryDecision(retry_at=datetime.datetime.now(datetime.UTC) + delay)


_executor: ThreadPoolExecutor | None = None


def _enrichment_executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(settings.ENRICH_THREADS, thread_name_prefix="enrich")
    return _executor


def run_enrichment(
    track_id: str, force_refresh: bool, job_id: int | None = None, report: bool = False
) -> pipeline.EnrichmentResult:
    """One attempt in a pool thread, with that thread's reused database connection.

    A job nobody waits for leaves its slow sources to follow-up jobs (enrichment.pacing); a
    job a caller waits for (POST /enrich) asks every source, so the answer is the whole one.
    """
    from enrichment.follow_up_tasks import follow_ups_for

    close_old_connections()
    try:
        follow_ups = follow_ups_for(force_refresh) if pacing.enabled() and not report else None
        # Log context does not cross into executor threads: set it here.
        with log_context(job_id=job_id):
            result = pipeline.enrich(
                uuid.UUID(track_id), force_refresh=force_refresh, follow_ups=follow_ups
            )
        if report and job_id is not None:  # for a POST /enrich waiting on this job
            attempt_reports.remember(job_id, result)
        return result
    except (OperationalError, InterfaceError) as error:
        # The database went away mid-attempt: once it is back, unclaim the track and let
        # the job run again, instead of failing it and leaving the track in_progress.
        logger.warning("database lost while enriching %s: %s", track_id, error)
        if wait_for_database(DATABASE_WAIT_SECONDS):
            maintenance.release_claims([track_id])
        raise TransientEnrichmentFailure(track_id, 5.0) from error
    finally:
        close_old_connections()


async def in_pool(func: Callable[..., T], *args: Any) -> T:
    """func(*args) in an enrichment pool thread, that thread's connection checked before and
    closed after if old or broken (these tasks skip Procrastinate's per-job Django cleanup:
    enrichment.queue_connector.OWN_CONNECTIONS)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_enrichment_executor(), _with_checked_connection, func, *args)


def _with_checked_connection(func: Callable[..., T], *args: Any) -> T:
    close_old_connections()
    try:
        return func(*args)
    finally:
        close_old_connections()


# Bounded well below the ~30 s in which a worker gives up on a lost database: the worker
# waits for its running jobs before it exits (and run_workers restarts it).
DATABASE_WAIT_SECONDS = 10.0


def wait_for_database(timeout: float) -> bool:
    """Poll until the database answers again (True), or give up after timeout (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection.close()
        try:
            connection.ensure_connection()
            return True
        except (OperationalError, InterfaceError):
            time.sleep(1.0)
    return False


@app.task(name=TASK_NAME, queue=QUEUE, retry=TransientRetry(), pass_context=True)
async def enrich_track(context: JobContext, track_id: str, force_refresh: bool = False) -> str:
    """Enrich one track (ids travel as strings: job arguments are JSON)."""
    loop = asyncio.get_running_loop()
    job_id = context.job.id if context.job else None
    report = context.job is not None and waited_for(context.job.priority)
    try:
        result = await loop.run_in_executor(
            _enrichment_executor(), run_enrichment, track_id, force_refresh, job_id, report
        )
    except TransientEnrichmentFailure as failure:
        retry_after = failure.retry_after
    else:
        if not (result.claimed and result.transient):
            return str(result.status)
        retry_after = result.retry_after
    # A newer job for this track is already queued: it will do the retry (retrying this one
    # too would clash with it on the queueing lock and leave this job stuck in "doing").
    if await in_pool(already_queued, track_id):
        return "retry left to the queued job"
    raise TransientEnrichmentFailure(track_id, retry_after)


def waited_for(priority: int) -> bool:
    """Is a caller waiting for a job of this priority (above WAITED_FOR_ABOVE)?

    The priority the worker fetched the job with has the last word: a request moves a job up
    only while it waits in the queue (enrichment.api.services), never once it runs, so no
    statement of its own is needed to read it again.
    """
    return priority > WAITED_FOR_ABOVE


def already_queued(track_id: uuid.UUID | str) -> bool:
    """Is a job for this track waiting in the queue?"""
    return lock_waiting(queueing_lock(track_id))


def lock_waiting(lock: str) -> bool:
    """Does a waiting job hold this queueing lock? False when the database cannot say (it
    went away mid-job): the job then asks for its retry itself instead of failing for good."""
    try:
        return jobs().filter(queueing_lock=lock, status="todo").exists()
    except (OperationalError, InterfaceError):
        connection.close()
        return False


def queueing_lock(track_id: uuid.UUID | str) -> str:
    """One queued job per track at most."""
    return f"enrich:{track_id}"


def defer_enrichment(
    track_ids: Iterable[uuid.UUID | str], *, priority: int = 0, force_refresh: bool = False
) -> dict[str, int | None]:
    """Queue a job per track in one statement; {track id: new job id, or None if it has one}.

    One rule for every caller (periodic job, admin, API, commands): a track whose job is
    waiting (todo) or running (doing) gets no new job. A waiting job does what a second one
    would. A second job for a running track would start on a free worker while the first
    holds the track's claim, and end without enriching; so even a force refresh of a running
    track is not queued (it counts as already queued: ask again once the track has settled).
    A job queued after the look-up is caught by the queueing lock; should one slip in beside
    a running job, the running job leaves its retry to it.
    """
    ids = list(dict.fromkeys(str(track_id) for track_id in track_ids))
    result: dict[str, int | None] = dict.fromkeys(ids)
    if ids:
        result.update(_defer_many(ids, priority, force_refresh, counted=False))
    return result


def bulk_defer(track_ids: Iterable[uuid.UUID | str]) -> int:
    """Queue many tracks (defer_enrichment's rule); how many jobs were added."""
    ids = list(dict.fromkeys(str(track_id) for track_id in track_ids))
    if not ids:
        return 0
    (row,) = _defer_many(ids, 0, False, counted=True)
    return int(row[0])


def _defer_many(ids: list[str], priority: int, force_refresh: bool, *, counted: bool) -> list[Any]:
    """Run _DEFER_MANY for these distinct track ids: its rows, (track id, job id) per job
    added, or with `counted` one row, how many."""
    # A track whose follow-up jobs (enrichment.pacing) wait or run is busy too.
    suffixes = ["", *(f":{name}" for name in pacing.follow_up_providers())]
    values = [enrich_track.queue, enrich_track.name, priority, force_refresh]
    scan = False
    big = len(ids) > BIG_BATCH
    # SET LOCAL needs a transaction of its own: only a big batch opens one.
    with transaction.atomic() if big else nullcontext(), connection.cursor() as cursor:
        if big:
            cursor.execute(f"SET LOCAL work_mem = '{BIG_BATCH_WORK_MEM}'")
            # Fewer waiting jobs than the batch's possible locks: read them all, rather than
            # look each lock up (400k look-ups for 100k tracks took a third of the statement).
            probes = len(ids) * len(suffixes)
            cursor.execute(_WAITING_UP_TO, [probes])
            scan = cursor.fetchone()[0] < probes
        params: list[Any] = ["\n".join(ids), suffixes, *values]
        cursor.execute(_DEFER_MANY[scan, counted], params)
        return cursor.fetchall()


# A batch above this many tracks: its set operations and sort (100k ids: ~10 MB) stay in
# memory rather than spill to temporary files (Postgres' default work_mem, 4 MB), and its
# waiting jobs are counted first (up to the batch's possible locks) to choose how to find them.
BIG_BATCH = 10_000
BIG_BATCH_WORK_MEM = "64MB"
_WAITING_UP_TO = (
    "SELECT count(*) FROM (SELECT 1 FROM procrastinate_jobs WHERE status = 'todo' LIMIT %s) AS w"
)

# One INSERT ... SELECT, as Procrastinate's defer inserts (its triggers notify the workers and
# log the event). The busy tracks are left out in the same statement: a waiting job's lock (the
# track's, or one of its follow-ups') found with one `= ANY` of every lock the batch could hold
# (or, when fewer jobs wait than that, by reading every waiting enrichment job), a running
# job's among the few running. Set operations only, no look-up correlated with each track: a
# per-track sub-select let the planner scan the whole job table once per track when its
# statistics called the table small (a 100k enqueue then ran for over half an hour). A job
# queued since is skipped by the queueing lock's unique index (ON CONFLICT). The ids come
# without duplicates (the callers'); each job added returns its track's id.
_DEFER_TEMPLATE = """
WITH ids AS MATERIALIZED (SELECT t FROM unnest(string_to_array(%s, E'\\n')) AS t),
waiting AS MATERIALIZED (
    SELECT split_part(job.queueing_lock, ':', 2) AS t
    FROM procrastinate_jobs AS job
    WHERE job.status = 'todo' AND {waiting}),
running AS MATERIALIZED (
    SELECT split_part(job.queueing_lock, ':', 2) AS t
    FROM procrastinate_jobs AS job
    WHERE job.status = 'doing' AND job.queueing_lock LIKE 'enrich:%%'),
fresh AS MATERIALIZED (
    SELECT t FROM ids EXCEPT SELECT t FROM waiting EXCEPT SELECT t FROM running ORDER BY t)
INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args,
    scheduled_at)
SELECT %s, %s, %s, NULL, 'enrich:' || t,
    jsonb_build_object('track_id', t, 'force_refresh', %s::boolean), NULL
FROM fresh
ON CONFLICT DO NOTHING RETURNING split_part(queueing_lock, ':', 2), id
"""
_WAITING = {
    False: "job.queueing_lock = ANY (ARRAY("
    "SELECT 'enrich:' || ids.t || suffix FROM ids, unnest(%s::text[]) AS suffix))",
    # The suffixes are not needed: a track's every waiting job ("enrich:<id>[:<source>]").
    True: "job.queueing_lock LIKE 'enrich:%%' AND cardinality(%s::text[]) > 0",
}
# (scan the waiting jobs?, count the jobs added?) -> the statement.
_DEFER_MANY: dict[tuple[bool, bool], str] = {}
for _scan, _waiting in _WAITING.items():
    _DEFER_MANY[_scan, False] = _DEFER_TEMPLATE.format(waiting=_waiting)
    _DEFER_MANY[_scan, True] = (
        f"WITH added AS ({_DEFER_MANY[_scan, False].strip()}) SELECT count(*) FROM added"
    )


def enqueue_due(limit: int) -> int:
    """Queue the due tracks (oldest attempt first); how many jobs were added."""
    maintenance.add_missing_statuses(limit)
    return bulk_defer(EnrichmentStatus.objects.due_track_ids(limit))


@app.periodic(cron="*/15 * * * *", periodic_id="enqueue-due")
@app.task(
    name="enrichment.enqueue_due",
    queue=MAINTENANCE_QUEUE,
    queueing_lock="enqueue-due",
    priority=MAINTENANCE_PRIORITY,
)
def enqueue_due_tracks(timestamp: int) -> int:
    """Every 15 minutes: queue a batch of due tracks (ENRICH_BATCH_SIZE)."""
    queued = enqueue_due(settings.ENRICH_BATCH_SIZE)
    logger.info("queued %d due track(s)", queued)
    return queued


@app.periodic(cron=settings.RECOVER_STALLED_CRON, periodic_id="recover-stalled")
@app.task(
    name="enrichment.recover_stalled_jobs", queue=MAINTENANCE_QUEUE, priority=MAINTENANCE_PRIORITY
)
async def recover_stalled_jobs(timestamp: int) -> int:
    """Every minute: jobs of workers that stopped heartbeating run again, tracks unstuck."""
    stalled = list(
        await app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=settings.STALLED_AFTER_SECONDS
        )
    )
    track_ids = [str(job.task_kwargs["track_id"]) for job in stalled if job.task_name == TASK_NAME]
    await sync_to_async(maintenance.release_claims)(track_ids)
    for job in stalled:
        await app.job_manager.retry_job(job)
    released = await sync_to_async(maintenance.release_stale_claims)()
    if stalled or released:
        logger.warning("recovered %d stalled job(s), %d stale claim(s)", len(stalled), released)
    return len(stalled)


@app.periodic(cron="* * * * *", periodic_id="statistics")
@app.task(
    name="enrichment.refresh_statistics", queue=MAINTENANCE_QUEUE, priority=MAINTENANCE_PRIORITY
)
def refresh_statistics(timestamp: int) -> int:
    """Every minute: recount coverage and statuses, so /stats and the dashboard read a snapshot."""
    return int(coverage.refresh_statistics()["track_stats"]["total_tracks"])


@app.periodic(cron="17 3 * * *", periodic_id="prune")
@app.task(name="enrichment.prune", queue=MAINTENANCE_QUEUE, priority=MAINTENANCE_PRIORITY)
async def prune(timestamp: int) -> int:
    """Daily: drop expired cache rows, succeeded jobs after 7 days, failed after 30."""
    deleted = await sync_to_async(purge_expired)()
    await app.job_manager.delete_old_jobs(nb_hours=7 * 24)
    await app.job_manager.delete_old_jobs(nb_hours=30 * 24, include_failed=True)
    return deleted


# Registers the follow-up task (the worker imports this module to find tasks).
from enrichment import follow_up_tasks  # noqa: E402, F401
