"""What one job's enrichment attempt did, kept briefly for a web process waiting on the job.

The worker writes it when the attempt of a job someone waits for ends (priority above
tasks.WAITED_FOR_ABOVE; the shared cache is the database, so any web process reads it);
POST /enrich, waiting for that job, answers with it.
"""

from __future__ import annotations

from typing import Any, TypedDict, cast

from django.core.cache import cache

from enrichment import pipeline

# Long enough for any waiting request (ENRICH_SYNC_TIMEOUT is at most 300 s), short enough
# that reports of jobs nobody waits for vanish soon.
REPORT_SECONDS = 900


class AttemptReport(TypedDict):
    """One attempt's result as the original service reported it, plus its upstream counts."""

    status: str
    sources_used: list[str]
    errors: dict[str, str]
    duration_seconds: float
    cached: bool
    claimed: bool
    upstream_calls: int
    cache_hits: int


def _key(job_id: int) -> str:
    return f"enrichment:attempt:{job_id}"


def remember(job_id: int, result: pipeline.EnrichmentResult) -> None:
    """Keep the attempt's result under its job id."""
    report = AttemptReport(
        status=str(result.status),
        sources_used=list(result.sources_used),
        errors=dict(result.errors),
        duration_seconds=result.duration_seconds,
        cached=result.cached,
        claimed=result.claimed,
        upstream_calls=result.upstream_calls,
        cache_hits=result.cache_hits,
    )
    cache.set(_key(job_id), report, timeout=REPORT_SECONDS)


def load(job_id: int) -> AttemptReport | None:
    """The report of the job's latest attempt, or None while it has none."""
    stored: Any = cache.get(_key(job_id))
    return cast(AttemptReport, stored) if isinstance(stored, dict) else None
