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

# A cold attempt that asks every source (about seven upstream calls) stays within this many
# statements: per call one cache read that also reads the breaker row, and one cache upsert;
# the claim, the track's load, its locked re-read and its two writes; the MusicBrainz batching
# look-up. The shared limiter's statements are counted apart: how many it takes follows the
# load (one per call when the API is below its rate, see tests/sources/test_ratelimit).
MOST_PER_ATTEMPT = 25


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


def test_a_cold_attempt_issues_at_most_25_statements_besides_the_limiters(
    sandbox: Any,
) -> None:
    statements_of_one_attempt(0)  # the first attempt of a process also creates its state rows
    statements = statements_of_one_attempt(1)
    counted = Counter(kind(statement) for statement in statements)
    calls = counted["WITH rate_limit_state"]  # a booked turn per upstream call
    assert calls >= 6, counted  # every source answered
    ours = [s for s in statements if "rate_limit_state" not in s]
    assert len(ours) <= MOST_PER_ATTEMPT, counted


def test_a_call_reads_cache_and_breaker_in_one_statement_and_the_answers_go_in_one_upsert(
    sandbox: Any,
) -> None:
    statements_of_one_attempt(0)
    statements = statements_of_one_attempt(1)
    cache_writes = [s for s in statements if s.startswith("INSERT INTO api_cache")]
    calls = sum(kind(s) == "WITH rate_limit_state" for s in statements)
    assert calls >= 6
    # The attempt's answers go into the cache together, in one statement.
    assert len(cache_writes) == 1 and cache_writes[0].count("NULL, now())") == calls
    reads = [s for s in statements if s.startswith("WITH hit AS (UPDATE api_cache")]
    assert all("circuit_breaker_state" in read for read in reads)
    assert len(reads) >= calls  # every call looked in the cache first
    # No breaker read of its own, and no write: every call succeeded, the state did not change.
    alone = [s for s in statements if "circuit_breaker_state" in s and s not in reads]
    assert alone == []


def test_a_track_with_a_status_row_is_claimed_in_one_statement(sandbox: Any) -> None:
    track = Track.objects.create(artist_name="Nobody", title="Nothing")
    pipeline.claim(track.pk)  # makes the status row
    pipeline.record_failure(track.pk, "released")
    with CaptureQueriesContext(connection) as queries:
        assert pipeline.claim(track.pk)
    assert len(queries) == 1
    assert not pipeline.claim(track.pk)  # the claim is held
