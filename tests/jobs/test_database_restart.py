"""Workers outlive a Postgres restart: jobs queued after it are still processed, none lost."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest

from sandbox import server
from songnodes.database import embedded_database_url, stop_embedded
from tests.jobs import workers as w
from tests.subprocesses import run_snippet

pytestmark = pytest.mark.slow

ENQUEUE = """
import json
from enrichment import tasks
from enrichment.models import Track
from sandbox.catalogue import catalogue
tracks = [Track.objects.create(artist_name=r.artist.name, title=r.spotify_name)
          for r in catalogue().recordings[{start}:{start} + 4]]
print(json.dumps(tasks.bulk_defer([t.pk for t in tracks])))
"""


def succeeded(url: str) -> int:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            row = conn.execute(
                "SELECT count(*) FROM procrastinate_jobs "
                "WHERE task_name = 'enrichment.enrich_track' AND status = 'succeeded'"
            ).fetchone()
    except psycopg.OperationalError:
        return -1
    return int(row[0]) if row else 0


def test_workers_keep_working_after_the_database_restarts(own_postgres: Any) -> None:
    data_dir, url = own_postgres
    sandbox = server.start(0, rate_scale=0.0)
    process = w.supervisor(sandbox.url, processes=1, DATABASE_URL=url)
    try:
        assert run_snippet(ENQUEUE.format(start=100), DATABASE_URL=url) == 4
        w.wait_for(lambda: succeeded(url) == 4, 60, "the first jobs")
        stop_embedded(data_dir)
        time.sleep(3)  # an outage: the workers lose their connections
        assert embedded_database_url(data_dir) == url  # back, same place
        assert run_snippet(ENQUEUE.format(start=110), DATABASE_URL=url) == 4
        w.wait_for(lambda: succeeded(url) == 8, 90, "the jobs queued after the restart")
        assert process.poll() is None  # the supervisor itself never gave up
    finally:
        w.stop(process)
        sandbox.stop()
