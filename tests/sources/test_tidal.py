"""TIDAL: id, BPM and key by ISRC from JSON:API documents; token reused, renewed on 401."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from enrichment.camelot import harmonic_key
from enrichment.lookups import Attempt
from enrichment.matching import Query
from enrichment.merge import Found, merge
from enrichment.sources.errors import (
    ConfigurationError,
    MalformedResponse,
    PermanentSourceError,
    RateLimited,
    TransientSourceError,
    Unauthorized,
    Unconfigured,
)
from enrichment.sources.registry import provider
from enrichment.sources.tidal import TidalSource, isrc_step, parse_track
from tests.sources.payloads import payload, sent_query, stored_rows

pytestmark = pytest.mark.django_db

API = "https://openapi.tidal.com/v2"
TRACKS = f"{API}/tracks"
TOKEN_URL = "https://auth.tidal.com/v1/oauth2/token"
ISRC = "GBXYZ1900123"
CLIENT_ID = "tidal-fixture-client-id"
CLIENT_SECRET = "tidal-fixture-client-secret"
NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def credentials(settings: Any) -> Iterator[None]:
    """A configured TIDAL app, and no token carried over from another test."""
    settings.TIDAL_CLIENT_ID = CLIENT_ID
    settings.TIDAL_CLIENT_SECRET = CLIENT_SECRET
    TidalSource.forget_tokens()
    yield
    TidalSource.forget_tokens()


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    """Faked HTTP with the token endpoint answering."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(TOKEN_URL, json=payload("tidal", "token"))
        yield mock


def calls_to(mock: responses.RequestsMock, url_start: str) -> list[Any]:
    return [call for call in mock.calls if (call.request.url or "").startswith(url_start)]


def document(**attributes: Any) -> dict[str, Any]:
    """The analysed fixture with some track attributes changed (None removes one)."""
    body = payload("tidal", "tracks_by_isrc_analysed")
    item = body["data"][0]["attributes"]
    for name, value in attributes.items():
        if value is None:
            item.pop(name, None)
        else:
            item[name] = value
    return body


def resource(**attributes: Any) -> dict[str, Any]:
    return {"id": "1", "type": "tracks", "attributes": {"title": "T", **attributes}}


# --- found, and what it supplies --------------------------------------------------------------
def test_a_track_like_the_real_captures_gives_its_id_and_nothing_else(http: Any) -> None:
    http.get(TRACKS, json=payload("tidal", "tracks_by_isrc"))
    track = TidalSource().track_by_isrc(ISRC)
    assert track is not None
    assert (track.id, track.title, track.isrc) == ("287316245", "Harbour Lights", ISRC)
    assert track.fields() == {"tidal_id": "287316245"}  # no bpm, key or keyScale in it


def test_an_analysed_track_gives_bpm_and_key_as_pitch_class_and_mode(http: Any) -> None:
    http.get(TRACKS, json=payload("tidal", "tracks_by_isrc_analysed"))
    track = TidalSource().track_by_isrc(ISRC)
    assert track is not None
    assert track.fields() == {
        "tidal_id": "287316245",
        "bpm": 124.0,
        "key_pitch_class": 6,
        "key_mode": 0,
    }
    harmonic = harmonic_key(6, 0)
    assert harmonic is not None and (harmonic.name, harmonic.camelot) == ("F# minor", "11A")


def test_the_request_filters_by_isrc_in_one_country_as_json_api(http: Any) -> None:
    http.get(TRACKS, json=payload("tidal", "tracks_by_isrc"))
    TidalSource().track_by_isrc("gb-xyz-19-00123")
    call = calls_to(http, API)[0]
    assert sent_query(call) == {"filter[isrc]": [ISRC], "countryCode": ["US"]}
    assert call.request.headers["Accept"] == "application/vnd.api+json"
    assert call.request.headers["Authorization"] == "Bearer tidal-fixture-access-token-one"


@pytest.mark.parametrize(
    ("key", "scale", "expected"),
    [
        ("C", "MAJOR", (0, 1)),
        ("CSharp", "MINOR", (1, 0)),
        ("Eb", "MAJOR", (3, 1)),
        ("Bb", "AEOLIAN", (10, 0)),  # the natural minor
        ("B", "MINOR", (11, 0)),
    ],
)
def test_key_names_of_the_spec_map_to_pitch_class_and_mode(
    key: str, scale: str, expected: tuple[int, int]
) -> None:
    track = parse_track(resource(key=key, keyScale=scale))
    assert (track.key_pitch_class, track.key_mode) == expected


