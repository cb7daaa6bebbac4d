"""Response cache: requests-cache backends storing into `api_cache` (default) or Redis.

Entries are JSON (readable in the admin), keyed without credentials, and redacted of them:
requests-cache drops the names in `ignored_parameters` from keys and from stored requests.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from hashlib import blake2b
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from requests import Response
from requests.structures import CaseInsensitiveDict
from requests_cache._utils import is_json_content_type
from requests_cache.backends.base import BaseCache, BaseStorage
from requests_cache.backends.redis import RedisCache
from requests_cache.cache_keys import filter_sort_dict, filter_url, normalize_body
from requests_cache.models.response import CachedResponse
from requests_cache.policy.settings import DEFAULT_IGNORED_PARAMS, CacheSettings
from requests_cache.serializers.preconf import make_stage

from enrichment.models import ApiCache
from enrichment.sources.breaker import SNAPSHOT_COLUMNS
from songnodes.caches import described

logger = logging.getLogger(__name__)

# JSON-ready dicts with the body decoded, so `api_cache.response_data` is readable JSON.
_JSON_STAGE = make_stage("cattr.preconf.json", b64=True, decode_content=True)


_UPSERT_VALUES = "(%s, %s, %s, %s::jsonb, %s::jsonb, %s, %s, 0, NULL, now())"
_UPSERT = (
    "INSERT INTO api_cache (cache_key, api_source, endpoint, request_params, response_data,"
    " status_code, expires_at, hit_count, last_accessed, created_at)"
    " VALUES {values}"
    " ON CONFLICT (cache_key) DO UPDATE SET api_source = EXCLUDED.api_source,"
    " endpoint = EXCLUDED.endpoint, request_params = EXCLUDED.request_params,"
    " response_data = EXCLUDED.response_data, status_code = EXCLUDED.status_code,"
    " expires_at = EXCLUDED.expires_at, hit_count = 0, last_accessed = NULL"
)


# The cache read (a live row, its hit counted) and the API's breaker row, together: a call
# that misses goes on to the breaker, and one statement serves both.
_READ_WITH_BREAKER = (
    "WITH hit AS (UPDATE api_cache SET hit_count = hit_count + 1, last_accessed = now()"
    " WHERE cache_key = %s AND expires_at > now() RETURNING response_data)"
    f" SELECT (SELECT response_data FROM hit), {', '.join(f'b.{c}' for c in SNAPSHOT_COLUMNS)}"
    " FROM (SELECT 1) AS one LEFT JOIN circuit_breaker_state AS b ON b.api = %s"
)


def request_key(request: Any, ignored_parameters: Iterable[str] | None = None, **_: Any) -> str:
    """The cache key of a prepared request: its method, scheme, host, path, query parameters
    (sorted, the ignored ones, credentials among them, left out) and body, hashed.

    requests-cache's own key normalises the URL (url_normalize) on top, which took a tenth of
    an attempt's CPU time; our URLs come from requests' prepare of our own parameters, already
    in one form.
    """
    scheme, host, path, query, _fragment = urlsplit(request.url or "")
    ignored = set(ignored_parameters or ())
    params = sorted(p for p in parse_qsl(query, keep_blank_values=True) if p[0] not in ignored)
    body = request.body or b""
    key = blake2b(digest_size=8)
    for part in (request.method or "GET", scheme.lower(), host.lower(), path, urlencode(params)):
        key.update(part.encode())
        key.update(b"\0")
    key.update(body.encode() if isinstance(body, str) else body)
    return key.hexdigest()


# Responses stored in this thread inside writes_together(), by key, not yet written.
_held = threading.local()


@contextmanager
def writes_together() -> Iterator[None]:
    """Responses this thread stores in `api_cache` inside the block are written at its end,
    all in one statement (an attempt's five or six answers: one INSERT, not six). A block
    ended by an error still writes them; if that write fails too, it is logged and the
    block's own error goes on. Nested blocks belong to the outermost one."""
    if _held_rows() is not None:
        yield
        return
    _held.rows = {}
    failed = True
    try:
        yield
        failed = False
    finally:
        try:
            write_held()
        except DatabaseError:
            if not failed:
                raise
            logger.exception("could not store the held responses in api_cache")
        finally:
            _held.rows = None


def write_held() -> None:
    """Write the responses held by this thread's writes_together() now (answers other
    workers are to see at once, e.g. a batch's shares for their tracks)."""
    rows = _held_rows()
    if rows:
        _upsert(list(rows.values()))
        rows.clear()


def _held_rows() -> dict[str, tuple[Any, ...]] | None:
    """This thread's responses held by writes_together(), by key (None outside one)."""
    rows: dict[str, tuple[Any, ...]] | None = getattr(_held, "rows", None)
    return rows


def _upsert(rows: list[tuple[Any, ...]]) -> None:
    values = ", ".join([_UPSERT_VALUES] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(values=values), [value for row in rows for value in row])


def _response(data: Any) -> CachedResponse:
    response: CachedResponse = _JSON_STAGE.loads(
        data if isinstance(data, dict) else json.loads(data)
    )
    return response


def _document(
    response: Response,
    request_url: str,
    expires: datetime,
    ignored: set[str],
    json_text: str | None,
) -> str:
    """The response as requests-cache's JSON document (what _response reads back), redacted
    the way requests-cache redacts it (an ignored parameter's or header's value replaced by
    REDACTED; `request_url` is the request's URL so redacted). The common answer (a GET, no
    redirect, no cookie, a body the caller has parsed as JSON: `json_text`) is written
    directly, its body as received: through CachedResponse, cattrs and a second parse and dump
    of the body, storing an answer cost a tenth of an attempt. Anything else goes the
    requests-cache way."""
    request = response.request
    plain = (
        json_text is not None
        and request.method == "GET"
        and not request.body
        and not response.history
        and not response.cookies
        and is_json_content_type(response.headers.get("Content-Type", ""))
    )
    if not plain:
        cached = CachedResponse.from_response(response, expires=expires)
        redact_response(cached, ignored)
        return json.dumps(_JSON_STAGE.dumps(cached))
    document = {
        "url": _redacted_url(response.url, ignored),
        "reason": response.reason,
        "elapsed": response.elapsed.total_seconds() or None,
        "expires": expires.isoformat(),
        "headers": filter_sort_dict(_text(response.headers), ignored),
        "request": {
            "url": request_url,
            "method": request.method,
            "headers": filter_sort_dict(_text(request.headers), ignored),
        },
        "encoding": response.encoding,
        "created_at": datetime.now(UTC).isoformat(),
        "status_code": response.status_code,
    }
    written = json.dumps({name: value for name, value in document.items() if value is not None})
    return f'{written[:-1]}, "_decoded_content": {json_text}}}'


def _text(headers: Mapping[str, Any]) -> Mapping[str, str]:
    """Headers as requests-cache's redaction types them (our values are text already)."""
    return cast(Mapping[str, str], headers)


def redact_response(response: CachedResponse, ignored: set[str]) -> None:
    """requests-cache's redaction of a response about to be stored, without normalising a URL
    that holds no ignored parameter."""
    response.url = _redacted_url(response.url, ignored)
    response.request.url = _redacted_url(response.request.url, ignored)
    response.headers = CaseInsensitiveDict(filter_sort_dict(response.headers, ignored))
    request_headers = filter_sort_dict(response.request.headers, ignored)
    response.request.headers = CaseInsensitiveDict(request_headers)
    if response.request.body:
        response.request.body = normalize_body(response.request, ignored)


def _redacted_url(url: str, ignored: set[str]) -> str:
    query = urlsplit(url).query
    if query and any(f"{name}=" in query for name in ignored):
        return filter_url(url, ignored)
    return url


class ApiCacheStorage(BaseStorage[str, CachedResponse]):
    """requests-cache storage on the `api_cache` table, for one upstream API."""

    def __init__(self, api_source: str) -> None:
        super().__init__(serializer=None)
        self.api_source = api_source

    def __getitem__(self, key: str) -> CachedResponse:
        # One statement finds a live row and counts the hit; the expires_at column is the
        # authority (an expired row is a miss, whatever the stored response says).
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE api_cache SET hit_count = hit_count + 1, last_accessed = now() "
                "WHERE cache_key = %s AND expires_at > now() RETURNING response_data",
                [key],
            )
            row = cursor.fetchone()
        if row is None:
            raise KeyError(key)
        return _response(row[0])

    def get_with_breaker(self, key: str, api: str) -> tuple[CachedResponse | None, Any]:
        """The live response under `key` (its hit counted) or None, and the API's breaker
        row (breaker.SNAPSHOT_COLUMNS, or None without one), in one statement."""
        with connection.cursor() as cursor:
            cursor.execute(_READ_WITH_BREAKER, [key, api])
            row = cursor.fetchone()
        data, breaker = (row[0], row[1:]) if row else (None, None)
        if breaker is not None and breaker[0] is None:
            breaker = None
        return (None if data is None else _response(data)), breaker

    def __setitem__(self, key: str, response: CachedResponse) -> None:
        expires = response.expires or datetime.now(UTC)
        document = json.dumps(_JSON_STAGE.dumps(response))
        self.put(key, response.request.url or response.url, response.status_code, expires, document)

    def put(self, key: str, url: str, status: int, expires: datetime, document: str) -> None:
        """Store a response's JSON document under `key`: one statement, whether the key is new
        or stored (a refresh starts its hits anew); inside writes_together(), one for every
        response of the block."""
        parts = urlsplit(url)
        row = (
            key,
            self.api_source,
            parts.path[:500],
            json.dumps(dict(parse_qsl(parts.query))),
            document,
            status,
            expires,
        )
        rows = _held_rows()
        if rows is None:
            _upsert([row])
        else:
            rows[key] = row  # the same key twice in a block: the last answer wins

    def __delitem__(self, key: str) -> None:
        rows = _held_rows()
        held = rows is not None and rows.pop(key, None) is not None
        deleted, _ = ApiCache.objects.filter(cache_key=key).delete()
        if not deleted and not held:
            raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        yield from ApiCache.objects.filter(api_source=self.api_source).values_list(
            "cache_key", flat=True
        )

    def __len__(self) -> int:
        return ApiCache.objects.filter(api_source=self.api_source).count()

    def clear(self) -> None:
        ApiCache.objects.filter(api_source=self.api_source).delete()


