"""GET /metrics: every declared metric, samples of every process, gauges read at scrape time."""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from enrichment.models import CircuitBreakerState
from tests.api.conftest import seed_body
from tests.factories import make_track
from tests.subprocesses import run_snippet

DESIGN_METRICS = (
    "enrichment_tasks_total",
    "api_calls_total",
    "api_response_time_seconds",
    "enrichment_cache_hits_total",
    "enrichment_cache_misses_total",
    "circuit_breaker_state",
    "tracks_enriched_total",
    "enrichment_duration_seconds",
)
OWN_COUNTERS = ("enrichment_source_outcomes_total",)
DATABASE_GAUGES = ("enrichment_queue_jobs", "enrichment_tracks", "enrichment_database_up")


def scrape(client: APIClient) -> str:
    """The exposition text."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for item in family.samples:
            if item.name == name and item.labels == labels:
                return float(item.value)
    return 0.0


@pytest.mark.django_db
def test_every_metric_of_the_design_and_the_database_gauges_appear(anonymous: APIClient) -> None:
    text = scrape(anonymous)
    for name in (*DESIGN_METRICS, *OWN_COUNTERS, *DATABASE_GAUGES):
        assert f"# TYPE {name} " in text, name


@pytest.mark.django_db
def test_queue_and_status_gauges_are_read_from_the_database(
    anonymous: APIClient, client_with_token: APIClient
) -> None:
    make_track(status="failed")
    client_with_token.post("/enrich", seed_body())
    text = scrape(anonymous)
    assert sample(text, "enrichment_queue_jobs", queue="enrichment", status="todo") == 1
    assert sample(text, "enrichment_tracks", status="failed") == 1
    assert sample(text, "enrichment_tracks", status="pending") == 1
    assert sample(text, "enrichment_database_up") == 1


@pytest.mark.django_db
def test_breaker_states_come_from_the_shared_row_not_this_process(anonymous: APIClient) -> None:
    CircuitBreakerState.objects.create(api="discogs", state="open", opened_at=timezone.now())
    text = scrape(anonymous)
    assert sample(text, "circuit_breaker_state", api="discogs", state="open") == 1
    assert sample(text, "circuit_breaker_state", api="discogs", state="closed") == 0
    assert sample(text, "circuit_breaker_state", api="spotify", state="closed") == 1


@pytest.mark.slow
@pytest.mark.django_db
def test_counts_made_by_another_process_that_exited_are_served(anonymous: APIClient) -> None:
    before = sample(scrape(anonymous), "tracks_enriched_total", status="partial")
    run_snippet(
        """
        from enrichment import metrics
        metrics.TRACKS_ENRICHED.labels(status="partial").inc(3)
        print("null")
        """
    )
    after = sample(scrape(anonymous), "tracks_enriched_total", status="partial")
    assert after == before + 3


@pytest.mark.slow
def test_a_process_that_counted_nothing_leaves_no_file_behind() -> None:
    pid = run_snippet(
        """
        import os
        from enrichment import metrics
        print(os.getpid())
        """
    )
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    assert glob.glob(os.path.join(directory, f"*_{pid}.db")) == []


def test_metrics_reset_empties_every_hosts_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any, capsys: Any
) -> None:
    for host, name in (("web-1", "counter_7.db"), ("worker-2", "histogram_7.db"), ("", "x.db")):
        (tmp_path / host).mkdir(exist_ok=True)
        (tmp_path / host / name).write_bytes(b"\0" * 8)
    settings.PROMETHEUS_METRICS_DIR = tmp_path
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "web-1"))
    call_command("metrics_reset")
    assert list(tmp_path.rglob("*.db")) == []
    assert "removed 3" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.django_db
def test_files_of_two_hosts_with_the_same_pid_are_both_counted(
    anonymous: APIClient, tmp_path: Path, settings: Any
) -> None:
    settings.PROMETHEUS_METRICS_DIR = tmp_path  # the volume the containers share
    before = sample(scrape(anonymous), "tracks_enriched_total", status="failed")
    run_snippet(
        """
        from enrichment import metrics
        metrics.TRACKS_ENRICHED.labels(status="failed").inc(2)
        print("null")
        """,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "worker-a"),
    )
    # Another container's worker, also PID n, wrote a file of the same name in its directory.
    (tmp_path / "worker-b").mkdir()
    for path in (tmp_path / "worker-a").glob("counter_*.db"):
        shutil.copy(path, tmp_path / "worker-b" / path.name)
    after = sample(scrape(anonymous), "tracks_enriched_total", status="failed")
    assert after == before + 4