@pytest.mark.parametrize(
    ("key", "scale"),
    [
        ("UNKNOWN", "MAJOR"),
        ("C#", "MAJOR"),  # not the spec's spelling: no guess
        ("Db", "MINOR"),
        ("c", "MAJOR"),
        ("A", "DORIAN"),  # a mode with no major/minor reading
        ("A", "UNKNOWN"),
        ("A", None),
        (None, "MINOR"),
    ],
)
def test_an_unknown_key_or_scale_gives_no_key_never_a_wrong_one(
    key: str | None, scale: str | None
) -> None:
    attributes = {name: value for name, value in (("key", key), ("keyScale", scale)) if value}
    fields = parse_track(resource(**attributes, bpm=128.0)).fields()
    assert fields == {"tidal_id": "1", "bpm": 128.0}


def test_an_id_that_is_not_a_tidal_track_id_is_not_written() -> None:
    track = parse_track(
        {"id": "2xpmpI1s9E00P3ibLQtuBV", "type": "tracks", "attributes": {"title": "T"}}
    )
    assert "tidal_id" not in track.fields()
    assert any("tidal_id" in note for note in track.notes())


@pytest.mark.parametrize("bpm", [0, 0.0, -12.0, 1500.0])
def test_a_bpm_out_of_range_is_not_written(bpm: float) -> None:
    assert "bpm" not in parse_track(resource(bpm=bpm)).fields()


def test_of_several_tracks_with_the_isrc_an_analysed_one_is_chosen(http: Any) -> None:
    analysed = document()["data"][0]
    plain = payload("tidal", "tracks_by_isrc")["data"][0] | {"id": "287316200"}
    other = plain | {"id": "99", "attributes": {**plain["attributes"], "isrc": "GBXYZ1900999"}}
    http.get(TRACKS, json={"data": [other, plain, analysed], "links": {}, "included": []})
    track = TidalSource().track_by_isrc(ISRC)
    assert track is not None and track.id == "287316245" and track.bpm == 124.0


def test_tracks_carrying_another_isrc_are_not_found(http: Any) -> None:
    http.get(TRACKS, json=document(isrc="GBXYZ1900999"))
    assert TidalSource().track_by_isrc(ISRC) is None


# --- not found, rate limited, refused, malformed --------------------------------------------
def test_an_unknown_isrc_is_an_empty_document_and_none(http: Any) -> None:
    http.get(TRACKS, json=payload("tidal", "tracks_empty"))
    assert TidalSource().track_by_isrc(ISRC) is None


def test_a_404_errors_document_is_not_found(http: Any) -> None:
    http.get(TRACKS, status=404, json=payload("tidal", "error_404"))
    assert TidalSource().track_by_isrc(ISRC) is None


def test_a_429_is_rate_limited_with_its_retry_after(http: Any) -> None:
    http.get(TRACKS, status=429, headers={"Retry-After": "7"}, json=payload("tidal", "error_429"))
    with pytest.raises(RateLimited) as caught:
        TidalSource().track_by_isrc(ISRC)
    assert caught.value.retry_after == 7.0


def test_a_429_without_retry_after_as_documented_is_still_rate_limited(http: Any) -> None:
    http.get(TRACKS, status=429, json=payload("tidal", "error_429"))
    with pytest.raises(RateLimited) as caught:
        TidalSource().track_by_isrc(ISRC)
    assert caught.value.retry_after is None  # the seam pauses by its own default


def test_an_expired_token_is_renewed_and_the_call_made_once_more(http: Any) -> None:
    renewed = payload("tidal", "token", access_token="tidal-fixture-access-token-two")
    http.post(TOKEN_URL, json=renewed)
    http.get(TRACKS, status=401, json=payload("tidal", "error_401"))
    http.get(TRACKS, json=payload("tidal", "tracks_by_isrc"))
    assert TidalSource().track_by_isrc(ISRC) is not None
    sent = [call.request.headers["Authorization"] for call in calls_to(http, API)]
    assert sent == [
        "Bearer tidal-fixture-access-token-one",
        "Bearer tidal-fixture-access-token-two",
    ]


def test_a_second_401_is_a_configuration_error_not_retried_again(http: Any) -> None:
    http.get(TRACKS, status=401, json=payload("tidal", "error_401"))
    with pytest.raises(Unauthorized):
        TidalSource().track_by_isrc(ISRC)
    assert len(calls_to(http, API)) == 2


def test_a_403_is_a_configuration_error(http: Any) -> None:
    http.get(TRACKS, status=403, json={"errors": [{"status": "403", "detail": "Forbidden"}]})
    with pytest.raises(ConfigurationError) as caught:
        TidalSource().track_by_isrc(ISRC)
    assert caught.value.outcome == "config_error"


@pytest.mark.parametrize("status", [400, 401])
def test_rejected_client_credentials_are_a_configuration_error(http: Any, status: int) -> None:
    rejected = payload("tidal", "token_invalid_client")
    http.replace(responses.POST, TOKEN_URL, status=status, json=rejected)
    with pytest.raises(ConfigurationError, match="TIDAL_CLIENT_ID") as caught:
        TidalSource().track_by_isrc(ISRC)
    assert not isinstance(caught.value, Unauthorized)  # so never retried
    assert calls_to(http, API) == []


