"""The seam maps every upstream answer to data, not-found, or an error that says what to do."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import responses

from enrichment import metrics
from enrichment.models import ApiCache
from enrichment.sources.base import parse_retry_after
from enrichment.sources.errors import (
    ConfigurationError,
    MalformedResponse,
    PermanentSourceError,
    RateLimited,
    TransientSourceError,
    Unauthorized,
)
from tests.sources.seam import BASE, EchoSource

pytestmark = pytest.mark.django_db
URL = f"{BASE}/items/a"


def counter(metric: Any, **labels: str) -> float:
    return float(metric.labels(**labels)._value.get())


@responses.activate
def test_a_2xx_json_body_is_returned_as_data() -> None:
    responses.get(URL, json={"id": 1, "title": "Strobe"})
    assert EchoSource().lookup("a") == {"id": 1, "title": "Strobe"}


@responses.activate
def test_a_404_is_not_found_not_an_error() -> None:
    responses.get(URL, status=404, json={"error": "nope"})
    assert EchoSource().lookup("a") is None


@responses.activate
def test_not_found_carried_in_a_200_body_is_not_found() -> None:
    responses.get(URL, json={"missing": True})
    assert EchoSource().lookup("a") is None


@responses.activate
@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_are_transient(status: int) -> None:
    responses.get(URL, status=status, body="oops")
    with pytest.raises(TransientSourceError):
        EchoSource().lookup("a")


@responses.activate
def test_a_timeout_is_transient() -> None:
    responses.get(URL, body=requests.ConnectTimeout("slow"))
    with pytest.raises(TransientSourceError, match="timed out"):
        EchoSource().lookup("a")


@responses.activate
def test_a_429_is_rate_limited_with_the_retry_after_seconds() -> None:
    responses.get(URL, status=429, headers={"Retry-After": "7"}, json={})
    with pytest.raises(RateLimited) as caught:
        EchoSource().lookup("a")
    assert caught.value.retry_after == 7.0
    assert caught.value.transient


@responses.activate
def test_a_429_pushes_the_shared_limiter_back_by_retry_after() -> None:
    responses.get(URL, status=429, headers={"Retry-After": "5"}, json={})
    source = EchoSource()
    with pytest.raises(RateLimited):
        source.lookup("a")
    # Every caller now waits about five seconds for its next slot.
    source.limiter.max_wait = 1.0
    with pytest.raises(RateLimited) as caught:
        source.limiter.reserve()
    assert 4.0 < (caught.value.retry_after or 0) <= 5.0


@responses.activate
def test_a_503_is_rate_limited_too() -> None:
    responses.get(URL, status=503, body="slow down")
    with pytest.raises(RateLimited):
        EchoSource().lookup("a")


@responses.activate
def test_a_rate_limit_reported_in_a_200_body_is_rate_limited() -> None:
    responses.get(URL, json={"quota": True})
    with pytest.raises(RateLimited):
        EchoSource().lookup("a")


@responses.activate
def test_401_and_403_are_configuration_errors_not_transient() -> None:
    responses.get(URL, status=401, json={"error": "bad token"})
    responses.get(f"{BASE}/items/b", status=403, json={"error": "forbidden"})
    with pytest.raises(Unauthorized) as caught:
        EchoSource().lookup("a")
    assert not caught.value.transient
    with pytest.raises(ConfigurationError, match="HTTP 403"):
        EchoSource().lookup("b")


@responses.activate
def test_other_4xx_are_permanent_errors() -> None:
    responses.get(URL, status=400, json={"error": "bad request"})
    with pytest.raises(PermanentSourceError, match="HTTP 400"):
        EchoSource().lookup("a")


@responses.activate
def test_a_body_that_is_not_json_is_malformed_never_data() -> None:
    responses.get(URL, body="<html>Bad gateway</html>", status=200)
    with pytest.raises(MalformedResponse, match="not JSON"):
        EchoSource().lookup("a")


@responses.activate
def test_metrics_count_calls_by_outcome_and_time_them() -> None:
    responses.get(URL, json={"ok": 1})
    before = counter(metrics.API_CALLS, api="deezer", status="ok")
    EchoSource().lookup("a", ttl=None)
    assert counter(metrics.API_CALLS, api="deezer", status="ok") == before + 1
    samples = next(iter(metrics.API_RESPONSE_TIME.collect())).samples
    assert any(
        s.name.endswith("_count") and s.labels["api"] == "deezer" and s.value >= 1 for s in samples
    )


@responses.activate
def test_credentials_are_sent_upstream_but_never_stored() -> None:
    responses.get(URL, json={"ok": 1})
    EchoSource().lookup("a")
    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == "Bearer very-secret-token"
    assert "secret_param=very-secret-param" in (sent.url or "")
    rows = list(ApiCache.objects.values())
    assert len(rows) == 1
    assert "very-secret" not in str(rows)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("999999") == 3600.0


# --- no credential leaves the seam -----------------------------------------------------------
def repeating_request(request: requests.PreparedRequest) -> str:
    """What a careless upstream (or requests' own error text) says: URL and credentials."""
    return f"{request.url} Authorization: {request.headers.get('Authorization')!s}"


@responses.activate
def test_a_connection_error_names_its_url_without_the_credentials_it_carried() -> None:
    def refuse(request: requests.PreparedRequest) -> Any:
        raise requests.ConnectionError(
            f"Max retries exceeded with url: {repeating_request(request)}"
        )

    responses.add_callback(responses.GET, URL, callback=refuse)
    with pytest.raises(TransientSourceError) as caught:
        EchoSource().lookup("a")
    text = str(caught.value)
    assert "Max retries exceeded with url: https://api.deezer.com/items/a?fields=all" in text
    assert "very-secret" not in text and "secret_param=[redacted]" in text
    assert caught.value.__cause__ is None  # requests' exception, naming the URL, stays here


@responses.activate
@pytest.mark.parametrize("status", [400, 401, 403, 422])
def test_an_error_body_repeating_the_credentials_is_reported_without_them(status: int) -> None:
    responses.add_callback(responses.GET, URL, lambda r: (status, {}, repeating_request(r)))
    with pytest.raises(PermanentSourceError) as caught:
        EchoSource().lookup("a")
    assert f"HTTP {status}" in str(caught.value) and "very-secret" not in str(caught.value)


@responses.activate
def test_a_configured_credential_is_redacted_from_any_error(settings: Any) -> None:
    settings.DISCOGS_TOKEN = "configured-token-0123"
    responses.get(URL, body='{"error": "configured-token-0123 is not', status=200)
    with pytest.raises(MalformedResponse) as caught:
        EchoSource().lookup("a")
    responses.replace(responses.GET, URL, status=403, body="configured-token-0123 refused")
    with pytest.raises(ConfigurationError) as refused:
        EchoSource().lookup("a")
    assert "configured-token" not in str(caught.value) + str(refused.value)


@responses.activate
def test_an_answer_repeating_a_credential_is_not_cached() -> None:
    responses.add_callback(responses.GET, URL, lambda r: (404, {}, repeating_request(r)))
    assert EchoSource().lookup("a") is None
    responses.replace(responses.GET, URL, json={"id": 1}, headers={"Link": "?very-secret-param"})
    assert EchoSource().lookup("a") == {"id": 1}
    assert not ApiCache.objects.exists()


@responses.activate
def test_a_failed_form_post_hides_the_basic_auth_it_sent() -> None:
    def refuse(request: requests.PreparedRequest) -> Any:
        raise requests.ConnectionError(repeating_request(request))

    responses.add_callback(responses.POST, f"{BASE}/token", callback=refuse)
    with pytest.raises(TransientSourceError) as caught:
        EchoSource().post_form(
            f"{BASE}/token",
            {"grant_type": "x"},
            endpoint="token",
            basic_auth=("app-id-77", "app-pw-77"),
        )
    encoded = base64.b64encode(b"app-id-77:app-pw-77").decode()
    text = str(caught.value)
    assert "token: " in text and "Authorization: [redacted]" in text
    assert all(secret not in text for secret in ("app-id-77", "app-pw-77", encoded))
