"""The one HTTP seam: cache -> shared rate limiter -> shared circuit breaker -> HTTP -> mapping.

Every upstream call of every adapter goes through `Source.get_json`. Only this module talks
HTTP. Adapters subclass `Source`, describe their endpoints, and parse the JSON it returns.
No error leaves with a secret in its text: the configured credentials and those the request
carried are redacted from every SourceError raised here (requests' own texts name the URL,
query string and all, and upstreams may echo what they were sent).
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests
from django.conf import settings
from requests_cache.models.response import CachedResponse

from enrichment import metrics
from enrichment.redaction import contains_secret, header_secrets, redacting
from enrichment.sources import cache as response_cache
from enrichment.sources.breaker import breaker_for
from enrichment.sources.errors import (
    ConfigurationError,
    MalformedResponse,
    PermanentSourceError,
    RateLimited,
    SourceError,
    TransientSourceError,
    Unauthorized,
    Unconfigured,
)
from enrichment.sources.ratelimit import RateLimiter

# How long "this does not exist" is believed: short, so a fix upstream is picked up soon.
NOT_FOUND_TTL = timedelta(hours=6)
MAX_RETRY_AFTER = 3600.0
USER_AGENT = "SongNodesEnrichment/1.0 (+https://github.com/songnodes)"

logger = logging.getLogger(__name__)
_sessions: dict[str, requests.Session] = {}
_sessions_lock = threading.Lock()


class NotFound(Exception):
    """Raised by `Source.check_body` when a 2xx body means "no such thing"."""


# Calls go through Session.send, which reads only proxy settings from the environment (CA
# bundles and netrc are Session.request's): with no proxy variable set, trusting the
# environment only costs a scan of every variable per request (a tenth of a worker's CPU with
# instant upstreams).
def _environment_matters() -> bool:
    return any("proxy" in name.lower() for name in os.environ)


def http_session(source: str) -> requests.Session:
    """One pooled session per source per process (threads share it)."""
    with _sessions_lock:
        session = _sessions.get(source)
        if session is None:
            session = requests.Session()
            session.trust_env = _environment_matters()
            adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=32)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            _sessions[source] = session
        return session


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class Source:
    """Base of every adapter: configuration, the guarded request, and body checks."""

    name: ClassVar[str]
    #: Extra query parameters that carry secrets: sent upstream, never in a cache key or row.
    secret_params: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, force_refresh: bool = False) -> None:
        self.force_refresh = force_refresh
        # Per instance (one enrichment attempt): did anything go out, or was all from cache?
        self.network_calls = 0
        self.cache_hits = 0
        config = settings.SOURCES[self.name]
        self.base_url: str = config["api_url"].rstrip("/")
        self.limiter = RateLimiter(self.name, rate_limit(self.name))
        self.breaker = breaker_for(self.name)
        self.cache = response_cache.cache_for(self.name, secret_params=self.secret_params)
        # Keys of the responses this instance stored, so an answer that turns out unreadable
        # only once parsed (MalformedResponse) can be taken back out of the cache.
        self.stored_keys: list[str] = []

    # --- what adapters may override -----------------------------------------------------
    @classmethod
    def missing_configuration(cls) -> str | None:
        """Why this source cannot be used, or None when it is configured."""
        return None

    def auth_headers(self) -> dict[str, str]:
        """Headers carrying credentials (never cached, never stored)."""
        return {}

    def auth_params(self) -> dict[str, str]:
        """Query parameters carrying credentials (named in secret_params)."""
        return {}

    def check_body(self, endpoint: str, payload: Any) -> None:
        """Raise NotFound or a SourceError for errors carried in a 2xx body."""

    # --- the seam ---------------------------------------------------------------------------
    def get_json(
        self,
        path: str,
        params: Mapping[str, str | int] | None = None,
        *,
        endpoint: str,
        ttl: timedelta | None,
        headers: Mapping[str, str] | None = None,
    ) -> Any | None:
        """GET base_url + path; the JSON payload, or None when the upstream says not found."""
        problem = self.missing_configuration()
        if problem:
            raise Unconfigured(self.name, problem)
        credentials = self.auth_params()
        request = requests.Request(
            "GET",
            f"{self.base_url}/{path.lstrip('/')}" if path else self.base_url,
            params={**dict(params or {}), **credentials},
            headers={"User-Agent": self.user_agent(), **(headers or {})},
        )
        with redacting() as sent:
            sent += credentials.values()
            # The key is made before credentials are added: a hit needs no token at all.
            prepared = request.prepare()
            key = self.cache.create_key(prepared)
            breaker_row = None
            if ttl is not None and not self.force_refresh:
                cached, breaker_row = self._cached(key)
                if cached is not None and not cached.is_expired:
                    metrics.CACHE_HITS.labels(api=self.name).inc()
                    self.cache_hits += 1
                    return self._interpret(endpoint, cached.status_code, cached.text)
            metrics.CACHE_MISSES.labels(api=self.name).inc()
            auth_headers = self.auth_headers()  # may ask for a token: post_form redacts its own
            sent += header_secrets(auth_headers.values())
            prepared.headers.update(auth_headers)  # prepared once: the key and the send
            response, payload = self.send(prepared, endpoint, breaker_row=breaker_row)
            if ttl is not None:
                self._remember(response, key, ttl if payload is not None else None, sent)
            return payload

    def _cached(self, key: str) -> tuple[CachedResponse | None, Any]:
        """The cached response (or None) and, from the `api_cache` table, the breaker row read
        in the same statement (None from other caches: the call reads it itself)."""
        storage = getattr(self.cache, "responses", None)
        if isinstance(storage, response_cache.ApiCacheStorage):
            return storage.get_with_breaker(key, self.breaker.api)
        return self.cache.get_response(key), None

    def _remember(
        self, response: requests.Response, key: str, lifetime: timedelta | None, sent: list[str]
    ) -> None:
        """Cache the response, unless it repeats a credential (no row may hold one). A
        lifetime of None: the answer said "not found" (kept NOT_FOUND_TTL); otherwise its
        body was read as JSON."""
        text = response.text
        if contains_secret(f"{response.headers}\n{text}", also=sent):
            logger.warning("%s: %s answer repeats a credential: not cached", self.name, key)
            return
        expires = datetime.now(UTC) + (lifetime or NOT_FOUND_TTL)
        json_text = text if lifetime is not None else None
        response_cache.save_response(self.cache, response, key, expires, json_text=json_text)
        self.stored_keys.append(key)

    def forget_stored(self) -> None:
        """Take the responses this instance stored out of the cache (one proved unreadable)."""
        if self.stored_keys:
            self.cache.delete(*self.stored_keys)
            self.stored_keys.clear()

    def post_form(
        self,
        url: str,
        data: Mapping[str, str],
        *,
        endpoint: str,
        basic_auth: tuple[str, str] | None = None,
    ) -> Any | None:
        """POST a form (e.g. an OAuth token request): never cached, otherwise fully guarded."""
        problem = self.missing_configuration()
        if problem:
            raise Unconfigured(self.name, problem)
        request = requests.Request(
            "POST", url, data=dict(data), auth=basic_auth, headers={"User-Agent": self.user_agent()}
        ).prepare()
        metrics.CACHE_MISSES.labels(api=self.name).inc()
        with redacting() as sent:
            sent += [
                *(basic_auth or ()),
                *header_secrets([request.headers.get("Authorization")]),
            ]
            return self.send(request, endpoint)[1]

    def send(
        self, request: requests.PreparedRequest, endpoint: str, *, breaker_row: Any = None
    ) -> tuple[requests.Response, Any | None]:
        """Rate-limit turn, then one call through the breaker: (response, payload or None).

        The shared breaker row is read once per call, or not at all when the caller read it
        along with the cache just now (`breaker_row`)."""
        with self.breaker.one_read(breaker_row):
            return self._send(request, endpoint)

    def _send(
        self, request: requests.PreparedRequest, endpoint: str
    ) -> tuple[requests.Response, Any | None]:
        self.breaker.raise_if_open()  # refuse before spending a rate-limit turn
        slot = self.limiter.book()  # book the turn (outside the breaker)
        with self.breaker.calling():
            # The breaker's bookkeeping reads happen while we wait, so the request leaves
            # the moment its slot arrives.
            self.limiter.leave(slot)
            self.network_calls += 1
            started = time.monotonic()
            try:
                response = http_session(self.name).send(request, timeout=settings.HTTP_TIMEOUT)
            # requests' errors (and the urllib3 ones they chain) name the URL, query string
            # included: only our rewordable, redacted text leaves, not their exceptions.
            except requests.Timeout as error:
                self._count("timeout")
                reason = type(error).__name__
                raise TransientSourceError(self.name, f"{endpoint}: timed out ({reason})") from None
            except requests.RequestException as error:
                self._count("connection_error")
                raise TransientSourceError(self.name, f"{endpoint}: {error}") from None
            finally:
                metrics.API_RESPONSE_TIME.labels(api=self.name).observe(time.monotonic() - started)
            try:
                self._raise_for_status(response, endpoint)
                payload = self._interpret(endpoint, response.status_code, response.text)
            except RateLimited as error:  # including limits reported in bodies (Last.fm, Deezer)
                self.limiter.penalise(error.retry_after or 1.0)
                raise
        return response, payload

    def _raise_for_status(self, response: requests.Response, endpoint: str) -> None:
        status = response.status_code
        if status in (429, 503):
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            self._count("rate_limited")
            raise RateLimited(
                self.name, f"{endpoint}: HTTP {status} (rate limited)", retry_after=retry_after
            )
        if status >= 500:
            self._count("server_error")
            raise TransientSourceError(self.name, f"{endpoint}: HTTP {status}")
        if status in (401, 403):
            self._count("auth_error")
            raise self.auth_error(status, endpoint, response.text)
        if self._is_not_found(status, endpoint, response.text):
            self._count("not_found")
            return
        if 200 <= status < 300:
            self._count("ok")
            return
        self._count("client_error")
        raise self.client_error(status, endpoint, response.text) or PermanentSourceError(
            self.name, f"{endpoint}: HTTP {status}"
        )

    def _is_not_found(self, status: int, endpoint: str, body: str) -> bool:
        """404, or another 4xx the adapter reads as "no such thing" (client_error -> None)."""
        if status == 404:
            return True
        return 400 <= status < 500 and self.client_error(status, endpoint, body) is None

    def auth_error(self, status: int, endpoint: str, body: str) -> SourceError:
        """A 401/403: configuration, not a transient failure (adapters may refine it)."""
        error_class = Unauthorized if status == 401 else ConfigurationError
        return error_class(
            self.name,
            f"{endpoint}: HTTP {status}: credentials rejected or not allowed ({body[:200]})",
        )

    def client_error(self, status: int, endpoint: str, body: str) -> SourceError | None:
        """Any other 4xx (full body given): the error to raise, or None for "not found".

        By default our request was wrong, and retrying it unchanged will not help.
        """
        return PermanentSourceError(self.name, f"{endpoint}: HTTP {status} ({body[:200]})")

    def _interpret(self, endpoint: str, status: int, text: str) -> Any | None:
        if self._is_not_found(status, endpoint, text):
            return None
        try:
            payload = json.loads(text)
        except ValueError as error:
            raise MalformedResponse(self.name, f"{endpoint}: response is not JSON") from error
        try:
            self.check_body(endpoint, payload)
        except NotFound:
            return None
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise MalformedResponse(self.name, f"{endpoint}: unexpected body: {error}") from error
        return payload

    def _count(self, status: str) -> None:
        metrics.API_CALLS.labels(api=self.name, status=status).inc()

    def user_agent(self) -> str:
        """The User-Agent sent upstream."""
        return USER_AGENT


def rate_limit(source: str) -> float:
    """Requests per second allowed for a source (<SOURCE>_RATE_LIMIT, else the registry's)."""
    return float(settings.SOURCES[source]["rate_limit"])
