"""A worker container's :9100/metrics: its processes' samples, never the database gauges."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import get_commands
from prometheus_client.parser import text_string_to_metric_families

from deploy import worker
from enrichment import metrics


@pytest.fixture
def served() -> Iterator[str]:
    """The URL of a worker metrics server on a free port."""
    server = worker.serve_metrics(0, "127.0.0.1")
    try:
        yield f"http://127.0.0.1:{server.server_port}/metrics"
    finally:
        server.shutdown()
        server.server_close()


def scrape(url: str) -> dict[str, Any]:
    """Family name -> family, as Prometheus would read them."""
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(family: Any, sample: str, **labels: str) -> float:
    """The value of one sample (0 when absent)."""
    return sum(s.value for s in family.samples if s.name == sample and s.labels == labels)


def test_serves_the_counters_the_workers_write(served: str) -> None:
    before = scrape(served).get("api_calls")
    metrics.API_CALLS.labels(api="deezer", status="ok").inc(2)
    after = scrape(served)["api_calls"]
    previous = value(before, "api_calls_total", api="deezer", status="ok") if before else 0.0
    assert value(after, "api_calls_total", api="deezer", status="ok") == previous + 2


def test_leaves_breaker_states_to_the_web_which_reads_the_shared_row(served: str) -> None:
    assert "circuit_breaker_state" not in scrape(served)


def test_port_comes_from_the_environment_and_zero_turns_it_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WORKER_METRICS_PORT", raising=False)
    assert worker.metrics_port() == 9100
    monkeypatch.setenv("WORKER_METRICS_PORT", "0")
    assert worker.metrics_port() == 0


def test_the_entry_point_resets_metrics_and_supervises_with_existing_commands() -> None:
    assert {"metrics_reset", "run_workers"} <= set(get_commands())
