"""An unreadable upstream answer is retried a few times (never cached), then an error."""

from __future__ import annotations

from typing import Any

import pytest
import responses

from enrichment import lookups, pipeline
from enrichment.models import EnrichmentStatus, Track
from enrichment.sources import breaker, cache
from enrichment.sources.deezer import DeezerSource
from enrichment.sources.errors import MalformedResponse
from tests import fakes as f
from tests.factories import make_track
from tests.sources.payloads import payload, without

pytestmark = pytest.mark.django_db
DEEZER_BY_ISRC = "https://api.deezer.com/track/isrc:USUS11000356"


@pytest.fixture
def three_attempts(settings: Any) -> None:
    settings.MALFORMED_MAX_ATTEMPTS = 3


def strobe() -> Track:
    return make_track(artist_name="deadmau5", title="Strobe")


def outcome_of(track: Track, provider: str) -> dict[str, Any]:
    return dict(EnrichmentStatus.objects.get(track=track).source_outcomes[provider])


def test_a_malformed_answer_once_is_retried_and_the_track_completes(
    upstream: f.Fakes, three_attempts: None
) -> None:
    upstream.on("discogs", "search", MalformedResponse("discogs", "search: response is not JSON"))
    track = strobe()
    first = pipeline.enrich(track.pk)
    assert first.status == "partial"
    assert first.transient  # the job runs again soon, not in 24 hours
    assert outcome_of(track, "discogs")["outcome"] == "malformed"
    upstream.on("discogs", "search", [f.discogs_release()])
    upstream.calls.clear()
    second = pipeline.enrich(track.pk)
    assert upstream.called() == ["discogs.search"]
    assert second.status == "completed" and not second.transient


def test_an_always_malformed_source_is_an_error_after_the_last_attempt(
    upstream: f.Fakes, three_attempts: None
) -> None:
    upstream.on("discogs", "search", MalformedResponse("discogs", "search: response is not JSON"))
    track = strobe()
    results = [pipeline.enrich(track.pk) for _ in range(4)]
    assert [result.transient for result in results] == [True, True, False, False]
    assert [result.status for result in results] == ["partial"] * 4
    outcome = outcome_of(track, "discogs")
    assert outcome["outcome"] == "malformed" and outcome["attempts"] == 4
    status = EnrichmentStatus.objects.get(track=track)
    assert "discogs: malformed" in (status.error_message or "")
    assert "gave up after 3 attempts" in (status.error_message or "")


def test_a_good_answer_starts_the_count_again(upstream: f.Fakes, three_attempts: None) -> None:
    broken = MalformedResponse("discogs", "search: response is not JSON")
    upstream.on("discogs", "search", broken)
    track = strobe()
    pipeline.enrich(track.pk)
    pipeline.enrich(track.pk)
    upstream.on("discogs", "search", [f.discogs_release()])
    pipeline.enrich(track.pk, force_refresh=True)
    upstream.on("discogs", "search", broken)
    assert pipeline.enrich(track.pk, force_refresh=True).transient
    assert outcome_of(track, "discogs")["attempts"] == 1


@responses.activate
def test_an_answer_that_reads_as_malformed_is_never_served_from_the_cache(
    upstream: f.Fakes, monkeypatch: pytest.MonkeyPatch, settings: Any, three_attempts: None
) -> None:
    # Deezer for real (through the seam and its cache), the other providers faked.
    monkeypatch.setitem(lookups.SOURCES, "deezer", DeezerSource)
    settings.SOURCES = {
        name: {**config, "rate_limit": 1000.0} for name, config in settings.SOURCES.items()
    }
    cache.reset_caches()
    breaker._breakers.clear()
    good = payload("deezer", "track", isrc="USUS11000356")
    responses.get(DEEZER_BY_ISRC, json=without(good, "artist"))  # JSON, but unreadable
    responses.get(DEEZER_BY_ISRC, json=good)
    track = strobe()
    first = pipeline.enrich(track.pk)
    assert outcome_of(track, "deezer")["outcome"] == "malformed" and first.transient
    second = pipeline.enrich(track.pk)
    assert len(responses.calls) == 2  # asked again, not answered from the cache
    assert outcome_of(track, "deezer")["outcome"] == "data"
    assert second.status == "completed"
    cache.reset_caches()
    breaker._breakers.clear()
