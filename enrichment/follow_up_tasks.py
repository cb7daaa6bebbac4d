"""The follow-up job of one slow source for one track (enrichment.pacing), on its own queue.

Queued by the track's job, inside the transaction that marks the source pending; one per
track and source (queueing lock). Retried like the track's job on transient trouble; a worker
killed while running it has it recovered by the stalled-job recovery like any job.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import uuid

from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
)
from procrastinate.contrib.django import app
from procrastinate.job_context import JobContext

from enrichment import follow_ups, pacing, pipeline
from enrichment.logging import log_context
from enrichment.tasks import (
    DATABASE_WAIT_SECONDS,
    QUEUE,
    TransientEnrichmentFailure,
    TransientRetry,
    _enrichment_executor,
    in_pool,
    lock_waiting,
    wait_for_database,
)

logger = logging.getLogger(__name__)
FOLLOW_UP_TASK = "enrichment.enrich_track_source"
# Below every track job's priority: a worker listening on every queue takes the tracks'
# jobs first, and the follow-up queues have workers of their own (run_workers).
FOLLOW_UP_PRIORITY = 0


@app.task(name=FOLLOW_UP_TASK, queue=QUEUE, retry=TransientRetry(), pass_context=True)
async def enrich_track_source(
    context: JobContext, track_id: str, source: str, force_refresh: bool = False
) -> str:
    """Ask one slow source about one track (queued on `enrich-<source>`)."""
    loop = asyncio.get_running_loop()
    with log_context(job_id=context.job.id if context.job else None):
        try:
            result = await loop.run_in_executor(
                _enrichment_executor(), run_follow_up, track_id, source, force_refresh
            )
        except TransientEnrichmentFailure as failure:
            retry_after = failure.retry_after
        else:
            if not result.transient:
                return str(result.status)
            retry_after = result.retry_after
    if await in_pool(_queued, track_id, source):
        return "retry left to the queued job"
    raise TransientEnrichmentFailure(track_id, retry_after)


def run_follow_up(track_id: str, source: str, force_refresh: bool) -> pipeline.EnrichmentResult:
    """One follow-up attempt in a pool thread (a lost database: retried once it is back)."""
    close_old_connections()
    try:
        return follow_ups.enrich_source(uuid.UUID(track_id), source, force_refresh=force_refresh)
    except (OperationalError, InterfaceError) as error:
        logger.warning("database lost while asking %s about %s: %s", source, track_id, error)
        wait_for_database(DATABASE_WAIT_SECONDS)
        raise TransientEnrichmentFailure(track_id, 5.0) from error
    finally:
        close_old_connections()


def _queued(track_id: str, source: str) -> bool:
    """Is another follow-up of this track and source waiting in its queue?"""
    return lock_waiting(pacing.follow_up_lock(track_id, source))


def defer_follow_ups(track_id: str, sources: list[str], *, force_refresh: bool = False) -> None:
    """Queue one follow-up per source (one already waiting is kept), in the caller's
    transaction, in one statement. Through Django's connection, not Procrastinate's: this
    runs in a worker's pool thread, where the worker's own (async) connector must not be
    used."""
    if not sources:
        return
    jobs = [
        {
            "queue": pacing.queue_for(source),
            "lock": pacing.follow_up_lock(track_id, source),
            "args": {"track_id": track_id, "source": source, "force_refresh": force_refresh},
        }
        for source in sources
    ]
    with connection.cursor() as cursor:
        cursor.execute(DEFER_SQL, [FOLLOW_UP_TASK, FOLLOW_UP_PRIORITY, json.dumps(jobs)])
        queued = {row[0] for row in cursor.fetchall()}
    for job in jobs:
        if job["lock"] not in queued:  # the queueing lock: a follow-up is already waiting
            logger.info("follow-up %s already queued", job["lock"])


# One INSERT ... SELECT into Procrastinate's table, as its own defer inserts (its triggers
# notify the workers listening on the queue and log the event); a job whose queueing lock a
# waiting job holds is skipped by the lock's unique index.
DEFER_SQL = (
    "INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args,"
    " scheduled_at) SELECT job->>'queue', %s, %s, NULL, job->>'lock', job->'args', NULL"
    " FROM jsonb_array_elements(%s::jsonb) AS job"
    " ON CONFLICT DO NOTHING RETURNING queueing_lock"
)


def follow_ups_for(force_refresh: bool) -> pipeline.FollowUps:
    """The callback a track's attempt queues its follow-ups with."""
    return functools.partial(defer_follow_ups, force_refresh=force_refresh)
