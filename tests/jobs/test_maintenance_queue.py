"""Maintenance jobs never wait behind an enrichment backlog: they have workers of their own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from procrastinate.contrib.django.models import ProcrastinateEvent

from enrichment import tasks
from sandbox import server
from tests.jobs import workers as w
from tests.jobs.test_workers import catalogue_tracks

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RECOVERY_TASK = "enrichment.recover_stalled_jobs"


@pytest.fixture
def slow_sandbox() -> Iterator[Any]:
    """Every upstream answer takes 1.5 s: an enrichment job holds its slot for many seconds."""
    running = server.start(0, rate_scale=0.0, latency_ms=1500)
    yield running
    running.stop()


def first_event(task_name: str, event_type: str) -> Any:
    """When a job of this task first reached this event (None if none has)."""
    events = ProcrastinateEvent.objects.filter(job__task_name=task_name, type=event_type)
    return events.order_by("at").values_list("at", flat=True).first()


def test_stalled_job_recovery_runs_while_every_enrichment_slot_is_busy(slow_sandbox: Any) -> None:
    tracks = catalogue_tracks(4, offset=120)
    tasks.defer_enrichment([t.pk for t in tracks], priority=10)  # a curator's backlog
    process = w.start(
        ["run_workers", "--processes", "1", "--concurrency", "1", "--grace", "60"],
        slow_sandbox.url,
    )
    try:
        w.wait_for(lambda: first_event(RECOVERY_TASK, "succeeded"), 60, "a recovery job to run")
    finally:
        assert w.stop(process, timeout=90) == 0
    recovered_at = first_event(RECOVERY_TASK, "succeeded")
    first_enriched = first_event(tasks.TASK_NAME, "succeeded")
    assert first_enriched is None or recovered_at < first_enriched
    assert w.enrichment_jobs("todo") > 0  # the backlog was still waiting


def test_maintenance_jobs_outrank_every_enrichment_priority() -> None:
    from enrichment.admin.curation import CURATOR_PRIORITY
    from enrichment.api.inputs import TrackBodyInput

    priority_field: Any = TrackBodyInput().fields["priority"]
    highest_api_priority = priority_field.max_value
    maintenance: list[Any] = [
        tasks.enqueue_due_tracks,
        tasks.recover_stalled_jobs,
        tasks.refresh_statistics,
        tasks.prune,
    ]
    assert {task.queue for task in maintenance} == {tasks.MAINTENANCE_QUEUE}
    assert all(task.priority > max(highest_api_priority, CURATOR_PRIORITY) for task in maintenance)
