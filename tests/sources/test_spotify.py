"""Spotify: tracks, searches and audio features parsed; token reused, refreshed once on 401."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import responses
from django.core.cache import cache as django_cache

from enrichment.sources import spotify
from enrichment.sources.errors import (
    CapabilityUnavailable,
    ConfigurationError,
    MalformedResponse,
    RateLimited,
    TransientSourceError,
    Unauthorized,
    Unconfigured,
)
from enrichment.sources.spotify import FEATURES_UNAVAILABLE_KEY, SpotifySource, parse_track
from enrichment.titles import parse_title
from tests.sources.payloads import payload, sent_query, stored_rows, without

pytestmark = pytest.mark.django_db

API = "https://api.spotify.com/v1"
TOKEN_URL = "https://accounts.spotify.com/api/token"
TRACK_ID = "3Zp7YkQ2xW9rTb4NcVh6Ld"
CLIENT_ID = "fixture-client-id"
CLIENT_SECRET = "fixture-client-secret"


@pytest.fixture(autouse=True)
def credentials(settings: Any) -> Iterator[None]:
    """A configured Spotify app, and no token carried over from another test."""
    settings.SPOTIFY_CLIENT_ID = CLIENT_ID
    settings.SPOTIFY_CLIENT_SECRET = CLIENT_SECRET
    SpotifySource.forget_tokens()
    yield
    SpotifySource.forget_tokens()


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    """Faked HTTP with the token endpoint answering."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(TOKEN_URL, json=payload("spotify", "token"))
        yield mock


def calls_to(mock: responses.RequestsMock, url_start: str) -> list[Any]:
    return [call for call in mock.calls if (call.request.url or "").startswith(url_start)]


def test_a_track_is_parsed_with_artists_isrc_release_date_and_popularity(http: Any) -> None:
    http.get(f"{API}/tracks/{TRACK_ID}", json=payload("spotify", "track"))
    track = SpotifySource().track(TRACK_ID)
    assert track is not None
    assert track.name == "Nightfall Avenue"
    assert track.artists == ("Lumen Drift", "Kara Vale")
    assert track.artist_ids == ("1Lq8Wd5rTzY0pXbN3cVe7K", "6Hk2Rn9sVw4QaBm7XcJt0P")
    assert (track.isrc, track.popularity, track.duration_ms) == ("GBXYZ1900123", 57, 241533)
    assert (track.release_date, track.release_date_precision) == (date(2019, 4, 12), "day")
    assert track.album == "Nightfall Avenue" and track.explicit is False


def test_track_fields_are_keyed_by_track_columns(http: Any) -> None:
    http.get(f"{API}/tracks/{TRACK_ID}", json=payload("spotify", "track"))
    track = SpotifySource().track(TRACK_ID)
    assert track is not None
    assert track.fields() == {
        "spotify_id": TRACK_ID,
        "isrc": "GBXYZ1900123",
        "duration_ms": 241533,
        "release_date": date(2019, 4, 12),
        "release_date_precision": "day",
        "spotify_popularity": 57,
    }


def test_search_reads_year_and_month_precision_dates_and_missing_popularity(http: Any) -> None:
    http.get(f"{API}/search", json=payload("spotify", "search"))
    first, second = SpotifySource().search("The Low Tides", "Harbour Lights")
    assert (first.release_date, first.release_date_precision) == (date(1987, 1, 1), "year")
    assert (second.release_date, second.release_date_precision) == (date(1987, 7, 1), "month")
    assert first.popularity is None
    assert "spotify_popularity" not in first.fields()
    assert second.explicit is True


def test_search_asks_for_the_track_and_artist_filters(http: Any) -> None:
    http.get(f"{API}/search", json=payload("spotify", "search"))
    SpotifySource().search('The "Low" Tides', "Harbour Lights", limit=50)
    query = sent_query(calls_to(http, API)[0])
    assert query["q"] == ['track:"Harbour Lights" artist:"The  Low  Tides"']
    assert query["type"] == ["track"]
    assert query["limit"] == ["10"]  # development-mode apps get at most 10 items


