"""Procrastinate's per-job Django cleanup: kept for the maintenance tasks, skipped for the
enrichment tasks that check and close their own pool threads' connections."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from procrastinate.contrib.django import app, db_cleanup

from enrichment import follow_up_tasks, queue_connector, tasks


def test_the_worker_runs_our_cleanup_in_place_of_procrastinates_async_one() -> None:
    middleware = app.worker_defaults["task_middleware"]
    assert queue_connector.cleanup_unless_own_connections in middleware
    assert db_cleanup.close_db_connections_async not in middleware
    assert db_cleanup.close_db_connections in middleware  # sync tasks keep theirs


def test_the_tasks_that_skip_it_are_the_enrichment_tasks() -> None:
    assert {tasks.TASK_NAME, follow_up_tasks.FOLLOW_UP_TASK} == queue_connector.OWN_CONNECTIONS


@pytest.mark.parametrize(
    ("task_name", "cleaned"),
    [
        (tasks.TASK_NAME, False),
        (follow_up_tasks.FOLLOW_UP_TASK, False),
        ("enrichment.recover_stalled_jobs", True),
        ("enrichment.prune", True),
    ],
)
def test_cleanup_hops_happen_only_around_tasks_that_need_them(
    monkeypatch: pytest.MonkeyPatch, task_name: str, cleaned: bool
) -> None:
    hops: list[str] = []

    async def before() -> None:
        hops.append("before")

    async def after() -> None:
        hops.append("after")

    monkeypatch.setattr(db_cleanup, "_cleanup_before_async", before)
    monkeypatch.setattr(db_cleanup, "_cleanup_after_async", after)

    async def call_next() -> str:
        hops.append("task")
        return "done"

    context: Any = SimpleNamespace(job=SimpleNamespace(task_name=task_name))
    middleware = queue_connector.cleanup_unless_own_connections
    assert asyncio.run(middleware(call_next, context, None)) == "done"
    assert hops == (["before", "task", "after"] if cleaned else ["task"])


@pytest.mark.django_db(transaction=True)
def test_in_pool_runs_in_a_pool_thread_with_its_connection_checked() -> None:
    from django.db import connection

    def where() -> tuple[str, bool]:
        import threading

        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return threading.current_thread().name, connection.connection is not None

    name, connected = asyncio.run(tasks.in_pool(where))
    asyncio.run(tasks.in_pool(lambda: connection.close()))  # the pool thread's connection
    assert name.startswith("enrich") and connected
