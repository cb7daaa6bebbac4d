"""A follow-up attempt: one slow source asked for one track, in its own job (enrichment.pacing).

It merges what the source found by the same rules as any attempt (precedence, locks,
provenance; the track row locked) and recomputes the track's status from every source's
latest outcome: completed once every enabled source has answered. It takes no claim: the
queueing lock allows one follow-up per track and source, and the row lock orders merges.
"""

from __future__ import annotations

import logging
import uuid

from django.db import DatabaseError

from enrichment import metrics, track_rows
from enrichment.logging import log_context
from enrichment.lookups import Outcome, run_all
from enrichment.models import SourceOutcome
from enrichment.pipeline import EnrichmentResult, attempt_for, persist
from enrichment.redaction import redact

logger = logging.getLogger(__name__)


def enrich_source(
    track_id: uuid.UUID | str, provider: str, *, force_refresh: bool = False
) -> EnrichmentResult:
    """Ask one source about one track and merge its answer; the track's new status."""
    with log_context(track_id=str(track_id), source=provider):
        track = track_rows.load(track_id)
        attempt = attempt_for(track, force_refresh, only=provider)
        try:
            run_all(attempt)
        except Exception as error:  # a bug in a step: that source's error, not the track's
            record_source_failure(track_id, provider, redact(f"{type(error).__name__}: {error}"))
            raise
        result = persist(track.pk, attempt, follow_up=True)
        result.upstream_calls = sum(source.network_calls for source in attempt.sources.values())
        result.cache_hits = sum(source.cache_hits for source in attempt.sources.values())
        for name, outcome in attempt.outcomes.items():
            metrics.SOURCE_OUTCOMES.labels(source=name, status=outcome.outcome).inc()
        return result


def record_source_failure(track_id: uuid.UUID | str, provider: str, message: str) -> None:
    """Record a crashed follow-up as its source's error (the track's status recomputed)."""
    logger.exception("follow-up %s of %s failed", provider, track_id)
    try:
        track = track_rows.load(track_id)
        attempt = attempt_for(track, False, only=provider)
        attempt.outcomes[provider] = Outcome(SourceOutcome.ERROR, message[:500])
        persist(track.pk, attempt, follow_up=True)
    except DatabaseError:
        logger.exception("could not record the failure of follow-up %s of %s", provider, track_id)