def test_search_by_isrc_with_no_match_is_an_empty_list(http: Any) -> None:
    http.get(f"{API}/search", json=payload("spotify", "search_empty"))
    assert SpotifySource().search_isrc("ZZZZZ0000000") == []
    query = sent_query(calls_to(http, API)[0])
    assert query["q"] == ["isrc:ZZZZZ0000000"]


def test_a_search_result_becomes_a_candidate(http: Any) -> None:
    http.get(f"{API}/search", json=payload("spotify", "search"))
    candidate = SpotifySource().search("The Low Tides", "Harbour Lights")[0].to_candidate()
    assert candidate.source == "spotify"
    assert candidate.identifier == "5Rt8Uv1Wx4Yz7Ab0Cd3Ef6"
    assert (candidate.artist, candidate.title) == ("The Low Tides", "Harbour Lights")
    assert (candidate.duration_ms, candidate.isrc) == (213000, "USABC8700042")


def test_an_unknown_track_is_none_and_not_asked_again(http: Any) -> None:
    http.get(f"{API}/tracks/{TRACK_ID}", status=404, json=payload("spotify", "error_404"))
    assert SpotifySource().track(TRACK_ID) is None
    assert SpotifySource().track(TRACK_ID) is None
    assert len(calls_to(http, API)) == 1


def test_a_cache_hit_makes_no_second_call(http: Any) -> None:
    http.get(f"{API}/tracks/{TRACK_ID}", json=payload("spotify", "track"))
    first = SpotifySource().track(TRACK_ID)
    assert SpotifySource().track(TRACK_ID) == first
    assert len(calls_to(http, API)) == 1


def test_an_expiring_token_is_renewed_before_it_runs_out(http: Any) -> None:
    http.replace(responses.POST, TOKEN_URL, json=payload("spotify", "token", expires_in=30))
    http.get(f"{API}/tracks/{TRACK_ID}", json=payload("spotify", "track"))
    SpotifySource().track(TRACK_ID)
    SpotifySource(force_refresh=True).track(TRACK_ID)  # goes upstream: needs a fresh token
    assert len(calls_to(http, TOKEN_URL)) == 2


def test_a_cache_hit_needs_no_token(http: Any) -> None:
    http.get(f"{API}/tracks/{TRACK_ID}", json=payload("spotify", "track"))
    SpotifySource().track(TRACK_ID)
    SpotifySource.forget_tokens()
    http.replace(responses.POST, TOKEN_URL, status=500)
    assert SpotifySource().track(TRACK_ID) is not None  # served from cache, token never asked
    assert len(calls_to(http, TOKEN_URL)) == 1


def test_the_token_is_fetched_once_and_reused(http: Any) -> None:
    http.get(f"{API}/tracks/{TRACK_ID}", json=payload("spotify", "track"))
    http.get(f"{API}/search", json=payload("spotify", "search"))
    SpotifySource().track(TRACK_ID)
    SpotifySource().search("The Low Tides", "Harbour Lights")
    token_calls = calls_to(http, TOKEN_URL)
    assert len(token_calls) == 1
    assert "grant_type=client_credentials" in str(token_calls[0].request.body)
    assert token_calls[0].request.headers["Authorization"].startswith("Basic ")
    bearer = calls_to(http, API)[1].request.headers["Authorization"]
    assert bearer == "Bearer BQD-fixture-access-token-one"


def test_an_expired_token_is_refreshed_and_the_call_made_once_more(http: Any) -> None:
    renewed = payload("spotify", "token", access_token="BQD-fixture-access-token-two")
    http.post(TOKEN_URL, json=renewed)  # the second token request gets a new token
    http.get(f"{API}/tracks/{TRACK_ID}", status=401, json=payload("spotify", "error_401"))
    http.get(f"{API}/tracks/{TRACK_ID}", json=payload("spotify", "track"))
    assert SpotifySource().track(TRACK_ID) is not None
    sent = [call.request.headers["Authorization"] for call in calls_to(http, API)]
    assert sent == ["Bearer BQD-fixture-access-token-one", "Bearer BQD-fixture-access-token-two"]


