"""Job tests start from an empty queue (Procrastinate's tables are not Django-managed, so a
transactional test's flush leaves them alone)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from songnodes.database import embedded_database_url, stop_embedded
from tests.test_database import run_manage


@pytest.fixture(autouse=True)
def empty_queue(request: Any) -> None:
    """Truncate Procrastinate's tables when the test may touch the database."""
    if "django_db_blocker" not in request.fixturenames or not request.node.get_closest_marker(
        "django_db"
    ):
        return
    request.getfixturevalue("_django_db_helper")
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_jobs, procrastinate_periodic_defers, "
            "procrastinate_workers RESTART IDENTITY CASCADE"
        )


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A migrated Postgres of this test's own (stopping the suite's would cut the suite off)."""
    data_dir = tmp_path / "pg"
    data_dir.mkdir()
    url = embedded_database_url(data_dir)
    assert run_manage(["migrate", "--verbosity", "0"], {"DATABASE_URL": url}).returncode == 0
    yield data_dir, url
    stop_embedded(data_dir)
