"""A real Prometheus scrapes a running web and worker: every target up, every panel has data.

The deployment runs as compose runs it (gunicorn with deploy/gunicorn.conf.py, the worker
container's `python -m deploy.worker`, Prometheus with deploy/prometheus/prometheus.yml and
alerts.yml), on free loopback ports, against the test database and a sandbox. Without the
prometheus binary the test skips on a developer's machine and fails in CI (tests/required.py).
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from enrichment import tasks
from enrichment.models import CircuitBreakerState, Track
from enrichment.sources.registry import APIS
from sandbox import server
from sandbox.catalogue import catalogue
from tests import required
from tests.compat.seed import SEED_QUERIES
from tests.deploy import live
from tests.deploy.test_dashboard import queries
from tests.jobs import workers as w

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
# Grafana's variables in the dashboard's queries, as Grafana would fill them at a 1 s scrape.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1s"}
HANG_GUARD = 120  # seconds; only so that a broken deployment fails instead of hanging


@dataclass
class Deployment:
    """The running processes and where they answer."""

    directory: Path
    web_url: str
    worker_url: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    prometheus_url: str = ""

    def logs(self) -> str:
        """Each process's exit state and last log lines (for a failure message)."""
        return "\n\n".join(
            live.log_tail(process, self.directory / name / f"{name}.log")
            for name, process in self.processes.items()
        )


@contextlib.contextmanager
def explained(deployment: Deployment) -> Iterator[None]:
    """Add the processes' logs to a failure inside."""
    try:
        yield
    except AssertionError as error:
        raise AssertionError(f"{error}\n\n{deployment.logs()}") from error


@pytest.fixture
def empty_queue(transactional_db: Any) -> None:
    """No job left by other tests (Procrastinate's tables survive a transactional flush)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_jobs, procrastinate_periodic_defers, "
            "procrastinate_workers RESTART IDENTITY CASCADE"
        )


@pytest.fixture
def deployment(empty_queue: None, tmp_path: Path) -> Iterator[Deployment]:
    """Sandbox, web and worker running; Prometheus is started by start_prometheus()."""
    web_port, worker_port = live.free_port(), live.free_port()
    running = Deployment(
        tmp_path, f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{worker_port}"
    )
    for name in ("web", "worker", "prometheus"):
        (tmp_path / name).mkdir()
    # Audio features refused (HTTP 403, a configuration error, not retried): the error panels
    # get a series without jobs waiting for a retry.
    sandbox = server.start(0, rate_scale=0.0, faults="spotify_features_403")
    try:
        running.processes["web"] = live.web(web_port, tmp_path / "web")
        env = w.sandbox_env(sandbox.url)
        running.processes["worker"] = live.worker(worker_port, tmp_path / "worker", **env)
        with explained(running):
            live.poll(lambda: live.answers(f"{running.web_url}/metrics"), HANG_GUARD, "the web")
            live.poll(lambda: live.answers(f"{running.worker_url}/metrics"), HANG_GUARD, "worker")
        yield running
    finally:
        for process in reversed(running.processes.values()):
            live.stop(process)
        sandbox.stop()


def start_prometheus(deployment: Deployment) -> str:
    """Prometheus scraping the deployment every second; its URL once it is ready."""
    port = live.free_port()
    config = live.write_config(
        deployment.directory / "prometheus",
        deployment.web_url.removeprefix("http://"),
        deployment.worker_url.removeprefix("http://"),
    )
    binary = required.path_of(required.PROMETHEUS)
    deployment.processes["prometheus"] = live.prometheus(binary, config, port)
    deployment.prometheus_url = f"http://127.0.0.1:{port}"
    ready = f"{deployment.prometheus_url}/-/ready"
    live.poll(lambda: live.answers(ready), HANG_GUARD, "Prometheus to be ready")
    return deployment.prometheus_url


def enrich(tracks: list[Track]) -> None:
    """Queue the tracks and wait until the worker has finished every job."""
    assert tasks.bulk_defer([track.pk for track in tracks]) == len(tracks)
    w.wait_for(lambda: w.enrichment_jobs("todo", "doing") == 0, HANG_GUARD, "the queue to drain")


def some_tracks() -> list[Track]:
    """Tracks the sandbox knows, and one no API knows (not-found answers, a failed track)."""
    known = [
        Track.objects.create(artist_name=recording.artist.name, title=recording.spotify_name)
        for recording in catalogue().recordings[:6]
    ]
    return [*known, Track.objects.create(artist_name="Nobody Known", title="No Such Song")]


def targets_up(prometheus_url: str) -> list[dict[str, Any]]:
    """The active targets, once there are some and every one is up (else [])."""
    targets: list[dict[str, Any]] = live.api(prometheus_url, "targets")["activeTargets"]
    return targets if targets and all(t["health"] == "up" for t in targets) else []


def as_grafana_sends_it(expr: str) -> str:
    """A dashboard query with Grafana's variables filled in."""
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"a Grafana variable this test does not fill: {expr}"
    return expr


def queries_without_series(prometheus_url: str) -> list[str]:
    """The dashboard's queries, and the seed README's verbatim, that return no series."""
    seed = [(f"seed README {name}", expr) for name, expr in SEED_QUERIES.items()]
    return [
        f"{title}: {expr}"
        for title, expr in [*queries(), *seed]
        if not live.api(prometheus_url, "query", query=as_grafana_sends_it(expr))["result"]
    ]


def rules_evaluated(prometheus_url: str) -> list[dict[str, Any]]:
    """Every loaded rule, once each has been evaluated (else [])."""
    groups = live.api(prometheus_url, "rules")["groups"]
    rules: list[dict[str, Any]] = [rule for group in groups for rule in group["rules"]]
    evaluated = all(not rule["lastEvaluation"].startswith("0001-") for rule in rules)
    return rules if rules and evaluated else []


def test_prometheus_scrapes_the_web_and_the_worker_and_every_panel_has_data(
    deployment: Deployment,
) -> None:
    with explained(deployment):
        first = some_tracks()
        enrich(first)
        # The same tracks imported anew: their upstream answers now come from the cache.
        Track.objects.filter(pk__in=[track.pk for track in first]).delete()
        enrich(some_tracks())
        # One open breaker, for the seed README's `circuit_breaker_state{state="open"} > 0`.
        CircuitBreakerState.objects.update_or_create(
            api=APIS[0].name, defaults={"state": "open", "opened_at": timezone.now()}
        )
        prometheus_url = start_prometheus(deployment)

        targets = live.poll(lambda: targets_up(prometheus_url), HANG_GUARD, "every target up")
        assert sorted(t["labels"]["job"] for t in targets) == [live.WEB_JOB, live.WORKER_JOB]
        assert {t["scrapeUrl"] for t in targets} == {
            f"{deployment.web_url}/metrics",
            f"{deployment.worker_url}/metrics",
        }

        empty: list[str] = []

        def every_query_has_a_series() -> bool:
            empty[:] = queries_without_series(prometheus_url)
            return not empty

        with contextlib.suppress(AssertionError):
            live.poll(every_query_has_a_series, HANG_GUARD, "a series for every query")
        assert not empty, "queries without a series:\n" + "\n".join(empty)

        rules = live.poll(lambda: rules_evaluated(prometheus_url), HANG_GUARD, "rule evaluation")
        assert {rule["name"]: rule["health"] for rule in rules} == {
            rule["name"]: "ok" for rule in rules
        }
        assert len(rules) == 8
