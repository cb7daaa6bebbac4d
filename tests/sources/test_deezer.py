"""Deezer: tracks by ISRC, id and search; errors carried in HTTP 200 bodies."""

from __future__ import annotations

from datetime import date

import pytest
import responses

from enrichment.sources.deezer import DeezerSource, parse_track
from enrichment.sources.errors import (
    ConfigurationError,
    MalformedResponse,
    PermanentSourceError,
    RateLimited,
    TransientSourceError,
)
from enrichment.titles import parse_title
from tests.sources.payloads import payload, sent_query, without

pytestmark = pytest.mark.django_db

API = "https://api.deezer.com"
BY_ISRC = f"{API}/track/isrc:GBXYZ1900123"


@responses.activate
def test_a_track_by_isrc_is_parsed_with_unknown_bpm_as_none() -> None:
    responses.get(BY_ISRC, json=payload("deezer", "track"))
    track = DeezerSource().track_by_isrc("GBXYZ1900123")
    assert track is not None
    assert (track.id, track.title, track.title_version) == (
        2210457781,
        "Nightfall Avenue (Club Mix)",
        "(Club Mix)",
    )
    assert (track.artist, track.contributors) == ("Lumen Drift", ("Lumen Drift", "Kara Vale"))
    assert (track.isrc, track.duration_ms, track.gain) == ("GBXYZ1900123", 242000, -9.7)
    assert track.bpm is None  # Deezer's 0 means unknown
    assert track.fields() == {
        "deezer_id": 2210457781,
        "isrc": "GBXYZ1900123",
        "duration_ms": 242000,
        "release_date": date(2019, 4, 12),
        "release_date_precision": "day",
    }


@responses.activate
def test_a_known_bpm_is_supplied() -> None:
    responses.get(f"{API}/track/2210457781", json=payload("deezer", "track", bpm=123.5))
    track = DeezerSource().track(2210457781)
    assert track is not None and track.fields()["bpm"] == 123.5


@responses.activate
def test_an_unknown_release_date_is_none() -> None:
    responses.get(
        f"{API}/track/2210457781", json=payload("deezer", "track", release_date="0000-00-00")
    )
    track = DeezerSource().track(2210457781)
    assert track is not None and track.release_date is None
    assert "release_date_precision" not in track.fields()


@responses.activate
def test_search_items_without_isrc_or_bpm_are_parsed() -> None:
    responses.get(f"{API}/search", json=payload("deezer", "search"))
    first, second = DeezerSource().search("Lumen Drift", "Nightfall Avenue")
    assert (first.id, first.isrc, first.bpm, first.duration_ms) == (2210457781, None, None, 242000)
    assert second.title == "Nightfall Avenue (Extended Mix)"
    candidate = second.to_candidate()
    assert (candidate.source, candidate.identifier) == ("deezer", "2210457790")
    assert (candidate.artist, candidate.artists) == ("Lumen Drift", ("Lumen Drift",))


@responses.activate
def test_search_uses_the_advanced_artist_and_track_filters() -> None:
    responses.get(f"{API}/search", json=payload("deezer", "search"))
    DeezerSource().search("Lumen Drift", 'Nightfall "Avenue"', limit=3)
    query = sent_query(responses.calls[0])
    assert query == {"q": ['artist:"Lumen Drift" track:"Nightfall  Avenue"'], "limit": ["3"]}


@responses.activate
def test_error_800_in_a_200_body_is_not_found_and_not_asked_again() -> None:
    responses.get(BY_ISRC, json=payload("deezer", "error_800"))
    assert DeezerSource().track_by_isrc("GBXYZ1900123") is None
    assert DeezerSource().track_by_isrc("GBXYZ1900123") is None
    assert len(responses.calls) == 1


@responses.activate
def test_a_404_is_not_found() -> None:
    responses.get(f"{API}/track/1", status=404, json=payload("deezer", "error_800"))
    assert DeezerSource().track(1) is None


@responses.activate
def test_quota_error_4_is_rate_limited() -> None:
    responses.get(BY_ISRC, json=payload("deezer", "error_4"))
    with pytest.raises(RateLimited) as caught:
        DeezerSource().track_by_isrc("GBXYZ1900123")
    assert caught.value.retry_after == 5.0


@responses.activate
@pytest.mark.parametrize(
    ("code", "error"),
    [(700, TransientSourceError), (300, ConfigurationError), (600, PermanentSourceError)],
)
def test_other_body_errors_say_what_to_do(code: int, error: type[Exception]) -> None:
    responses.get(BY_ISRC, json={"error": {"type": "Exception", "message": "x", "code": code}})
    with pytest.raises(error):
        DeezerSource().track_by_isrc("GBXYZ1900123")


@responses.activate
def test_a_429_with_retry_after_is_rate_limited() -> None:
    responses.get(BY_ISRC, status=429, headers={"Retry-After": "2"}, json={})
    with pytest.raises(RateLimited) as caught:
        DeezerSource().track_by_isrc("GBXYZ1900123")
    assert caught.value.retry_after == 2.0


@responses.activate
def test_a_track_without_an_artist_is_malformed() -> None:
    responses.get(BY_ISRC, json=without(payload("deezer", "track"), "artist"))
    with pytest.raises(MalformedResponse, match=r"track: .*'artist'"):
        DeezerSource().track_by_isrc("GBXYZ1900123")


@responses.activate
def test_a_search_without_data_is_malformed() -> None:
    responses.get(f"{API}/search", json={"total": 0})
    with pytest.raises(MalformedResponse, match="search"):
        DeezerSource().search("Lumen Drift", "Nightfall Avenue")


@responses.activate
def test_a_body_that_is_not_json_is_malformed() -> None:
    responses.get(BY_ISRC, body="Service Unavailable")
    with pytest.raises(MalformedResponse):
        DeezerSource().track_by_isrc("GBXYZ1900123")


def test_deezer_needs_no_configuration() -> None:
    assert DeezerSource.missing_configuration() is None


def test_the_title_version_is_read_once_as_the_candidates_version() -> None:
    in_title = parse_track(payload("deezer", "track"))
    assert in_title.to_candidate().title == "Nightfall Avenue (Club Mix)"  # not doubled
    apart = parse_track(payload("deezer", "track", title="Nightfall Avenue"))
    assert apart.to_candidate().title == "Nightfall Avenue (Club Mix)"
    assert parse_title(apart.to_candidate().title).version.kinds == frozenset({"club"})


def test_an_empty_title_version_leaves_the_title_alone() -> None:
    plain = parse_track(payload("deezer", "track", title="Nightfall Avenue", title_version=""))
    assert plain.to_candidate().title == "Nightfall Avenue"
