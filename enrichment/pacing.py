"""Per-source pacing: which sources a track's job asks itself, which in follow-up jobs.

A source whose API is slower than every enabled source of BPM or key (the figures a DJ needs
first) is not asked by the track's job: the job asks the fast ones, writes the track (BPM,
key and Camelot are visible at once), marks the slow ones "pending" and queues one follow-up
job per slow source on that source's own queue (`enrich-<source>`), so each queue is drained
at its own rate. "Slow" is derived from the configured rates (settings.SOURCES), never from
names. A slow source whose API is free at that moment (nobody waiting for a turn, e.g. the
catalogue is small or its queue drained, and its breaker closed) is asked by the track's job
after all: a follow-up job would only add its own cost. Should that ask fail transiently, the
source goes to its follow-up job like the others (the track's job is not retried for it); one
already pending keeps its follow-up. ENRICH_INLINE_WHEN_IDLE=false always leaves it to one.
ENRICH_FOLLOW_UPS=false asks every source in the track's job, as before.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence

from django.conf import settings
from django.db import connection

from enrichment.sources import registry

QUEUE_PREFIX = "enrich-"
# The fields whose sources set the pace of the track's job.
FIRST_FIELDS = ("bpm", "key_pitch_class")


def enabled() -> bool:
    """Are slow sources asked in follow-up jobs (ENRICH_FOLLOW_UPS)?"""
    return bool(settings.ENRICH_FOLLOW_UPS)


def rate(provider: str) -> float:
    """The configured rate (requests per second) of the provider's API."""
    return float(settings.SOURCES[registry.provider(provider).api]["rate_limit"])


def slow_providers(enabled_providers: Sequence[str]) -> list[str]:
    """The enabled providers whose API is slower than every enabled source of BPM or key."""
    first = [
        name
        for name in enabled_providers
        if any(f in registry.provider(name).supplies for f in FIRST_FIELDS)
    ]
    if not first:
        return []
    pace = min(rate(name) for name in first)
    return [name for name in enabled_providers if rate(name) < pace]


def deferred(providers: Iterable[str]) -> set[str]:
    """Of these slow providers, the ones a track's job leaves to follow-up jobs now: every
    one, or with ENRICH_INLINE_WHEN_IDLE those whose API is not free (busy() says why)."""
    wanted = set(providers)
    if not wanted or not settings.ENRICH_INLINE_WHEN_IDLE:
        return wanted
    taken = busy({registry.provider(name).api for name in wanted})
    return {name for name in wanted if registry.provider(name).api in taken}


def busy(apis: Collection[str]) -> set[str]:
    """The APIs among these that are not free now: callers wait for a turn (the next slot of
    the shared limiter is ahead), or the circuit breaker is not closed. One statement; an API
    never asked has neither row, and is free."""
    if not apis:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(_BUSY, {"apis": sorted(apis)})
        return {row[0] for row in cursor.fetchall()}


_BUSY = (
    "SELECT api FROM rate_limit_state WHERE api = ANY(%(apis)s)"
    " AND theoretical_arrival > extract(epoch FROM clock_timestamp())::float8"
    " UNION SELECT api FROM circuit_breaker_state WHERE api = ANY(%(apis)s) AND state <> 'closed'"
)


def follow_up_providers() -> list[str]:
    """The providers asked in follow-up jobs with the current settings (none when off)."""
    if not enabled():
        return []
    return slow_providers(registry.providers_for(settings.ENRICHMENT_SOURCES))


def queue_for(provider: str) -> str:
    """The queue of a provider's follow-up jobs."""
    return f"{QUEUE_PREFIX}{registry.provider(provider).name}"


def follow_up_queues() -> list[str]:
    """Every follow-up queue with the current settings."""
    return [queue_for(name) for name in follow_up_providers()]


def is_follow_up_queue(queue: str) -> bool:
    return queue.startswith(QUEUE_PREFIX)


def follow_up_lock(track_id: object, provider: str) -> str:
    """One queued follow-up per track and source at most."""
    return f"enrich:{track_id}:{provider}"


def follow_up_locks(track_ids: Iterable[object]) -> list[str]:
    """The follow-up locks these tracks may hold with the current settings."""
    providers = follow_up_providers()
    return [follow_up_lock(track_id, name) for track_id in track_ids for name in providers]


def follow_up_concurrency(provider: str, most: int) -> int:
    """Jobs at once for a follow-up queue's worker: enough to keep its source at its rate
    (a quarter of a second of work per job), few enough that none waits for its turn longer
    than half of RATE_LIMIT_MAX_WAIT, and at most `most` (each job holds a connection)."""
    enough = math.ceil(rate(provider) * WORK_SECONDS)
    patient = math.floor(rate(provider) * settings.RATE_LIMIT_MAX_WAIT / 2)
    return max(1, min(most, max(2, min(enough, patient))))


WORK_SECONDS = 0.25