class ApiCacheBackend(BaseCache):
    """requests-cache backend whose responses live in `api_cache`."""

    responses: ApiCacheStorage

    def __init__(self, api_source: str) -> None:
        super().__init__(cache_name=api_source)
        self.responses = ApiCacheStorage(api_source)
        # self.redirects stays the base's in-memory dict: we never follow redirects to remember

    def save_response(
        self,
        response: Response,
        cache_key: str | None = None,
        expires: datetime | None = None,
        *,
        json_text: str | None = None,
    ) -> None:
        """requests-cache's save (redacted the same way, read back the same way), with the
        body already parsed as JSON passed as `json_text` stored as received."""
        key = cache_key or self.create_key(response.request)
        expires = expires or datetime.now(UTC)
        ignored = set(self._settings.ignored_parameters or ())
        url = _redacted_url(response.request.url or response.url, ignored)
        document = _document(response, url, expires, ignored, json_text)
        self.responses.put(key, url, response.status_code, expires, document)


def save_response(
    cache: BaseCache,
    response: Response,
    key: str,
    expires: datetime,
    *,
    json_text: str | None = None,
) -> None:
    """Store a response in any of our caches; `json_text`: its body, parsed as JSON by the
    caller (the `api_cache` table then stores it without parsing it again)."""
    if isinstance(cache, ApiCacheBackend):
        cache.save_response(response, key, expires, json_text=json_text)
    else:
        cache.save_response(response, key, expires)


