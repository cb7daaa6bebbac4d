"""Set-level upkeep the periodic jobs run: due selection, lost claims, pruning, breaker gauges."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from enrichment import metrics
from enrichment.models import CircuitBreakerState, EnrichmentStatus

_MISSING_STATUS = """
INSERT INTO enrichment_status
    (track_id, status, sources_enriched, retry_count, error_message, source_outcomes, updated_at)
SELECT track.id, 'pending', 0, 0, '', '{}'::jsonb, now()
  FROM enrichment_track AS track
 WHERE NOT EXISTS (SELECT 1 FROM enrichment_status AS s WHERE s.track_id = track.id)
 LIMIT %s
ON CONFLICT (track_id) DO NOTHING
"""


def add_missing_statuses(limit: int) -> int:
    """Give tracks inserted behind our back (no status row) a pending status."""
    with connection.cursor() as cursor:
        cursor.execute(_MISSING_STATUS, [limit])
        return cursor.rowcount


def release_claims(track_ids: Sequence[uuid.UUID | str]) -> int:
    """Put tracks whose worker died back to pending (their job is retried separately)."""
    return EnrichmentStatus.objects.filter(
        track_id__in=list(track_ids), status=EnrichmentStatus.Status.IN_PROGRESS
    ).update(status=EnrichmentStatus.Status.PENDING, claimed_at=None)


def release_stale_claims() -> int:
    """Claims older than ENRICH_CLAIM_TIMEOUT belong to no live attempt: back to pending."""
    cutoff = timezone.now() - timedelta(seconds=settings.ENRICH_CLAIM_TIMEOUT)
    return EnrichmentStatus.objects.filter(
        status=EnrichmentStatus.Status.IN_PROGRESS, claimed_at__lt=cutoff
    ).update(status=EnrichmentStatus.Status.PENDING, claimed_at=None)


def publish_breaker_states() -> dict[str, str]:
    """Copy every API's shared breaker state into the circuit_breaker_state gauge."""
    states = dict(CircuitBreakerState.objects.values_list("api", "state"))
    for name in settings.SOURCES:
        metrics.set_breaker_state(name, states.get(name, "closed"))
    return states
