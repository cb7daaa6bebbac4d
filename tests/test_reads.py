"""The shared reads: statuses, breakers and jobs, counted once for admin, API, health, /metrics."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from enrichment import tasks
from enrichment.models import (
    CircuitBreakerState,
    EnrichmentStatus,
    StatusTally,
    claim_cutoff,
    jobs,
)
from tests.factories import make_track

pytestmark = pytest.mark.django_db
NO_JOBS = {"todo": 0, "doing": 0, "succeeded": 0, "failed": 0, "cancelled": 0, "aborted": 0}


def move_job(job_id: int | None, status: str) -> None:
    """Move a job as a worker would (the job table is read-only through the ORM)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET status = %s WHERE id = %s", [status, job_id])


def test_status_counts_list_every_status_even_an_empty_one() -> None:
    make_track(status="failed")
    make_track(status="failed")
    make_track(status="completed")
    assert EnrichmentStatus.objects.counts() == {
        "pending": 0, "in_progress": 0, "completed": 1, "partial": 0, "failed": 2,
    }  # fmt: skip


def test_per_status_adds_the_average_retry_count() -> None:
    first, second = make_track(status="failed"), make_track(status="failed")
    EnrichmentStatus.objects.filter(track=first).update(retry_count=1)
    EnrichmentStatus.objects.filter(track=second).update(retry_count=2)
    tallies = EnrichmentStatus.objects.per_status()
    assert tallies["failed"] == StatusTally(2, 1.5)
    assert tallies["pending"] == StatusTally(0, 0.0)


def test_failed_tracks_without_retries_left_are_exhausted() -> None:
    exhausted, retried = make_track(status="failed"), make_track(status="failed")
    EnrichmentStatus.objects.filter(track=exhausted).update(retry_count=3)
    EnrichmentStatus.objects.filter(track=retried).update(retry_count=2)
    assert [s.track_id for s in EnrichmentStatus.objects.exhausted()] == [exhausted.pk]


def test_claims_older_than_the_claim_timeout_are_stale(settings: Any) -> None:
    settings.ENRICH_CLAIM_TIMEOUT = 600
    now = timezone.now()
    assert claim_cutoff(now) == now - dt.timedelta(seconds=600)
    old, fresh = make_track(status="in_progress"), make_track(status="in_progress")
    EnrichmentStatus.objects.filter(track=old).update(claimed_at=now - dt.timedelta(minutes=11))
    EnrichmentStatus.objects.filter(track=fresh).update(claimed_at=now - dt.timedelta(minutes=9))
    assert [s.track_id for s in EnrichmentStatus.objects.stale_claims(now)] == [old.pk]


def test_breaker_states_are_the_stored_rows_and_closed_for_apis_without_one() -> None:
    CircuitBreakerState.objects.create(api="beta", state="open", opened_at=timezone.now())
    assert CircuitBreakerState.objects.states(["alpha"]) == {"alpha": "closed", "beta": "open"}
    assert list(CircuitBreakerState.objects.by_api()) == ["beta"]


def test_job_counts_list_every_status_and_only_the_chosen_jobs() -> None:
    waiting, running = make_track(), make_track()
    queued = tasks.defer_enrichment([waiting.pk, running.pk])
    move_job(queued[str(running.pk)], "doing")
    tasks.refresh_statistics.configure().defer(timestamp=0)  # a maintenance job
    assert jobs().enrichment().counts() == {**NO_JOBS, "todo": 1, "doing": 1}
    assert jobs().counts() == {**NO_JOBS, "todo": 2, "doing": 1}
    assert jobs().enrichment().active().count() == 2


def test_jobs_per_queue_always_list_the_enrichment_queue() -> None:
    assert jobs().counts_per_queue() == {"enrichment": NO_JOBS}
    tasks.refresh_statistics.configure().defer(timestamp=0)
    assert jobs().counts_per_queue() == {
        "enrichment": NO_JOBS,
        "maintenance": {**NO_JOBS, "todo": 1},
    }


def test_a_lock_is_held_by_a_waiting_or_running_job_not_a_finished_one() -> None:
    waiting, running, finished = make_track(), make_track(), make_track()
    queued = tasks.defer_enrichment([waiting.pk, running.pk, finished.pk])
    move_job(queued[str(running.pk)], "doing")
    move_job(queued[str(finished.pk)], "succeeded")
    locks = [tasks.queueing_lock(t.pk) for t in (waiting, running, finished)]
    assert jobs().held_locks(locks) == set(locks[:2])
