"""The original README's four PromQL examples, verbatim, select series from /metrics.

Without a Prometheus here, "returns series" is checked selector by selector: every metric an
expression selects, with its label matchers, has a sample in the exposition after an
attempt ran through the real HTTP seam (tests/deploy/test_prometheus.py evaluates the
dashboard's queries on a real Prometheus where one is installed).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from enrichment import pipeline
from enrichment.models import CircuitBreakerState, EnrichmentStatus, Track
from sandbox.catalogue import catalogue
from tests.compat.seed import SEED_QUERIES
from tests.deploy.promql import metric_names, problems
from tests.sandbox_helpers import running_sandbox

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

_SELECTOR = re.compile(r"([A-Za-z_:][\w:]*)\s*\{([^{}]*)\}")
_MATCHER = re.compile(r'([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
Samples = list[tuple[str, dict[str, str], float]]


def matchers(expr: str) -> dict[str, list[tuple[str, str, str]]]:
    """Each selected metric with its label matchers (none for a bare name)."""
    found: dict[str, list[tuple[str, str, str]]] = {name: [] for name in metric_names(expr)}
    for name, inside in _SELECTOR.findall(expr):
        found[name] = _MATCHER.findall(inside)
    return found


def matches(labels: dict[str, str], rules: list[tuple[str, str, str]]) -> bool:
    """Does a sample's label set satisfy PromQL label matchers?"""
    for label, operator, value in rules:
        actual = labels.get(label, "")
        equal = re.fullmatch(value, actual) if "~" in operator else actual == value
        if bool(equal) == operator.startswith("!"):
            return False
    return True


def series(samples: Samples, name: str, rules: list[tuple[str, str, str]]) -> Samples:
    """The samples a selector selects."""
    return [s for s in samples if s[0] == name and matches(s[1], rules)]


def scrape() -> Samples:
    """Every sample /metrics exposes."""
    text = APIClient().get("/metrics").content.decode()
    return [
        (sample.name, dict(sample.labels), float(sample.value))
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


@pytest.fixture
def attempts_ran(settings: Any) -> None:
    """Two attempts on a sandbox track: the first asks upstream, the second hits the cache."""
    with running_sandbox(settings, rate_scale=0.0):
        recording = catalogue().recordings[5]
        track = Track.objects.create(
            artist_name=recording.artist.name, title=recording.spotify_name
        )
        assert pipeline.enrich(track.pk).status == "completed"
        EnrichmentStatus.objects.filter(track=track).update(source_outcomes={})
        assert pipeline.enrich(track.pk).cached is True
    CircuitBreakerState.objects.update_or_create(
        api="discogs", defaults={"state": "open", "opened_at": timezone.now()}
    )


@pytest.mark.parametrize("name", sorted(SEED_QUERIES))
def test_each_seed_query_selects_series(attempts_ran: None, name: str) -> None:
    expr = SEED_QUERIES[name]
    assert problems(expr) == []
    samples = scrape()
    for metric, rules in matchers(expr).items():
        assert series(samples, metric, rules), f"{name}: {metric}{rules} selects nothing"


def test_the_open_breaker_query_is_above_zero_for_the_open_breaker(attempts_ran: None) -> None:
    selected = series(scrape(), "circuit_breaker_state", [("state", "=", "open")])
    assert [labels["api"] for _, labels, value in selected if value > 0] == ["discogs"]


def test_success_is_counted_by_track_status_and_per_source_answers_apart(
    attempts_ran: None,
) -> None:
    samples = scrape()
    completed = series(samples, "enrichment_tasks_total", [("status", "=", "completed")])
    assert [labels for _, labels, value in completed if value >= 2] == [
        {"source": "pipeline", "status": "completed"}
    ]
    assert series(samples, "enrichment_source_outcomes_total", [("status", "=", "data")])
