"""The response cache: hits cost no call and no rate-limit turn; failures are never cached."""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from datetime import timedelta
from typing import Any

import pytest
import requests
import responses
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from requests_cache.backends.redis import RedisCache
from requests_cache.cache_keys import redact_response
from requests_cache.models.response import CachedResponse

from enrichment import metrics
from enrichment.models import ApiCache, RateLimitState
from enrichment.sources import cache
from enrichment.sources.errors import TransientSourceError
from songnodes.caches import response_cache
from tests.sources.seam import BASE, EchoSource

pytestmark = pytest.mark.django_db
URL = f"{BASE}/items/a"


def hits() -> float:
    return float(metrics.CACHE_HITS.labels(api="deezer")._value.get())


@responses.activate
def test_a_cached_response_is_served_without_a_second_call() -> None:
    responses.get(URL, json={"id": 1})
    before = hits()
    assert EchoSource().lookup("a") == {"id": 1}
    assert EchoSource().lookup("a") == {"id": 1}
    assert len(responses.calls) == 1
    assert hits() == before + 1
    row = ApiCache.objects.get()
    assert row.hit_count == 1
    assert row.last_accessed is not None
    assert (row.api_source, row.endpoint, row.status_code) == ("deezer", "/items/a", 200)
    # The credential parameter is visible as redacted, never with its value.
    assert row.request_params == {"fields": "all", "secret_param": "REDACTED"}


@responses.activate
def test_cache_rows_hold_readable_json() -> None:
    responses.get(URL, json={"id": 1, "title": "Strobe"})
    EchoSource().lookup("a")
    data = ApiCache.objects.get().response_data
    assert data is not None
    assert data["_decoded_content"] == {"id": 1, "title": "Strobe"}


@responses.activate
def test_a_stored_answer_is_the_document_requests_cache_would_store() -> None:
    """The body goes in as received (not parsed and dumped again) and the redaction is our own
    lighter one: the row must still be requests-cache's document, read back the same."""
    body = {"id": 1, "title": "Strobe \u00e9", "bpm": 128.0, "tags": [None, True, {"a": []}]}
    responses.get(URL, json=body)
    source = EchoSource()
    assert source.lookup("a") == body
    row = ApiCache.objects.get()
    sent = responses.calls[0].response
    assert isinstance(sent, requests.Response)
    theirs = redact_response(
        CachedResponse.from_response(sent, expires=row.expires_at),
        source.cache._settings.ignored_parameters,
    )
    expected = json.loads(json.dumps(cache._JSON_STAGE.dumps(theirs)))
    assert row.response_data is not None
    ours = dict(row.response_data)
    assert {k: v for k, v in ours.items() if k != "created_at"} == {
        k: v for k, v in expected.items() if k != "created_at"
    }
    assert ours["request"]["headers"]["Authorization"] == "REDACTED"
    assert "very-secret" not in json.dumps(ours)
    again = EchoSource().lookup("a")  # read back from the row
    assert again == body and len(responses.calls) == 1


@responses.activate
def test_a_json_body_labelled_text_is_stored_as_text_as_requests_cache_stores_it() -> None:
    responses.get(URL, body='{"id": 1}', content_type="text/plain")
    assert EchoSource().lookup("a") == {"id": 1}
    stored = ApiCache.objects.get().response_data
    assert stored is not None and stored["_decoded_content"] == '{"id": 1}'
    assert EchoSource().lookup("a") == {"id": 1}
    assert len(responses.calls) == 1


@responses.activate
def test_a_cache_hit_takes_no_rate_limit_turn() -> None:
    responses.get(URL, json={"id": 1})
    source = EchoSource()
    source.lookup("a")
    booked = RateLimitState.objects.get(api="deezer").theoretical_arrival
    source.lookup("a")
    assert RateLimitState.objects.get(api="deezer").theoretical_arrival == booked


@responses.activate
def test_ttl_is_the_one_asked_for_and_not_found_is_kept_briefly() -> None:
    responses.get(URL, json={"id": 1})
    responses.get(f"{BASE}/items/gone", status=404, json={})
    EchoSource().lookup("a", ttl=timedelta(days=90))
    EchoSource().lookup("gone", ttl=timedelta(days=90))
    found = ApiCache.objects.get(endpoint="/items/a").expires_at - timezone.now()
    missing = ApiCache.objects.get(endpoint="/items/gone").expires_at - timezone.now()
    assert timedelta(days=89) < found <= timedelta(days=90)
    assert timedelta(hours=5) < missing <= timedelta(hours=6)


@responses.activate
def test_a_transient_failure_is_never_cached() -> None:
    responses.get(URL, status=500, body="down")
    responses.get(URL, json={"id": 1})
    with pytest.raises(TransientSourceError):
        EchoSource().lookup("a")
    assert not ApiCache.objects.exists()
    assert EchoSource().lookup("a") == {"id": 1}


@responses.activate
def test_force_refresh_asks_upstream_again_and_updates_the_entry() -> None:
    responses.get(URL, json={"version": 1})
    responses.get(URL, json={"version": 2})
    EchoSource().lookup("a")
    assert EchoSource(force_refresh=True).lookup("a") == {"version": 2}
    assert EchoSource().lookup("a") == {"version": 2}
    assert len(responses.calls) == 2


@responses.activate
def test_an_expired_entry_is_fetched_again() -> None:
    responses.get(URL, json={"version": 1})
    responses.get(URL, json={"version": 2})
    EchoSource().lookup("a")
    ApiCache.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert EchoSource().lookup("a") == {"version": 2}


