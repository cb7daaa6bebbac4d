"""Submitted batches, remembered in the shared cache (ENRICH_BATCH_TTL), and their progress."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from enrichment.models import ACTIVE_JOB_STATUSES, EnrichmentStatus, jobs

Status = EnrichmentStatus.Status
UNSETTLED = (Status.PENDING, Status.IN_PROGRESS)


@dataclass(frozen=True)
class Batch:
    """What a batch asked for: its tracks, and the jobs it added (others were queued already)."""

    id: str
    created_at: datetime
    track_ids: list[str]
    job_ids: list[int]


def _key(batch_id: str) -> str:
    return f"enrichment:batch:{batch_id}"


def create(track_ids: Sequence[uuid.UUID], job_ids: Sequence[int]) -> Batch:
    """Remember a new batch (in the caller's transaction, so a rollback forgets it too)."""
    unique = list(dict.fromkeys(str(track_id) for track_id in track_ids))
    batch = Batch(str(uuid.uuid4()), timezone.now(), unique, list(job_ids))
    cache.set(_key(batch.id), asdict(batch), timeout=settings.ENRICH_BATCH_TTL)
    return batch


def load(batch_id: uuid.UUID) -> Batch | None:
    """The batch with this id, or None if unknown or expired."""
    stored = cache.get(_key(str(batch_id)))
    return Batch(**stored) if isinstance(stored, dict) else None


def progress(batch: Batch) -> dict[str, Any]:
    """Its tracks per enrichment status and its jobs per queue status (two grouped counts)."""
    statuses = EnrichmentStatus.objects.filter(track_id__in=batch.track_ids).counts()
    job_counts = jobs().filter(id__in=batch.job_ids).counts()
    settled = sum(count for name, count in statuses.items() if name not in UNSETTLED)
    waiting = sum(job_counts[name] for name in ACTIVE_JOB_STATUSES)
    return {
        "batch_id": batch.id,
        "created_at": batch.created_at,
        "batch_size": len(batch.track_ids),
        "statuses": statuses,
        "jobs": job_counts,
        "settled": settled,
        "finished": waiting == 0 and settled == len(batch.track_ids),
    }
