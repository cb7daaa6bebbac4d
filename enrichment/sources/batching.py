"""One upstream call answering many tracks: the other tracks to ask for, and per-key answers.

An adapter whose API answers many identifiers in one call (e.g. a search for `isrc:(A OR B)`)
asks, when one track needs an identifier looked up, for that one plus those of other tracks
waiting to be enriched (`waiting_isrcs`: one indexed query), then files each identifier's
share of the answer in the response cache under the key its single lookup would use
(`file_answer`). The other tracks' attempts then find their answer in the cache and call
nothing. Nothing provider-specific lives here: the adapter names its API and its id column.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from django.db import connection
from urllib3 import HTTPResponse

from enrichment import metrics

if TYPE_CHECKING:
    from enrichment.sources.base import Source

# Other tracks whose ISRC is known, whose identifier from this provider is not, that are waiting
# (pending or being enriched) and that this provider has not answered yet. The ISRC index is
# walked from the asking track's ISRC on, so concurrent attempts ask for different neighbours;
# the walk reads at most `scan` unresolved tracks (tracks.track_isrc_unresolved_idx for
# MusicBrainz), waiting or not, so its cost never grows with the catalogue or the queue.
_WAITING = """
SELECT track.isrc
  FROM (SELECT id, isrc
          FROM tracks
         WHERE isrc > %(after)s AND {id_column} IS NULL
         ORDER BY isrc
         LIMIT %(scan)s) AS track
  JOIN enrichment_status AS status ON status.track_id = track.id
 WHERE status.status IN ('pending', 'in_progress')
   AND NOT (status.source_outcomes ? %(provider)s)
 ORDER BY track.isrc
 LIMIT %(limit)s
"""
# Unresolved tracks read per batch, for each companion wanted.
SCAN_PER_COMPANION = 10


@contextlib.contextmanager
def one_batch_at_a_time(api: str) -> Iterator[None]:
    """Attempts batching for one API take turns (a session advisory lock, any process).

    The later ones then usually find their answer filed by the batch before theirs, instead of
    all sending overlapping batches at once (a wave of workers starting together). The lock is
    held for one call at most (its rate-limit wait and HTTP timeout bound it).
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [f"batch:{api}"])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [f"batch:{api}"])


def waiting_isrcs(provider: str, id_column: str, after: str, limit: int) -> list[str]:
    """Up to `limit` ISRCs of other waiting tracks the provider has not resolved (one query)."""
    if not id_column.isidentifier():
        raise ValueError(f"id_column {id_column!r} is not a column name")
    if limit <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            _WAITING.format(id_column=id_column),
            {
                "after": after,
                "provider": provider,
                "limit": limit,
                "scan": limit * SCAN_PER_COMPANION,
            },
        )
        return [row[0] for row in cursor.fetchall()]


def cached_answer(
    source: Source, path: str, params: Mapping[str, str | int], endpoint: str
) -> tuple[bool, Any]:
    """(True, payload or None for not found) when the cache holds the GET's answer."""
    if source.force_refresh:
        return False, None
    key = source.cache.create_key(_request(source, path, params).prepare())
    cached = source.cache.get_response(key)
    if cached is None or cached.is_expired:
        return False, None
    metrics.CACHE_HITS.labels(api=source.name).inc()
    source.cache_hits += 1
    return True, source._interpret(endpoint, cached.status_code, cached.text)


def file_answer(
    source: Source,
    path: str,
    params: Mapping[str, str | int],
    body: Any,
    *,
    status: int = 200,
    ttl: timedelta,
) -> None:
    """Cache `body` as the answer the GET of `path` with `params` would have had."""
    prepared = _request(source, path, params).prepare()
    key = source.cache.create_key(prepared)
    source.cache.save_response(_response(prepared, status, body), key, datetime.now(UTC) + ttl)
    source.stored_keys.append(key)


def _request(source: Source, path: str, params: Mapping[str, str | int]) -> requests.Request:
    """The request `Source.get_json` would make (no credentials: keys are made without)."""
    return requests.Request(
        "GET",
        f"{source.base_url}/{path.lstrip('/')}",
        params=dict(params),
        headers={"User-Agent": source.user_agent()},
    )


def _response(prepared: requests.PreparedRequest, status: int, body: Any) -> requests.Response:
    content = json.dumps(body).encode()
    response = requests.Response()
    response.status_code = status
    response.reason = "OK" if status < 400 else "Not Found"
    response.headers = requests.structures.CaseInsensitiveDict({"Content-Type": "application/json"})
    response.url = prepared.url or ""
    response.request = prepared
    response.encoding = "utf-8"
    response.raw = HTTPResponse(
        body=io.BytesIO(content),
        headers=dict(response.headers),
        status=status,
        preload_content=False,
        request_url=response.url,
    )
    response._content = content
    return response
