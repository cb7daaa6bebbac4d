"""MusicBrainz: recordings by ISRC, MBID and Lucene search, with credits read at the right level."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
import responses

from enrichment.matching import Query, score_candidate
from enrichment.sources.errors import (
    MalformedResponse,
    PermanentSourceError,
    RateLimited,
    Unconfigured,
)
from enrichment.sources.musicbrainz import MusicBrainzSource, lucene_phrase, parse_recording
from enrichment.titles import parse_title
from tests.sources.payloads import payload, sent_query, without

pytestmark = pytest.mark.django_db

API = "https://musicbrainz.org/ws/2"
AGENT = "SongNodesTest/1.0 ( ops@example.org )"
MBID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


@pytest.fixture(autouse=True)
def user_agent(settings: Any) -> None:
    """A User-Agent with a contact, as MusicBrainz requires."""
    settings.MUSICBRAINZ_USER_AGENT = AGENT


@responses.activate
def test_an_isrc_lookup_reads_credits_with_joinphrases_and_artist_ids() -> None:
    responses.get(f"{API}/isrc/GBXYZ1900123", json=payload("musicbrainz", "isrc"))
    (recording,) = MusicBrainzSource().isrc("GBXYZ1900123")
    assert recording.id == uuid.UUID(MBID)
    assert recording.artist_credit == "Lumen Drift feat. Kara Vale & Oxbow Sound"
    assert recording.artists == ("Lumen Drift", "Kara Vale", "Oxbow Sound")
    assert recording.artist_ids[0] == "5b0c2e1a-8f7d-4c3b-9a6e-1d2f3a4b5c6d"
    assert (recording.first_release_date, recording.first_release_precision) == (
        date(2019, 4, 1),
        "month",
    )
    assert [release.country for release in recording.releases] == ["GB", "XE"]


@responses.activate
def test_requests_carry_the_user_agent_json_format_and_includes() -> None:
    responses.get(f"{API}/isrc/GBXYZ1900123", json=payload("musicbrainz", "isrc"))
    MusicBrainzSource().isrc("GBXYZ1900123")
    request = responses.calls[0].request
    assert request.headers["User-Agent"] == AGENT
    assert "inc=artists+releases" in (request.url or "")
    assert sent_query(responses.calls[0])["fmt"] == ["json"]


@responses.activate
def test_an_unknown_isrc_is_an_empty_list_and_not_asked_again() -> None:
    responses.get(f"{API}/isrc/GBXYZ0000000", status=404, json=payload("musicbrainz", "error_404"))
    assert MusicBrainzSource().isrc("GBXYZ0000000") == []
    assert MusicBrainzSource().isrc("GBXYZ0000000") == []
    assert len(responses.calls) == 1


@responses.activate
def test_a_recording_lookup_takes_label_and_catalog_from_the_first_release() -> None:
    responses.get(f"{API}/recording/{MBID}", json=payload("musicbrainz", "recording"))
    recording = MusicBrainzSource().recording(MBID)
    assert recording is not None
    assert recording.isrcs == ("GBXYZ1900123",)
    assert recording.fields() == {
        "musicbrainz_id": uuid.UUID(MBID),
        "isrc": "GBXYZ1900123",
        "duration_ms": 241000,
        "release_date": date(2019, 4, 12),
        "release_date_precision": "day",
        "release_country": "GB",
        "label": "Helix Records",
        "catalog_number": "HLX042",
    }
    # "[no label]" and "[none]" are MusicBrainz placeholders, not values.
    assert recording.releases[0].labels == () and recording.releases[0].catalog_numbers == ()


@responses.activate
def test_without_a_first_release_date_the_earliest_release_date_is_used() -> None:
    body = without(payload("musicbrainz", "recording"), "first-release-date")
    responses.get(f"{API}/recording/{MBID}", json=body)
    recording = MusicBrainzSource().recording(MBID)
    assert recording is not None and recording.first_release_date is None
    assert recording.fields()["release_date"] == date(2019, 4, 12)


@responses.activate
def test_a_recording_lookup_asks_only_for_includes_a_recording_allows() -> None:
    responses.get(f"{API}/recording/{MBID}", json=payload("musicbrainz", "recording"))
    MusicBrainzSource().recording(MBID)
    assert sent_query(responses.calls[0])["inc"] == ["artists releases isrcs"]


@responses.activate
def test_an_unknown_recording_is_none() -> None:
    responses.get(f"{API}/recording/{MBID}", status=404, json=payload("musicbrainz", "error_404"))
    assert MusicBrainzSource().recording(MBID) is None


@responses.activate
def test_search_sends_an_escaped_lucene_query_and_reads_scores() -> None:
    responses.get(f"{API}/recording", json=payload("musicbrainz", "search"))
    results = MusicBrainzSource().search('Lumen "LD" Drift', "Nightfall: Avenue (Live)", limit=5)
    query = sent_query(responses.calls[0])
    assert query["query"] == [
        'recording:"Nightfall\\: Avenue \\(Live\\)" AND artist:"Lumen \\"LD\\" Drift"'
    ]
    assert query["limit"] == ["5"]
    assert [result.score for result in results] == [100, 74]
    assert results[0].artist_credit == "Lumen Drift feat. Kara Vale"  # no joinphrase on the last
    assert (results[1].first_release_date, results[1].first_release_precision) == (
        date(2020, 1, 1),
        "year",
    )


@responses.activate
def test_a_search_result_becomes_a_candidate_with_a_unit_score() -> None:
    responses.get(f"{API}/recording", json=payload("musicbrainz", "search"))
    candidates = [result.to_candidate() for result in MusicBrainzSource().search("A", "T")]
    assert candidates[0].identifier == MBID
    assert candidates[0].artist == "Lumen Drift feat. Kara Vale"
    assert candidates[0].artists == ("Lumen Drift", "Kara Vale")
    assert [c.upstream_score for c in candidates] == [1.0, 0.74]
    assert candidates[0].isrc == "GBXYZ1900123" and candidates[1].isrc is None  # two ISRCs


@responses.activate
def test_many_isrcs_are_resolved_in_one_search() -> None:
    responses.get(f"{API}/recording", json=payload("musicbrainz", "search"))
    found = MusicBrainzSource().search_isrcs(["GBXYZ2000456", "gbxyz1900123", "USABC0000001"])
    assert sent_query(responses.calls[0])["query"] == [
        "isrc:(GBXYZ1900123 OR GBXYZ2000456 OR USABC0000001)"
    ]
    assert sent_query(responses.calls[0])["limit"] == ["100"]
    assert len(found["GBXYZ1900123"]) == 2
    assert [str(r.id) for r in found["GBXYZ2000456"]] == ["f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f"]
    assert found["USABC0000001"] == []


def test_isrc_search_takes_at_most_100_codes() -> None:
    with pytest.raises(ValueError, match="100"):
        MusicBrainzSource().search_isrcs([f"GBXYZ{n:07d}" for n in range(101)])
    assert MusicBrainzSource().search_isrcs([]) == {}


def test_lucene_phrases_escape_quotes_and_special_characters() -> None:
    assert lucene_phrase('AC/DC "Live" + [Edit]!') == '"AC\\/DC \\"Live\\" \\+ \\[Edit\\]\\!"'


@responses.activate
def test_a_503_is_rate_limited() -> None:
    responses.get(f"{API}/recording", status=503, json=payload("musicbrainz", "error_503"))
    with pytest.raises(RateLimited):
        MusicBrainzSource().search("Lumen Drift", "Nightfall Avenue")


@responses.activate
def test_a_400_is_a_permanent_error() -> None:
    responses.get(f"{API}/isrc/bad", status=400, json={"error": "Invalid isrc."})
    with pytest.raises(PermanentSourceError, match="HTTP 400"):
        MusicBrainzSource().isrc("bad")


@responses.activate
def test_a_recording_without_an_id_is_malformed() -> None:
    responses.get(
        f"{API}/recording/{MBID}", json=without(payload("musicbrainz", "recording"), "id")
    )
    with pytest.raises(MalformedResponse, match="recording"):
        MusicBrainzSource().recording(MBID)


@responses.activate
def test_a_search_body_without_recordings_is_malformed() -> None:
    responses.get(f"{API}/recording", json={"created": "2026-01-01T00:00:00Z", "count": 0})
    with pytest.raises(MalformedResponse, match="recording-search"):
        MusicBrainzSource().search("Lumen Drift", "Nightfall Avenue")


@pytest.mark.parametrize(
    ("agent", "problem"),
    [("", "set MUSICBRAINZ_USER_AGENT"), ("SongNodes/1.0", "needs a contact")],
)
def test_a_user_agent_without_contact_is_unconfigured(
    settings: Any, agent: str, problem: str
) -> None:
    settings.MUSICBRAINZ_USER_AGENT = agent
    with responses.RequestsMock() as mock, pytest.raises(Unconfigured, match=problem):
        MusicBrainzSource().isrc("GBXYZ1900123")
    assert len(mock.calls) == 0


@pytest.mark.parametrize(
    "agent", ["SongNodes/1.0 ( ops@example.org )", "SongNodes/1.0 (+https://songnodes.example)"]
)
def test_an_email_or_url_is_a_contact(settings: Any, agent: str) -> None:
    settings.MUSICBRAINZ_USER_AGENT = agent
    assert MusicBrainzSource.missing_configuration() is None


# Shaped like the real ISRC answer: one recording, no artist credit, no `isrcs` per recording.
BARE_ISRC_ANSWER: dict[str, Any] = {
    "isrc": "GBAAA9900303",
    "recordings": [
        {
            "disambiguation": "",
            "id": "bf7845cc-eac3-48a3-8b06-543b4b7ba117",
            "length": 289946,
            "title": "Hey Boy Hey Girl",
            "video": False,
            "first-release-date": "1999-06-21",
        }
    ],
}


@responses.activate
def test_an_isrc_answer_without_credits_carries_the_isrc_asked_for() -> None:
    responses.get(f"{API}/isrc/GBAAA9900303", json=BARE_ISRC_ANSWER)
    (recording,) = MusicBrainzSource().isrc("GBAAA9900303")
    assert recording.isrcs == ("GBAAA9900303",)
    assert recording.fields()["isrc"] == "GBAAA9900303"
    candidate = recording.to_candidate()
    assert (candidate.artist, candidate.artists, candidate.isrc) == ("", (), "GBAAA9900303")


@responses.activate
def test_an_isrc_answer_without_credits_scores_the_artist_as_unknown_not_zero() -> None:
    responses.get(f"{API}/isrc/GBAAA9900303", json=BARE_ISRC_ANSWER)
    (recording,) = MusicBrainzSource().isrc("GBAAA9900303")
    query = Query("The Chemical Brothers", "Hey Boy Hey Girl", duration_ms=290_000)
    scored = score_candidate(query, recording.to_candidate())
    assert "artist" not in scored.components
    assert scored.score == 1.0


@pytest.mark.parametrize(
    ("disambiguation", "version"),
    [
        ("live", "live"),
        ("radio edit", "edit radio"),
        ("extended mix", "extended"),
        ("Armand Van Helden remix", "armand helden van remix"),
    ],
)
def test_a_disambiguation_naming_a_version_is_read_as_the_recordings_version(
    disambiguation: str, version: str
) -> None:
    item = BARE_ISRC_ANSWER["recordings"][0] | {"disambiguation": disambiguation}
    recording = parse_recording(item)
    assert parse_title(recording.to_candidate().title).version.describe() == version
    scored = score_candidate(
        Query("The Chemical Brothers", "Hey Boy Hey Girl"), recording.to_candidate()
    )
    assert scored.components["version"] == 0.0  # no longer scored like the studio original


@pytest.mark.parametrize("disambiguation", ["", "stereo", "no disambiguation"])
def test_a_disambiguation_naming_no_version_leaves_the_title_alone(disambiguation: str) -> None:
    item = BARE_ISRC_ANSWER["recordings"][0] | {"disambiguation": disambiguation}
    assert parse_recording(item).to_candidate().title == "Hey Boy Hey Girl"