_caches: dict[str, BaseCache] = {}
_lock = threading.Lock()


def cache_for(api_source: str, *, secret_params: tuple[str, ...] = ()) -> BaseCache:
    """This process's cache for one API: `api_cache` rows, or Redis when HTTP_CACHE says so."""
    with _lock:
        cache = _caches.get(api_source)
        if cache is None:
            cache = _make_cache(api_source)
            ignored = (*DEFAULT_IGNORED_PARAMS, *secret_params)
            cache._settings = CacheSettings(ignored_parameters=ignored, key_fn=request_key)
            _caches[api_source] = cache
        return cache


def _make_cache(api_source: str) -> BaseCache:
    backend: str = settings.HTTP_CACHE
    if not _caches:  # the first cache of this process says which one the settings chose
        origin = getattr(settings, "HTTP_CACHE_ORIGIN", "HTTP_CACHE")
        logger.info(described(backend, origin))
    if backend.startswith(("redis://", "rediss://", "unix://")):
        from redis import Redis

        return RedisCache(
            namespace=f"songnodes:{api_source}",
            connection=Redis.from_url(backend),
            serializer="json",
        )
    if backend != "db":
        raise ValueError(f"HTTP_CACHE must be 'db' or a redis:// URL, got {backend!r}")
    return ApiCacheBackend(api_source)


def purge_expired() -> int:
    """Delete expired `api_cache` rows; how many went."""
    deleted, _ = ApiCache.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


def reset_caches() -> None:
    """Forget this process's cache objects (tests switch HTTP_CACHE)."""
    with _lock:
        _caches.clear()