@responses.activate
def test_calls_without_ttl_are_not_cached() -> None:
    responses.get(URL, json={"id": 1})
    EchoSource().lookup("a", ttl=None)
    assert not ApiCache.objects.exists()


def test_purge_expired_deletes_only_expired_rows() -> None:
    now = timezone.now()
    for minutes in (-5, 5):
        ApiCache.objects.create(
            cache_key=uuid.uuid4().hex,
            api_source="deezer",
            endpoint="/x",
            status_code=200,
            expires_at=now + timedelta(minutes=minutes),
        )
    assert cache.purge_expired() == 1
    assert ApiCache.objects.count() == 1


def redis_url() -> str | None:
    """A reachable Redis for the HTTP_CACHE=redis:// option (CI and dev machines run one)."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return None
    return url


@responses.activate
def test_http_cache_redis_url_keeps_responses_in_redis_not_in_api_cache(settings: Any) -> None:
    url = redis_url()
    if url is None:
        pytest.skip("no Redis on 127.0.0.1:6379 (the redis:// cache option is optional)")
    settings.HTTP_CACHE = url
    cache.reset_caches()
    responses.get(URL, json={"id": 1})
    source = EchoSource()
    source.cache.clear()
    assert source.lookup("a") == {"id": 1}
    assert EchoSource().lookup("a") == {"id": 1}
    assert len(responses.calls) == 1
    assert not ApiCache.objects.exists()
    keys = source.cache.responses.keys()
    assert all("very-secret" not in str(source.cache.responses[key].request.url) for key in keys)
    source.cache.clear()


def test_an_unknown_http_cache_setting_is_refused(settings: Any) -> None:
    settings.HTTP_CACHE = "memcached://x"
    cache.reset_caches()
    with pytest.raises(ValueError, match="HTTP_CACHE"):
        EchoSource()


@responses.activate
def test_redis_host_and_port_keep_responses_in_that_redis(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    if redis_url() is None:
        pytest.skip("no Redis on 127.0.0.1:6379 (the REDIS_HOST cache option is optional)")
    settings.HTTP_CACHE, settings.HTTP_CACHE_ORIGIN = response_cache("", "127.0.0.1", 6379)
    cache.reset_caches()
    responses.get(f"{BASE}/items/b", json={"id": 2})
    with caplog.at_level(logging.INFO, logger="enrichment.sources.cache"):
        source = EchoSource()
    assert "response cache: Redis at 127.0.0.1:6379 (from REDIS_HOST)" in caplog.messages
    source.cache.clear()
    assert source.lookup("b") == {"id": 2}
    assert EchoSource().lookup("b") == {"id": 2}
    assert len(responses.calls) == 1
    assert not ApiCache.objects.exists()
    assert isinstance(source.cache, RedisCache)
    source.cache.clear()


def _prepared(method: str, url: str, **params: Any) -> Any:
    return requests.Request(method, url, params=params).prepare()


def test_request_key_ignores_credentials_and_parameter_order() -> None:
    ignored = ["api_key", "access_token"]
    key = cache.request_key(_prepared("GET", f"{BASE}/2.0/", a="1", b="x y"), ignored)
    assert key == cache.request_key(
        _prepared("GET", f"{BASE}/2.0/", b="x y", api_key="secret", a="1"), ignored
    )
    assert key == cache.request_key(
        _prepared("GET", f"{BASE.upper()}/2.0/", b="x y", a="1"), ignored
    )
    for other in (
        _prepared("GET", f"{BASE}/2.0/", a="1", b="x z"),
        _prepared("GET", f"{BASE}/2.1/", a="1", b="x y"),
        _prepared("GET", f"{BASE}/2.0/", a="1"),
        _prepared("POST", f"{BASE}/2.0/", a="1", b="x y"),
    ):
        assert cache.request_key(other, ignored) != key
    assert "secret" not in key


@responses.activate
def test_answers_stored_inside_writes_together_go_in_at_its_end_in_one_statement() -> None:
    for name in "abc":
        responses.get(f"{BASE}/items/{name}", json={"id": name})
    source = EchoSource()
    with CaptureQueriesContext(connection) as queries, cache.writes_together():
        for name in "abc":
            source.lookup(name)
        assert not ApiCache.objects.exists()
        source.lookup("a")  # the same request again: asked again, held once
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT INTO api_cache")]
    assert len(inserts) == 1
    assert sorted(ApiCache.objects.values_list("endpoint", flat=True)) == [
        "/items/a",
        "/items/b",
        "/items/c",
    ]


@responses.activate
def test_a_block_ended_by_an_error_still_stores_its_answers() -> None:
    responses.get(URL, json={"id": 1})
    with pytest.raises(RuntimeError), cache.writes_together():
        EchoSource().lookup("a")
        raise RuntimeError("a bug after the call")
    assert ApiCache.objects.filter(endpoint="/items/a").exists()


@responses.activate
def test_a_held_answer_taken_back_is_never_written_and_write_held_writes_at_once() -> None:
    responses.get(URL, json={"id": 1})
    responses.get(f"{BASE}/items/b", json={"id": 2})
    source = EchoSource()
    with cache.writes_together():
        source.lookup("a")
        source.forget_stored()  # e.g. the answer proved unreadable
        source.lookup("b")
        cache.write_held()
        assert list(ApiCache.objects.values_list("endpoint", flat=True)) == ["/items/b"]
    assert list(ApiCache.objects.values_list("endpoint", flat=True)) == ["/items/b"]
