"""Set-level upkeep the periodic jobs run: due selection, lost claims, pruning."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.db import connection

from enrichment.models import EnrichmentStatus

_MISSING_STATUS = """
INSERT INTO enrichment_status
    (track_id, status, sources_enriched, retry_count, error_message, source_outcomes, updated_at)
SELECT track.id, 'pending', 0, 0, NULL, '{}'::jsonb, now()
  FROM tracks AS track
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
    return EnrichmentStatus.objects.stale_claims().update(
        status=EnrichmentStatus.Status.PENDING, claimed_at=None
    )