def test_the_token_is_fetched_once_with_basic_auth_and_reused(http: Any) -> None:
    http.get(TRACKS, json=payload("tidal", "tracks_by_isrc"))
    TidalSource().track_by_isrc(ISRC)
    TidalSource(force_refresh=True).track_by_isrc(ISRC)
    token_calls = calls_to(http, TOKEN_URL)
    assert len(token_calls) == 1
    assert "grant_type=client_credentials" in str(token_calls[0].request.body)
    assert token_calls[0].request.headers["Authorization"].startswith("Basic ")


def test_an_unconfigured_app_raises_without_any_http_call(settings: Any) -> None:
    settings.TIDAL_CLIENT_SECRET = ""
    with responses.RequestsMock() as mock, pytest.raises(Unconfigured, match="TIDAL_CLIENT"):
        TidalSource().track_by_isrc(ISRC)
    assert len(mock.calls) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"links": {}},  # no data
        {"data": {"id": "1"}},  # not a list
        {"data": [{"id": "1", "type": "albums", "attributes": {"title": "T"}}]},
        {"data": [{"id": 287316245, "type": "tracks", "attributes": {"title": "T"}}]},
        {"data": [{"id": "1", "type": "tracks", "attributes": {"title": "T", "bpm": "fast"}}]},
        {"data": [{"id": "1", "type": "tracks", "attributes": {"title": "T", "key": 6}}]},
    ],
)
def test_a_malformed_document_is_malformed(http: Any, body: Any) -> None:
    http.get(TRACKS, json=body)
    with pytest.raises(MalformedResponse):
        TidalSource().track_by_isrc(ISRC)


def test_an_errors_document_with_a_200_is_an_error(http: Any) -> None:
    http.get(TRACKS, json={"errors": [{"status": "400", "detail": "Invalid filter"}]})
    with pytest.raises(PermanentSourceError, match="Invalid filter"):
        TidalSource().track_by_isrc(ISRC)


def test_a_500_is_transient(http: Any) -> None:
    http.get(TRACKS, status=500, body="upstream failure")
    with pytest.raises(TransientSourceError):
        TidalSource().track_by_isrc(ISRC)


def test_no_credential_or_token_reaches_the_cache(http: Any) -> None:
    http.get(TRACKS, json=payload("tidal", "tracks_by_isrc"))
    TidalSource().track_by_isrc(ISRC)
    rows = stored_rows()
    assert "287316245" in rows
    for secret in (CLIENT_ID, CLIENT_SECRET, "tidal-fixture-access-token-one"):
        assert secret not in rows


# --- the step and the precedence ----------------------------------------------------------------
def attempt(isrc: str | None) -> Attempt:
    return Attempt(Query("Lumen Drift", "Harbour Lights"), None, isrc, None, enabled=["tidal"])


def test_the_step_asks_only_when_the_track_has_an_isrc(http: Any) -> None:
    outcome = isrc_step(attempt(None), provider("tidal"))
    assert (outcome.outcome, outcome.detail) == ("skipped", "no ISRC")
    assert len(http.calls) == 0


def test_the_step_accepts_the_isrcs_track_exactly(http: Any) -> None:
    http.get(TRACKS, json=payload("tidal", "tracks_by_isrc_analysed"))
    asked = attempt(ISRC)
    assert isrc_step(asked, provider("tidal")).outcome == "data"
    found = asked.found["tidal"]
    assert found.confidence == 1.0 and found.values["tidal_id"] == "287316245"


def test_the_step_reports_an_unknown_isrc_as_not_found(http: Any) -> None:
    http.get(TRACKS, json=payload("tidal", "tracks_empty"))
    assert isrc_step(attempt(ISRC), provider("tidal")).outcome == "not_found"


def merged(*found: Found) -> Any:
    return merge({}, {}, set(), {f.provider: f for f in found}, NOW)


def test_tidal_bpm_and_key_yield_to_reccobeats_and_beat_deezer() -> None:
    tidal = Found("tidal", {"tidal_id": "1", "bpm": 126.0, "key_pitch_class": 6, "key_mode": 0})
    result = merged(
        Found("deezer", {"bpm": 125.0}),
        tidal,
        Found("reccobeats", {"bpm": 127.9, "key_pitch_class": 9, "key_mode": 0}),
    )
    assert result.changes["bpm"] == 127.9 and result.changes["key"] == "A minor"
    result = merged(Found("deezer", {"bpm": 125.0}), tidal)
    assert result.changes["bpm"] == 126.0 and result.provenance["bpm"]["source"] == "tidal"
    assert (result.changes["key"], result.changes["camelot_key"]) == ("F# minor", "11A")
    assert result.changes["open_key"] == "4m" and result.changes["tidal_id"] == "1"
