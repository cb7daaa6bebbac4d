"""One enrichment attempt issues a bounded number of SQL statements (cache, breaker, status)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrichment import pipeline
from enrichment.models import Track
from sandbox.catalogue import catalogue
from tests.sandbox_helpers import running_sandbox

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Per upstream call: the cache read, the breaker read and the cache write (the shared limiter's
# bookings are counted apart: their number follows the load, see tests/sources/test_ratelimit).
PER_CALL = 3
FIXED = 12  # the attempt's own reads and writes of the track and its status
# The MusicBrainz ISRC lookup looks for other waiting tracks to resolve in one batch and reads
# the cache again once it may batch (enrichment/sources/batching.py).
BATCHING = 2


@pytest.fixture
def sandbox(settings: Any) -> Any:
    with running_sandbox(settings, rate_scale=0.0) as running:
        yield running


def statements_of_one_attempt(which: int) -> list[str]:
    """A cold attempt (nothing cached) for a recording every source knows."""
    known = (r for r in catalogue().recordings if len(r.sources) == 6 and not r.hard_cases)
    recording = [next(known) for _ in range(which + 1)][which]
    track = Track.objects.create(artist_name=recording.artist.name, title=recording.spotify_name)
    with CaptureQueriesContext(connection) as queries:
        pipeline.enrich(track.pk)
    return [query["sql"] for query in queries]


def kind(statement: str) -> str:
    words = statement.split()
    table = next((w for w in words if w.strip('"') in TABLES), "?")
    return f"{words[0]} {table.strip(chr(34))}"


TABLES = {"api_cache", "circuit_breaker_state", "rate_limit_state", "tracks", "enrichment_status"}


def test_a_cold_attempt_issues_three_statements_per_call_and_a_fixed_dozen_besides(
    sandbox: Any,
) -> None:
    statements_of_one_attempt(0)  # the first attempt of a process also creates its state rows
    statements = statements_of_one_attempt(1)
    counted = Counter(kind(statement) for statement in statements)
    calls = counted["INSERT api_cache"]
    assert calls >= 6, counted  # every source answered
    ours = [s for s in statements if "rate_limit_state" not in s]
    assert len(ours) <= PER_CALL * calls + FIXED + BATCHING, counted


def test_the_cache_is_written_with_one_upsert_and_the_breaker_is_read_once_per_call(
    sandbox: Any,
) -> None:
    statements_of_one_attempt(0)
    statements = statements_of_one_attempt(1)
    cache_writes = [s for s in statements if s.startswith("INSERT INTO api_cache")]
    calls = len(cache_writes)
    assert calls > 0
    cache_statements = [s for s in statements if "api_cache" in s]
    reads = [s for s in cache_statements if s.startswith("UPDATE api_cache SET hit_count")]
    assert len(cache_statements) == len(reads) + calls  # no SELECT-then-UPDATE per write
    breaker_reads = [s for s in statements if "FROM circuit_breaker_state" in s]
    breaker_writes = [s for s in statements if s.startswith("UPDATE circuit_breaker_state")]
    assert len(breaker_reads) <= calls
    assert breaker_writes == []  # every call succeeded: the state did not change
