"""defer_enrichment and bulk_defer: one job per idle track, whichever way the statement finds
the busy ones (each waiting lock looked up, or every waiting job read: big batches)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from procrastinate.contrib.django.models import ProcrastinateJob

from enrichment import follow_up_tasks, pacing, tasks
from tests.factories import make_track

pytestmark = pytest.mark.django_db(transaction=True)


def busy_and_idle() -> tuple[list[Any], list[Any]]:
    """Four tracks busy (job waiting, follow-up waiting, job running, follow-up running), two
    idle."""
    ProcrastinateJob.objects.all().delete()
    tracks = [make_track() for _ in range(6)]
    waiting, follow_up, running, running_follow_up, *idle = tracks
    source = pacing.follow_up_providers()[0]
    tasks.defer_enrichment([waiting.pk, running.pk])
    follow_up_tasks.defer_follow_ups(str(follow_up.pk), [source])
    follow_up_tasks.defer_follow_ups(str(running_follow_up.pk), [source])
    ProcrastinateJob.objects.filter(
        queueing_lock__in=[f"enrich:{running.pk}", f"enrich:{running_follow_up.pk}:{source}"]
    ).update(status="doing")
    return [waiting, follow_up, running, running_follow_up], idle


@pytest.mark.parametrize("big_batch", [10_000, 0], ids=["locks looked up", "waiting jobs read"])
def test_only_idle_tracks_get_a_job(monkeypatch: pytest.MonkeyPatch, big_batch: int) -> None:
    monkeypatch.setattr(tasks, "BIG_BATCH", big_batch)
    busy, idle = busy_and_idle()
    before = ProcrastinateJob.objects.count()
    with CaptureQueriesContext(connection) as queries:
        queued = tasks.defer_enrichment([t.pk for t in [*busy, *idle, idle[0]]])  # a duplicate
    assert {track_id for track_id, job in queued.items() if job is not None} == {
        str(track.pk) for track in idle
    }
    assert ProcrastinateJob.objects.count() == before + 2
    for track in idle:
        job_id = queued[str(track.pk)]
        assert job_id is not None
        job = ProcrastinateJob.objects.get(id=job_id)
        assert job.queueing_lock == f"enrich:{track.pk}" and job.status == "todo"
    assert any("work_mem" in q["sql"] for q in queries) == (big_batch == 0)
    assert tasks.bulk_defer([t.pk for t in [*busy, *idle]]) == 0  # now each one has a job


@pytest.mark.parametrize("big_batch", [10_000, 0])
def test_bulk_defer_counts_the_jobs_it_added(
    monkeypatch: pytest.MonkeyPatch, big_batch: int
) -> None:
    monkeypatch.setattr(tasks, "BIG_BATCH", big_batch)
    busy, idle = busy_and_idle()
    assert tasks.bulk_defer([track.pk for track in [*busy, *idle]]) == len(idle)
    assert tasks.bulk_defer([]) == 0
