"""Procrastinate tasks: thin wrappers that load ids and call the pipeline."""

from __future__ import annotations

import datetime
import logging
import random
import uuid
from collections.abc import Iterable

from django.db import transaction
from procrastinate import RetryDecision
from procrastinate.contrib.django import app
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy

from enrichment import pipeline

logger = logging.getLogger(__name__)
QUEUE = "enrichment"


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


@app.task(name="enrichment.enrich_track", queue=QUEUE, retry=TransientRetry())
def enrich_track(track_id: str, force_refresh: bool = False) -> str:
    """Enrich one track (ids travel as strings: job arguments are JSON)."""
    result = pipeline.enrich(uuid.UUID(track_id), force_refresh=force_refresh)
    if result.claimed and result.transient:
        raise TransientEnrichmentFailure(track_id, result.retry_after)
    return result.status


def queueing_lock(track_id: uuid.UUID | str) -> str:
    """One queued job per track at most."""
    return f"enrich:{track_id}"


def defer_enrichment(
    track_ids: Iterable[uuid.UUID | str], *, priority: int = 0, force_refresh: bool = False
) -> dict[str, int | None]:
    """Queue a job per track; {track id: job id, or None when one was already queued}."""
    jobs: dict[str, int | None] = {}
    for track_id in track_ids:
        deferrer = enrich_track.configure(queueing_lock=queueing_lock(track_id), priority=priority)
        try:
            # A nested atomic: AlreadyEnqueued would otherwise poison an outer transaction.
            with transaction.atomic():
                jobs[str(track_id)] = deferrer.defer(
                    track_id=str(track_id), force_refresh=force_refresh
                )
        except AlreadyEnqueued:
            jobs[str(track_id)] = None
    return jobs
