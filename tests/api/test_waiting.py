"""The bounded wait of a synchronous POST /enrich: for the job's report, within its limits."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from enrichment import attempt_reports, pipeline, tasks
from enrichment.api import waiting
from enrichment.models import EnrichmentStatus, jobs, outcome_record
from tests.factories import make_track

pytestmark = pytest.mark.django_db


def job_for(track_id: Any, priority: int) -> int:
    """A queued enrichment job for the track; its id."""
    jobs = tasks.defer_enrichment([track_id], priority=priority)
    job_id = jobs[str(track_id)]
    assert job_id is not None
    return job_id


def finish(job_id: int, status: str) -> None:
    """Move a job as a worker would."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET status = %s WHERE id = %s", [status, job_id])


def test_the_report_of_the_job_is_returned_as_soon_as_it_is_there(track: Any) -> None:
    job_id = job_for(track.pk, 15)
    result = pipeline.EnrichmentResult(str(track.pk), "partial", ["deezer"], upstream_calls=2)
    attempt_reports.remember(job_id, result)
    report = waiting.wait_for_attempt(job_id, str(track.pk), 5)
    assert report is not None
    assert (report["status"], report["sources_used"], report["upstream_calls"]) == (
        "partial", ["deezer"], 2,
    )  # fmt: skip


def test_no_report_within_the_timeout_is_none(track: Any) -> None:
    assert waiting.wait_for_attempt(job_for(track.pk, 15), str(track.pk), 0.2) is None


def test_a_job_that_ended_without_a_report_is_answered_from_the_track_status(
    track: Any,
) -> None:
    job_id = job_for(track.pk, 5)
    EnrichmentStatus.objects.filter(track=track).update(
        status="partial",
        source_outcomes={
            "deezer": outcome_record("data", "", track.created_at),
            "discogs": outcome_record("transient", "HTTP 503", track.created_at),
        },
    )
    finish(job_id, "succeeded")
    report = waiting.wait_for_attempt(job_id, str(track.pk), 5)
    assert report is not None
    assert (report["status"], report["sources_used"]) == ("partial", ["deezer"])
    assert report["errors"] == {"discogs": "transient: HTTP 503"} and report["cached"] is False


def test_only_jobs_someone_waits_for_leave_a_report(track: Any) -> None:
    other = make_track(title="Ghosts 'n' Stuff")
    for track_id, priority, waited in ((track.pk, 15, True), (other.pk, 10, False)):
        fetched = jobs().get(id=job_for(track_id, priority))  # the row as a worker takes it
        assert tasks.waited_for(fetched.priority) is waited


def test_the_waiters_of_a_process_are_bounded(settings: Any) -> None:
    settings.ENRICH_SYNC_MAX_WAITERS = 2
    slots = waiting.waiter_slot(), waiting.waiter_slot(), waiting.waiter_slot()
    with slots[0] as first, slots[1] as second, slots[2] as third:
        assert (first, second, third) == (True, True, False)
    with waiting.waiter_slot() as again:
        assert again is True
