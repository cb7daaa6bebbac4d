"""Real workers: the slow source's follow-up jobs run on its own queue, beside the tracks' jobs,
and a follow-up whose worker is killed is recovered like any job."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from enrichment import tasks
from enrichment.follow_up_tasks import FOLLOW_UP_TASK
from enrichment.models import EnrichmentStatus, Track
from enrichment.sources import registry
from sandbox import server
from sandbox.catalogue import catalogue
from tests.jobs import workers as w
from tests.subprocesses import ROOT, child_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SLOW = "lastfm"  # made the slowest API below: its lookups become follow-up jobs
QUEUE = f"enrich-{SLOW}"


def start(args: list[str], sandbox_url: str) -> subprocess.Popen[str]:
    """`manage.py <args>` against the sandbox, one API ten times slower than the others."""
    rates = {api.rate_limit_variable: "1000" for api in registry.APIS}
    rates[f"{SLOW.upper()}_RATE_LIMIT"] = "100"
    env = w.sandbox_env(sandbox_url) | w.FAST_RECOVERY | rates
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=child_env(**env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def worker(sandbox_url: str, queues: str = "") -> subprocess.Popen[str]:
    return start(["procrastinate", "worker", "--concurrency", "4", "--queues", queues], sandbox_url)


def follow_ups(*statuses: str) -> int:
    return ProcrastinateJob.objects.filter(task_name=FOLLOW_UP_TASK, status__in=statuses).count()


def tracks(count: int, offset: int) -> list[Track]:
    recordings = catalogue().recordings[offset : offset + count]
    return [
        Track.objects.create(artist_name=r.artist.name, title=r.spotify_name) for r in recordings
    ]


@pytest.fixture
def sandbox() -> Iterator[Any]:
    running = server.start(0, rate_scale=0.0)
    yield running
    running.stop()


@pytest.fixture
def slow_sandbox() -> Iterator[Any]:
    running = server.start(0, rate_scale=0.0, latency_ms=1000)
    yield running
    running.stop()


def test_run_workers_drain_the_tracks_and_their_follow_ups_to_settled_sources(
    sandbox: Any,
) -> None:
    batch = tracks(12, offset=100)
    assert tasks.bulk_defer([t.pk for t in batch]) == 12
    process = start(["run_workers", "--processes", "1", "--concurrency", "4"], sandbox.url)
    try:
        w.wait_for(
            lambda: (
                w.enrichment_jobs("todo", "doing") + follow_ups("todo", "doing") == 0
                and follow_ups("succeeded") > 0
            ),
            120,
            "the tracks' jobs and their follow-ups to finish",
        )
    finally:
        assert w.stop(process) == 0
    jobs = ProcrastinateJob.objects.filter(task_name=FOLLOW_UP_TASK)
    assert {job.queue_name for job in jobs} == {QUEUE}
    track_ids = [job.args["track_id"] for job in jobs]
    assert len(track_ids) == len(set(track_ids))  # one follow-up per track and source
    statuses = EnrichmentStatus.objects.filter(track__in=batch)
    assert all(s.status in {"completed", "partial", "failed"} for s in statuses)
    for status in statuses:
        outcome = status.source_outcomes.get(SLOW, {}).get("outcome")
        assert outcome not in {None, "pending"}, (status.track_id, status.source_outcomes)


def test_a_follow_up_whose_worker_is_killed_is_run_again_and_completes_the_track(
    slow_sandbox: Any,
) -> None:
    (track,) = tracks(1, offset=140)
    tasks.defer_enrichment([track.pk])
    first = worker(slow_sandbox.url, queues="enrichment")
    try:
        w.wait_for(lambda: follow_ups("todo") == 1, 60, "the follow-up to be queued")
    finally:
        w.stop(first)
    status = EnrichmentStatus.objects.get(track=track)
    assert status.source_outcomes[SLOW]["outcome"] == "pending"
    doomed = worker(slow_sandbox.url, queues=QUEUE)
    w.wait_for(lambda: follow_ups("doing") == 1, 30, "the follow-up to start")
    w.kill(doomed)
    assert follow_ups("doing") == 1  # left behind by the dead worker
    rescuer = worker(slow_sandbox.url)  # every queue: the stalled-job recovery too
    try:
        w.wait_for(lambda: follow_ups("succeeded") == 1, 90, "the follow-up to be re-run")
    finally:
        w.stop(rescuer)
    status.refresh_from_db()
    assert status.source_outcomes[SLOW]["outcome"] != "pending"
    assert status.status in {"completed", "partial"}
    assert status.claimed_at is None