def test_a_second_401_is_reported_not_retried_again(http: Any) -> None:
    http.get(f"{API}/tracks/{TRACK_ID}", status=401, json=payload("spotify", "error_401"))
    with pytest.raises(Unauthorized):
        SpotifySource().track(TRACK_ID)
    assert len(calls_to(http, API)) == 2
    assert len(calls_to(http, TOKEN_URL)) == 2


@pytest.mark.parametrize("status", [400, 401])
def test_rejected_client_credentials_are_a_configuration_error(http: Any, status: int) -> None:
    http.replace(
        responses.POST, TOKEN_URL, status=status, json=payload("spotify", "token_invalid_client")
    )
    with pytest.raises(ConfigurationError, match="SPOTIFY_CLIENT_ID") as caught:
        SpotifySource().track(TRACK_ID)
    assert not isinstance(caught.value, Unauthorized)  # so never retried
    assert calls_to(http, API) == []
    assert len(calls_to(http, TOKEN_URL)) == 1


def test_an_unconfigured_app_raises_without_any_http_call(settings: Any) -> None:
    settings.SPOTIFY_CLIENT_SECRET = ""
    with responses.RequestsMock() as mock, pytest.raises(Unconfigured, match="SPOTIFY_CLIENT"):
        SpotifySource().track(TRACK_ID)
    assert len(mock.calls) == 0
    assert "SPOTIFY_CLIENT_SECRET" in (SpotifySource.missing_configuration() or "")


def test_audio_features_are_parsed(http: Any) -> None:
    http.get(f"{API}/audio-features/{TRACK_ID}", json=payload("spotify", "audio_features"))
    features = SpotifySource().audio_features(TRACK_ID)
    assert features is not None
    assert (features.tempo, features.key, features.mode, features.time_signature) == (
        124.006,
        9,
        0,
        4,
    )
    assert features.fields()["bpm"] == 124.006
    assert features.fields()["key_pitch_class"] == 9
    assert "key" not in features.fields() and "camelot_key" not in features.fields()


def test_audio_features_batch_skips_nulls_and_reads_no_key_as_none(http: Any) -> None:
    http.get(f"{API}/audio-features", json=payload("spotify", "audio_features_batch"))
    ids = [TRACK_ID, "5Rt8Uv1Wx4Yz7Ab0Cd3Ef6", "0000000000000000000000"]
    found = SpotifySource().audio_features_batch(ids)
    assert set(found) == {TRACK_ID, "5Rt8Uv1Wx4Yz7Ab0Cd3Ef6"}
    no_key = found["5Rt8Uv1Wx4Yz7Ab0Cd3Ef6"]
    assert no_key.key is None
    assert "key_pitch_class" not in no_key.fields() and "key_mode" not in no_key.fields()


def test_audio_features_batch_takes_at_most_100_ids() -> None:
    with pytest.raises(ValueError, match="100"):
        SpotifySource().audio_features_batch([f"{n:022d}" for n in range(101)])
    assert SpotifySource().audio_features_batch([]) == {}


def test_a_403_on_audio_features_marks_them_unavailable_and_stops_asking(http: Any) -> None:
    http.get(f"{API}/audio-features/{TRACK_ID}", status=403, json=payload("spotify", "error_403"))
    with pytest.raises(CapabilityUnavailable):
        SpotifySource().audio_features(TRACK_ID)
    assert django_cache.get(FEATURES_UNAVAILABLE_KEY) is True
    with pytest.raises(CapabilityUnavailable):
        SpotifySource().audio_features_batch([TRACK_ID])
    assert len(calls_to(http, f"{API}/audio-features")) == 1


