"""Real workers, real Postgres: queues drain, killed workers lose nothing, SIGTERM is graceful."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from enrichment import tasks
from enrichment.models import EnrichmentStatus, Track
from sandbox import server
from sandbox.catalogue import catalogue
from tests.jobs import workers as w

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox() -> Iterator[Any]:
    running = server.start(0, rate_scale=0.0)
    yield running
    running.stop()


@pytest.fixture
def slow_sandbox() -> Iterator[Any]:
    """Every upstream answer takes 1.5 s, so a job is surely mid-flight when we act."""
    running = server.start(0, rate_scale=0.0, latency_ms=1500)
    yield running
    running.stop()


def catalogue_tracks(count: int, offset: int = 0) -> list[Track]:
    recordings = catalogue().recordings[offset : offset + count]
    return [
        Track.objects.create(artist_name=r.artist.name, title=r.spotify_name) for r in recordings
    ]


def test_workers_drain_a_queue_of_tracks_to_terminal_states(sandbox: Any) -> None:
    tracks = catalogue_tracks(24)
    assert tasks.bulk_defer([t.pk for t in tracks]) == 24
    process = w.supervisor(sandbox.url, processes=2)
    try:
        w.wait_for(lambda: w.enrichment_jobs("todo", "doing") == 0, 90, "the queue to drain")
    finally:
        assert w.stop(process) == 0
    assert w.unfinished_tracks() == 0
    assert w.enrichment_jobs("succeeded") == 24
    assert EnrichmentStatus.objects.filter(status="completed").count() >= 20


def claimed(status: EnrichmentStatus) -> bool:
    status.refresh_from_db()
    return status.status == "in_progress"


def test_a_sigkilled_workers_job_is_recovered_and_run_by_another(slow_sandbox: Any) -> None:
    (track,) = catalogue_tracks(1, offset=40)
    tasks.defer_enrichment([track.pk])
    doomed = w.worker(slow_sandbox.url)
    status = EnrichmentStatus.objects.get(track=track)
    w.wait_for(lambda: claimed(status), 30, "the job to claim its track")
    w.kill(doomed)
    assert w.enrichment_jobs("doing") == 1  # left behind by the dead worker
    assert claimed(status)
    rescuer = w.worker(slow_sandbox.url)
    try:
        w.wait_for(lambda: w.enrichment_jobs("succeeded") == 1, 90, "the job to be re-run")
    finally:
        w.stop(rescuer)
    job = ProcrastinateJob.objects.get(task_name="enrichment.enrich_track")
    assert job.attempts >= 1
    status.refresh_from_db()
    assert status.status in {"completed", "partial"}


def test_sigterm_lets_the_running_job_finish_before_the_worker_exits(slow_sandbox: Any) -> None:
    (track,) = catalogue_tracks(1, offset=60)
    tasks.defer_enrichment([track.pk])
    process = w.worker(slow_sandbox.url)
    status = EnrichmentStatus.objects.get(track=track)
    w.wait_for(lambda: claimed(status), 30, "the job to claim its track")
    assert w.stop(process) == 0
    assert w.enrichment_jobs("doing", "todo") == 0
    assert w.enrichment_jobs("succeeded") == 1
    assert EnrichmentStatus.objects.get(track=track).status in {"completed", "partial"}


def test_the_supervisor_restarts_a_worker_that_dies(sandbox: Any) -> None:
    import psutil

    process = w.supervisor(sandbox.url, processes=1)
    try:
        parent = psutil.Process(process.pid)
        first = w.wait_for(lambda: parent.children(), 30, "a worker to start")[0]
        first.kill()
        w.wait_for(lambda: [c for c in parent.children() if c.pid != first.pid], 30, "a new worker")
        tracks = catalogue_tracks(3, offset=80)
        tasks.bulk_defer([t.pk for t in tracks])
        w.wait_for(lambda: w.enrichment_jobs("succeeded") == 3, 60, "the new worker to work")
    finally:
        assert w.stop(process) == 0
