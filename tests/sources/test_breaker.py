"""Circuit breakers: 5 failures open, 60 s to half-open, 2 successes close; shared by processes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from enrichment.api.prometheus import exposition
from enrichment.models import CircuitBreakerState
from enrichment.sources.errors import BreakerOpen, TransientSourceError
from tests.sources.seam import BASE, EchoSource
from tests.subprocesses import run_snippet

pytestmark = pytest.mark.django_db
URL = f"{BASE}/items/a"


def fail_times(source: EchoSource, count: int) -> None:
    for _ in range(count):
        with pytest.raises(TransientSourceError):
            source.lookup("a", ttl=None)


def state() -> CircuitBreakerState:
    return CircuitBreakerState.objects.get(api="deezer")


def cool_down() -> None:
    """Pretend the 60 s open period has passed."""
    CircuitBreakerState.objects.update(opened_at=timezone.now() - timedelta(seconds=61))


def gauge(state_name: str) -> float:
    """The circuit_breaker_state sample /metrics serves for the API."""
    labels = {"api": "deezer", "state": state_name}
    for family in text_string_to_metric_families(exposition().decode()):
        for sample in family.samples:
            if sample.name == "circuit_breaker_state" and sample.labels == labels:
                return float(sample.value)
    return 0.0


@responses.activate
def test_five_consecutive_failures_open_the_breaker_and_calls_stop() -> None:
    responses.get(URL, status=500)
    source = EchoSource()
    fail_times(source, 5)
    assert state().state == "open"
    with pytest.raises(BreakerOpen) as caught:
        source.lookup("a", ttl=None)
    assert caught.value.transient
    assert len(responses.calls) == 5  # the refused call never went out
    assert gauge("open") == 1 and gauge("closed") == 0


@responses.activate
def test_a_success_resets_the_failure_count() -> None:
    source = EchoSource()
    responses.get(URL, status=500)
    fail_times(source, 4)
    responses.replace(responses.GET, URL, json={"ok": 1})
    source.lookup("a", ttl=None)
    responses.replace(responses.GET, URL, status=500)
    fail_times(source, 4)
    assert state().state == "closed"


@responses.activate
def test_not_found_is_not_a_failure() -> None:
    responses.get(URL, status=404)
    source = EchoSource()
    for _ in range(8):
        assert source.lookup("a", ttl=None) is None
    assert state().state == "closed"
    assert state().failure_count == 0


@responses.activate
def test_configuration_errors_do_not_open_the_breaker() -> None:
    responses.get(URL, status=403)
    source = EchoSource()
    for _ in range(6):
        with pytest.raises(Exception, match="403"):
            source.lookup("a", ttl=None)
    assert state().state == "closed"


@responses.activate
def test_after_the_timeout_two_successes_close_it() -> None:
    responses.get(URL, status=500)
    source = EchoSource()
    fail_times(source, 5)
    cool_down()
    responses.replace(responses.GET, URL, json={"ok": 1})
    source.lookup("a", ttl=None)
    assert state().state == "half-open"
    source.lookup("a", ttl=None)
    assert state().state == "closed"


@responses.activate
def test_a_failure_while_half_open_reopens_it() -> None:
    responses.get(URL, status=500)
    source = EchoSource()
    fail_times(source, 5)
    cool_down()
    with pytest.raises(TransientSourceError):
        source.lookup("a", ttl=None)
    assert state().state == "open"
    opened_at = state().opened_at
    assert opened_at is not None
    assert timezone.now() - opened_at < timedelta(seconds=5)


CHILD = """
import json
from enrichment.sources.errors import BreakerOpen
from tests.sources.seam import EchoSource
try:
    EchoSource().lookup("a", ttl=None)
    print(json.dumps("called"))
except BreakerOpen:
    print(json.dumps("breaker_open"))
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@responses.activate
def test_a_breaker_opened_in_one_process_refuses_calls_in_another() -> None:
    responses.get(URL, status=500)
    fail_times(EchoSource(), 5)
    # A separate worker process, with its own breaker object, sees the shared state.
    assert run_snippet(CHILD, DEEZER_API_URL="http://127.0.0.1:9") == "breaker_open"


@responses.activate
def test_rate_limiting_is_honoured_by_the_limiter_not_by_opening_the_breaker() -> None:
    responses.get(URL, status=429, headers={"Retry-After": "0"})
    source = EchoSource()
    for _ in range(7):
        with pytest.raises(TransientSourceError):
            source.lookup("a", ttl=None)
    assert state().state == "closed"