def test_the_shared_flag_is_read_once_per_recheck_period(
    http: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    http.get(f"{API}/audio-features/{TRACK_ID}", json=payload("spotify", "audio_features"))
    reads: list[str] = []
    real_get = django_cache.get

    def counted_get(key: str, *args: Any) -> Any:
        reads.append(key)
        return real_get(key, *args)

    monkeypatch.setattr(django_cache, "get", counted_get)
    SpotifySource().audio_features(TRACK_ID)
    SpotifySource().audio_features(TRACK_ID)
    assert reads.count(FEATURES_UNAVAILABLE_KEY) == 1
    # Another process found them unavailable: this one learns it at its next recheck.
    django_cache.set(FEATURES_UNAVAILABLE_KEY, True)
    clock = time.monotonic() + spotify.FEATURES_FLAG_RECHECK + 1
    monkeypatch.setattr(spotify.time, "monotonic", lambda: clock)
    with pytest.raises(CapabilityUnavailable):
        SpotifySource().audio_features("4uLU6hMCjMI75M1A2tKUQC")
    assert reads.count(FEATURES_UNAVAILABLE_KEY) == 2


def test_a_403_elsewhere_stays_a_configuration_error(http: Any) -> None:
    http.get(f"{API}/tracks/{TRACK_ID}", status=403, json=payload("spotify", "error_403"))
    with pytest.raises(ConfigurationError) as caught:
        SpotifySource().track(TRACK_ID)
    assert not isinstance(caught.value, CapabilityUnavailable)
    assert django_cache.get(FEATURES_UNAVAILABLE_KEY) is None


def test_a_429_is_rate_limited_with_its_retry_after(http: Any) -> None:
    http.get(
        f"{API}/tracks/{TRACK_ID}",
        status=429,
        headers={"Retry-After": "3"},
        json=payload("spotify", "error_429"),
    )
    with pytest.raises(RateLimited) as caught:
        SpotifySource().track(TRACK_ID)
    assert caught.value.retry_after == 3.0


def test_a_500_is_transient(http: Any) -> None:
    http.get(f"{API}/tracks/{TRACK_ID}", status=500, body="upstream failure")
    with pytest.raises(TransientSourceError):
        SpotifySource().track(TRACK_ID)


def test_a_body_that_is_not_json_is_malformed(http: Any) -> None:
    http.get(f"{API}/tracks/{TRACK_ID}", body="<html>oops</html>")
    with pytest.raises(MalformedResponse):
        SpotifySource().track(TRACK_ID)


def test_a_track_without_a_name_is_malformed_naming_the_endpoint(http: Any) -> None:
    http.get(f"{API}/tracks/{TRACK_ID}", json=without(payload("spotify", "track"), "name"))
    with pytest.raises(MalformedResponse, match=r"tracks: .*'name'"):
        SpotifySource().track(TRACK_ID)


def test_a_search_without_items_is_malformed(http: Any) -> None:
    http.get(f"{API}/search", json={"tracks": {"total": 0}})
    with pytest.raises(MalformedResponse, match="search"):
        SpotifySource().search_isrc("GBXYZ1900123")


def test_credentials_and_token_never_reach_the_cache(http: Any) -> None:
    http.get(f"{API}/tracks/{TRACK_ID}", json=payload("spotify", "track"))
    SpotifySource().track(TRACK_ID)
    rows = stored_rows()
    assert "tracks" in rows
    for secret in ("BQD-fixture-access-token-one", CLIENT_ID, CLIENT_SECRET, "Bearer"):
        assert secret not in rows


def test_a_dash_suffix_in_a_track_name_is_read_as_its_version() -> None:
    body = payload("spotify", "track") | {"name": "Strobe - Michael Woods Remix"}
    version = parse_title(parse_track(body).to_candidate().title).version
    assert (version.kinds, version.credit) == (frozenset({"remix"}), "michael woods")
