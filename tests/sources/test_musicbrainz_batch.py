"""MusicBrainz resolves the ISRCs of waiting tracks in batches: one search, the rest cached."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import responses

from enrichment.models import EnrichmentStatus, Track
from enrichment.sources.batching import waiting_isrcs
from enrichment.sources.musicbrainz import MusicBrainzSource
from tests.sources.payloads import payload, sent_query

pytestmark = pytest.mark.django_db

API = "https://musicbrainz.org/ws/2"


@pytest.fixture(autouse=True)
def user_agent(settings: Any) -> None:
    settings.MUSICBRAINZ_USER_AGENT = "SongNodesTest/1.0 ( ops@example.org )"


def waiting(isrc: str, status: str = "pending", **fields: Any) -> Track:
    track = Track.objects.create(artist_name="A", title=f"T {isrc}", isrc=isrc, **fields)
    EnrichmentStatus.objects.update_or_create(track=track, defaults={"status": status})
    return track


@responses.activate
def test_one_search_answers_the_waiting_tracks_and_their_lookups_hit_the_cache() -> None:
    for code in ("GBXYZ1900123", "GBXYZ2000456", "USABC0000001"):
        waiting(code)
    responses.get(f"{API}/recording", json=payload("musicbrainz", "search"))
    first = MusicBrainzSource().isrc("GBXYZ1900123")
    assert len(responses.calls) == 1
    assert sent_query(responses.calls[0])["query"] == [
        "isrc:(GBXYZ1900123 OR GBXYZ2000456 OR USABC0000001)"
    ]
    assert len(first) == 2 and all("GBXYZ1900123" in rec.isrcs for rec in first)
    # The other tracks' attempts (new adapter instances) find their answers in the cache:
    # responses would refuse any further request.
    later = MusicBrainzSource()
    (second,) = later.isrc("GBXYZ2000456")
    assert str(second.id) == "f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f"
    assert second.score is None  # filed as the ISRC lookup's answer, not a search result
    # Absent from a complete answer (2 results < limit 100): not found, without a call.
    assert later.isrc("USABC0000001") == []
    assert later.network_calls == 0 and later.cache_hits == 2
    assert len(responses.calls) == 1


@responses.activate
def test_an_isrc_missing_from_a_full_answer_is_looked_up_on_its_own() -> None:
    waiting("GBXYZ1900123")
    waiting("USABC0000001")
    full = payload("musicbrainz", "search")
    filler = full["recordings"][0]
    full["recordings"] = [
        {**filler, "id": str(uuid.UUID(int=n)), "isrcs": ["GBXYZ1900123"]} for n in range(100)
    ]
    responses.get(f"{API}/recording", json=full)
    responses.get(f"{API}/isrc/USABC0000001", json=payload("musicbrainz", "isrc"))
    assert len(MusicBrainzSource().isrc("GBXYZ1900123")) == 100
    # 100 results = the limit: the answer may be cut short, so the absent ISRC is a leftover.
    recordings = MusicBrainzSource().isrc("USABC0000001")
    assert [call.request.path_url.split("?")[0] for call in responses.calls] == [
        "/ws/2/recording",
        "/ws/2/isrc/USABC0000001",
    ]
    assert recordings and "USABC0000001" in recordings[0].isrcs


@responses.activate
def test_alone_or_refreshing_a_track_uses_the_single_lookup() -> None:
    responses.get(f"{API}/isrc/GBXYZ1900123", json=payload("musicbrainz", "isrc"))
    assert MusicBrainzSource().isrc("GBXYZ1900123")  # no other track waits
    waiting("GBXYZ2000456")
    assert MusicBrainzSource(force_refresh=True).isrc("GBXYZ1900123")
    assert [call.request.path_url.split("?")[0] for call in responses.calls] == [
        "/ws/2/isrc/GBXYZ1900123"
    ] * 2


def test_only_waiting_unresolved_tracks_not_yet_answered_join_a_batch() -> None:
    waiting("GBAAA0000001")
    waiting("GBAAA0000002", status="in_progress")
    waiting("GBAAA0000003", status="completed")
    waiting("GBAAA0000004", musicbrainz_id=uuid.uuid4())
    answered = waiting("GBAAA0000005")
    EnrichmentStatus.objects.filter(track=answered).update(
        source_outcomes={"musicbrainz": {"outcome": "not_found"}}
    )
    waiting("GBAAA0000006")
    assert waiting_isrcs("musicbrainz", "musicbrainz_id", "GBAAA0000000", 99) == [
        "GBAAA0000001",
        "GBAAA0000002",
        "GBAAA0000006",
    ]
    # From the asking track's ISRC on, and never more than asked.
    assert waiting_isrcs("musicbrainz", "musicbrainz_id", "GBAAA0000001", 1) == ["GBAAA0000002"]
    with pytest.raises(ValueError, match="id_column"):
        waiting_isrcs("musicbrainz", "isrc; DROP TABLE tracks", "", 1)
