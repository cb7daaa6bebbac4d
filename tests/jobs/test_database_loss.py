"""A worker whose database stops gives up promptly (run_workers then restarts it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from sandbox import server
from songnodes.database import stop_embedded
from tests.jobs import workers as w
from tests.subprocesses import ROOT, child_env, run_snippet

pytestmark = pytest.mark.slow

ENQUEUE = """
import json
from enrichment import tasks
from enrichment.models import Track
from sandbox.catalogue import catalogue
tracks = [Track.objects.create(artist_name=r.artist.name, title=r.spotify_name)
          for r in catalogue().recordings[200:204]]
print(json.dumps(tasks.bulk_defer([t.pk for t in tracks])))
"""
# The documentation promises about 30 s; this is only a hang guard (before the fix a worker
# with jobs in flight took about three minutes).
GIVE_UP_GUARD = 100


def running_jobs(url: str) -> int:
    """Enrichment jobs in the 'doing' state."""
    with psycopg.connect(url, connect_timeout=2) as conn:
        row = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs "
            "WHERE task_name = 'enrichment.enrich_track' AND status = 'doing'"
        ).fetchone()
    return int(row[0]) if row else 0


def start_worker(sandbox_url: str, url: str, log: Path) -> subprocess.Popen[str]:
    """A bare Procrastinate worker logging to a file (a full pipe would stall it)."""
    with log.open("w") as stderr:
        return subprocess.Popen(
            [sys.executable, "manage.py", "procrastinate", "worker", "--concurrency", "4"],
            cwd=ROOT,
            env=child_env(**w.sandbox_env(sandbox_url), **w.FAST_RECOVERY, DATABASE_URL=url),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )


def test_a_worker_with_jobs_in_flight_exits_when_its_database_stops(
    own_postgres: Any, tmp_path: Path
) -> None:
    data_dir, url = own_postgres
    # Every upstream answer takes 3 s: the jobs are surely mid-flight when the database stops.
    sandbox = server.start(0, rate_scale=0.0, latency_ms=3000)
    log = tmp_path / "worker.log"
    process = start_worker(sandbox.url, url, log)
    try:
        assert run_snippet(ENQUEUE, DATABASE_URL=url) == 4
        w.wait_for(lambda: running_jobs(url) > 0, 60, "a job to start")
        stop_embedded(data_dir)
        try:
            code = process.wait(timeout=GIVE_UP_GUARD)
        except subprocess.TimeoutExpired:
            tail = log.read_text()[-3000:]
            pytest.fail(f"the worker runs on {GIVE_UP_GUARD} s after losing its database:\n{tail}")
        assert code != 0  # a failure, so that run_workers (or the container) restarts it
    finally:
        if process.poll() is None:
            w.kill(process)
        sandbox.stop()
