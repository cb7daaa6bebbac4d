"""Every way of stopping run_workers is graceful: running jobs finish, no process stays behind."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

from enrichment import tasks
from enrichment.models import EnrichmentStatus
from sandbox import server
from tests.jobs import workers as w
from tests.jobs.test_workers import catalogue_tracks, claimed

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slow_sandbox() -> Iterator[Any]:
    """Every upstream answer takes 1.5 s, so a job is surely mid-flight when we act."""
    running = server.start(0, rate_scale=0.0, latency_ms=1500)
    yield running
    running.stop()


def running_job(sandbox_url: str) -> tuple[Any, EnrichmentStatus, list[psutil.Process]]:
    """A supervisor with one worker whose job has claimed its track; and the workers."""
    (track,) = catalogue_tracks(1, offset=100)
    tasks.defer_enrichment([track.pk])
    supervisor = w.supervisor(sandbox_url, processes=1)
    status = EnrichmentStatus.objects.get(track=track)
    w.wait_for(lambda: claimed(status), 60, "the job to claim its track")
    workers = psutil.Process(supervisor.pid).children(recursive=True)
    assert workers
    return supervisor, status, workers


def assert_stopped_cleanly(
    supervisor: Any, status: EnrichmentStatus, workers: list[psutil.Process]
) -> None:
    """The supervisor exited, its workers are gone, the job finished (or was released)."""
    try:
        supervisor.wait(timeout=90)  # a hang guard
    finally:
        _gone, alive = psutil.wait_procs(workers, timeout=30)
        for process in alive:
            process.kill()
    assert alive == [], "worker processes were left behind"
    assert w.enrichment_jobs("doing") == 0
    status.refresh_from_db()
    assert status.status != "in_progress"


def test_ctrl_c_in_a_terminal_lets_the_running_job_finish(slow_sandbox: Any) -> None:
    supervisor, status, workers = running_job(slow_sandbox.url)
    os.killpg(supervisor.pid, signal.SIGINT)  # what a terminal sends to its foreground group
    assert_stopped_cleanly(supervisor, status, workers)
    assert w.enrichment_jobs("succeeded") == 1


def test_a_sigterm_to_the_whole_group_lets_the_running_job_finish(slow_sandbox: Any) -> None:
    supervisor, status, workers = running_job(slow_sandbox.url)
    os.killpg(supervisor.pid, signal.SIGTERM)  # kill -- -PGID
    assert_stopped_cleanly(supervisor, status, workers)
    assert w.enrichment_jobs("succeeded") == 1


def test_a_hangup_stops_the_workers_gracefully_too(slow_sandbox: Any) -> None:
    supervisor, status, workers = running_job(slow_sandbox.url)
    os.killpg(supervisor.pid, signal.SIGHUP)  # the terminal closed
    assert_stopped_cleanly(supervisor, status, workers)


def test_workers_stop_when_their_supervisor_is_killed_outright(slow_sandbox: Any) -> None:
    supervisor, status, workers = running_job(slow_sandbox.url)
    w.kill(supervisor)
    _gone, alive = psutil.wait_procs(workers, timeout=90)  # a hang guard
    for process in alive:
        process.kill()
    assert alive == [], "worker processes outlived their supervisor"
    assert w.enrichment_jobs("doing") == 0  # they were told to stop, not killed
    status.refresh_from_db()
    assert status.status != "in_progress"
