"""Job tests start from an empty queue (Procrastinate's tables are not Django-managed, so a
transactional test's flush leaves them alone)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection


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
