"""Which tracks the periodic job picks, in what order, and how jobs are queued and retried."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from enrichment import tasks
from enrichment.models import ENRICHMENT_QUEUE, EnrichmentStatus, JobQuerySet, Track
from tests.factories import make_track

pytestmark = pytest.mark.django_db


def with_status(status: str, *, hours_ago: float | None = None, retries: int = 0) -> Track:
    track = make_track(status=status)
    last = timezone.now() - dt.timedelta(hours=hours_ago) if hours_ago is not None else None
    EnrichmentStatus.objects.filter(track=track).update(last_attempt=last, retry_count=retries)
    return track


def due(limit: int = 100) -> list[Any]:
    return EnrichmentStatus.objects.due_track_ids(limit)


def test_pending_failed_with_retries_left_and_old_partial_tracks_are_due() -> None:
    pending = with_status("pending")
    failed = with_status("failed", hours_ago=1, retries=2)
    old_partial = with_status("partial", hours_ago=25)
    assert set(due()) == {pending.pk, failed.pk, old_partial.pk}


def test_done_exhausted_recent_and_running_tracks_are_not_due() -> None:
    with_status("completed", hours_ago=100)
    with_status("failed", hours_ago=100, retries=3)
    with_status("partial", hours_ago=23)
    with_status("in_progress", hours_ago=1)
    assert due() == []


def test_oldest_attempt_comes_first_and_never_tried_before_everything() -> None:
    newer = with_status("failed", hours_ago=1)
    older = with_status("partial", hours_ago=48)
    never = with_status("pending")
    assert due() == [never.pk, older.pk, newer.pk]


def test_the_batch_size_bounds_the_selection() -> None:
    for _ in range(5):
        with_status("pending")
    assert len(due(limit=3)) == 3


def test_tracks_without_a_status_row_are_given_one_and_become_due() -> None:
    track = make_track(status=None)
    assert tasks.enqueue_due(10) == 1
    assert EnrichmentStatus.objects.get(track=track).status == "pending"


def queued_jobs() -> list[ProcrastinateJob]:
    return list(ProcrastinateJob.objects.filter(task_name=tasks.TASK_NAME, status="todo"))


def test_a_track_is_never_queued_twice() -> None:
    track = make_track()
    first = tasks.defer_enrichment([track.pk])
    second = tasks.defer_enrichment([track.pk])
    assert first[str(track.pk)] is not None
    assert second[str(track.pk)] is None
    assert len(queued_jobs()) == 1


def test_bulk_enqueue_skips_tracks_already_queued() -> None:
    tracks = [make_track() for _ in range(4)]
    tasks.defer_enrichment([tracks[0].pk])
    assert tasks.bulk_defer([t.pk for t in tracks]) == 3
    assert tasks.bulk_defer([t.pk for t in tracks]) == 0
    jobs = queued_jobs()
    assert sorted(job.args["track_id"] for job in jobs) == sorted(str(t.pk) for t in tracks)
    assert all(job.queueing_lock == f"enrich:{job.args['track_id']}" for job in jobs)


def test_the_periodic_job_queues_a_batch_of_due_tracks(settings: Any) -> None:
    settings.ENRICH_BATCH_SIZE = 2
    for _ in range(3):
        make_track()
    assert tasks.enqueue_due_tracks(timestamp=0) == 2
    assert len(queued_jobs()) == 2


def test_priority_is_passed_to_the_job() -> None:
    track = make_track()
    tasks.defer_enrichment([track.pk], priority=7)
    assert queued_jobs()[0].priority == 7


class FakeJob:
    def __init__(self, attempts: int) -> None:
        self.attempts = attempts


def decision(error: BaseException, attempts: int = 0) -> Any:
    return tasks.TransientRetry().get_retry_decision(exception=error, job=FakeJob(attempts))  # type: ignore[arg-type]


def seconds_until(retry_at: dt.datetime) -> float:
    return (retry_at - dt.datetime.now(dt.UTC)).total_seconds()


def test_only_transient_failures_are_retried() -> None:
    assert decision(RuntimeError("bug")) is None
    assert decision(tasks.TransientEnrichmentFailure("t", None)) is not None


def test_retries_back_off_exponentially_with_jitter_and_a_cap() -> None:
    first = [
        seconds_until(decision(tasks.TransientEnrichmentFailure("t", None), 0).retry_at)
        for _ in range(20)
    ]
    third = [
        seconds_until(decision(tasks.TransientEnrichmentFailure("t", None), 3).retry_at)
        for _ in range(20)
    ]
    assert all(14 <= s <= 30.5 for s in first)
    assert all(119 <= s <= 240.5 for s in third)
    assert len({round(s, 3) for s in first}) > 1  # jitter


def test_a_retry_after_hint_is_never_undercut() -> None:
    retry = decision(tasks.TransientEnrichmentFailure("t", 900.0), 0)
    assert seconds_until(retry.retry_at) >= 899


def test_retries_stop_after_the_last_attempt() -> None:
    assert decision(tasks.TransientEnrichmentFailure("t", None), 5) is None


def test_the_statistics_job_refreshes_the_snapshot_stats_readers_get(settings: Any) -> None:
    from enrichment import coverage

    settings.STATS_CACHE_SECONDS = 300
    make_track()
    assert tasks.refresh_statistics(timestamp=0) == 1
    make_track()
    assert coverage.cached_statistics()["track_stats"]["total_tracks"] == 1  # the snapshot
    tasks.refresh_statistics(timestamp=0)
    assert coverage.cached_statistics()["track_stats"]["total_tracks"] == 2


@pytest.mark.django_db(transaction=True)  # the recovery closes and reopens the connection
def test_an_attempt_cut_by_a_database_outage_unclaims_the_track_and_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import OperationalError

    from enrichment import pipeline

    track = make_track(status="in_progress")

    def outage(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(pipeline, "enrich", outage)
    with pytest.raises(tasks.TransientEnrichmentFailure):
        tasks.run_enrichment(str(track.pk), False)
    assert EnrichmentStatus.objects.get(track=track).status == "pending"


def test_a_track_whose_job_is_running_gets_no_second_job() -> None:
    from django.db import connection

    track = make_track()
    tasks.defer_enrichment([track.pk])
    with connection.cursor() as cursor:  # a worker has fetched it, not yet claimed the track
        cursor.execute("UPDATE procrastinate_jobs SET status = 'doing'")
    assert tasks.bulk_defer([track.pk]) == 0
    assert not tasks.already_queued(track.pk)
    # One slipped in beside it anyway (queued by a caller that looked just before it started).
    tasks.enrich_track.configure(queueing_lock=tasks.queueing_lock(track.pk)).defer(
        track_id=str(track.pk)
    )
    assert tasks.already_queued(track.pk)  # so the running job will not retry itself


def test_every_caller_skips_a_track_whose_job_is_running_even_to_force_a_refresh() -> None:
    from django.db import connection

    running, fresh = make_track(), make_track()
    tasks.defer_enrichment([running.pk])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET status = 'doing'")
    jobs = tasks.defer_enrichment([running.pk, fresh.pk], priority=10, force_refresh=True)
    assert jobs[str(running.pk)] is None
    assert jobs[str(fresh.pk)] == queued_jobs()[0].id
    assert [job.args["track_id"] for job in queued_jobs()] == [str(fresh.pk)]


def test_many_tracks_are_queued_in_one_statement_each_with_its_job_id(
    django_assert_num_queries: Any,
) -> None:
    tracks = [make_track() for _ in range(5)]
    with django_assert_num_queries(1):  # one INSERT ... SELECT, the look-up inside it
        jobs = tasks.defer_enrichment([t.pk for t in tracks] + [tracks[0].pk])
    by_track = {job.args["track_id"]: job.id for job in queued_jobs()}
    assert jobs == {str(t.pk): by_track[str(t.pk)] for t in tracks}


def test_a_track_whose_job_appeared_after_the_look_up_is_skipped_by_the_queueing_lock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waiting, fresh = make_track(), make_track()
    first = tasks.defer_enrichment([waiting.pk])[str(waiting.pk)]
    monkeypatch.setattr(JobQuerySet, "held_locks", lambda self, locks: set())  # look-up missed it
    queued = tasks.defer_enrichment([waiting.pk, fresh.pk], force_refresh=True)
    assert queued[str(waiting.pk)] is None and queued[str(fresh.pk)] is not None
    [job] = [j for j in queued_jobs() if j.args["track_id"] == str(fresh.pk)]
    assert (job.args["force_refresh"], job.queue_name, job.task_name) == (
        True,
        ENRICHMENT_QUEUE,
        tasks.TASK_NAME,
    )
    assert first is not None
