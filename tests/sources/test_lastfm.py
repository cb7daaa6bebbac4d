"""Last.fm: track.getInfo parsed (tags in every shape); errors read from the body, 200 or 4xx."""

from __future__ import annotations

from typing import Any

import pytest
import responses

from enrichment.sources.errors import (
    ConfigurationError,
    MalformedResponse,
    PermanentSourceError,
    RateLimited,
    TransientSourceError,
    Unconfigured,
)
from enrichment.sources.lastfm import LastfmSource
from tests.sources.payloads import payload, sent_query, stored_rows

pytestmark = pytest.mark.django_db

API = "https://ws.audioscrobbler.com/2.0/"
KEY = "fixture-lastfm-api-key"


@pytest.fixture(autouse=True)
def api_key(settings: Any) -> None:
    """A configured Last.fm key."""
    settings.LASTFM_API_KEY = KEY


def info() -> Any:
    return LastfmSource().track_info("Lumen Drift", "Nightfall Avenue")


@responses.activate
def test_track_info_reads_counts_tags_and_duration() -> None:
    responses.get(API, json=payload("lastfm", "track_info"))
    track = info()
    assert track is not None
    assert (track.name, track.artist) == ("Nightfall Avenue", "Lumen Drift")
    assert (track.listeners, track.playcount, track.duration_ms) == (48210, 391877, 241000)
    assert track.tags == ("deep house", "electronic", "late night")  # lower case, no repeats
    assert track.mbid == "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert track.fields() == {
        "lastfm_playcount": 391877,
        "lastfm_listeners": 48210,
        "lastfm_tags": ["deep house", "electronic", "late night"],
        "genre": "Deep House",  # the tags the genre taxonomy knows ("late night" is none)
        "genres": ["Deep House", "Electronic"],
        "duration_ms": 241000,
    }


@responses.activate
def test_a_single_tag_object_and_a_zero_duration_are_understood() -> None:
    responses.get(API, json=payload("lastfm", "track_info_single_tag"))
    track = info()
    assert track is not None
    assert track.tags == ("progressive house",)
    assert track.duration_ms is None
    assert "duration_ms" not in track.fields()


@responses.activate
@pytest.mark.parametrize("toptags", ["", None, {"tag": []}, {"#text": ""}])
def test_missing_or_empty_tags_are_no_tags(toptags: Any) -> None:
    body = payload("lastfm", "track_info")
    body["track"]["toptags"] = toptags
    responses.get(API, json=body)
    track = info()
    assert track is not None and track.tags == ()
    assert "lastfm_tags" not in track.fields()


@responses.activate
def test_the_request_is_https_with_autocorrect_json_and_the_key() -> None:
    responses.get(API, json=payload("lastfm", "track_info"))
    info()
    url = responses.calls[0].request.url or ""
    assert url.startswith("https://ws.audioscrobbler.com/2.0/?")
    assert sent_query(responses.calls[0]) == {
        "method": ["track.getInfo"],
        "artist": ["Lumen Drift"],
        "track": ["Nightfall Avenue"],
        "autocorrect": ["1"],
        "format": ["json"],
        "api_key": [KEY],
    }


@responses.activate
def test_lookup_by_mbid_sends_the_mbid() -> None:
    responses.get(API, json=payload("lastfm", "track_info"))
    assert LastfmSource().track_info_by_mbid("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d") is not None
    query = sent_query(responses.calls[0])
    assert query["mbid"] == ["0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"] and "artist" not in query


@responses.activate
@pytest.mark.parametrize("status", [200, 400, 404])
def test_error_6_is_not_found_whatever_the_status(status: int) -> None:
    responses.get(API, status=status, json=payload("lastfm", "error6"))
    assert info() is None


@responses.activate
def test_a_not_found_answer_is_not_asked_again() -> None:
    responses.get(API, json=payload("lastfm", "error6"))
    assert info() is None
    assert info() is None
    assert len(responses.calls) == 1


@responses.activate
@pytest.mark.parametrize("status", [200, 400])
def test_error_29_is_rate_limited(status: int) -> None:
    responses.get(API, status=status, json=payload("lastfm", "error29"))
    with pytest.raises(RateLimited) as caught:
        info()
    assert caught.value.retry_after


@responses.activate
@pytest.mark.parametrize(("status", "code"), [(200, 10), (403, 10), (400, 26), (200, 4)])
def test_key_errors_are_configuration_errors(status: int, code: int) -> None:
    responses.get(API, status=status, json=payload("lastfm", "error10", error=code))
    with pytest.raises(ConfigurationError):
        info()


@responses.activate
@pytest.mark.parametrize("code", [8, 11, 16])
def test_temporary_errors_are_transient(code: int) -> None:
    responses.get(API, json={"error": code, "message": "Service Offline", "links": []})
    with pytest.raises(TransientSourceError):
        info()


@responses.activate
def test_other_error_codes_are_permanent() -> None:
    responses.get(API, status=400, json={"error": 3, "message": "Invalid Method", "links": []})
    with pytest.raises(PermanentSourceError, match="error 3"):
        info()


@responses.activate
def test_a_500_is_transient() -> None:
    responses.get(API, status=500, body="Internal Server Error")
    with pytest.raises(TransientSourceError):
        info()


@responses.activate
def test_a_track_without_listeners_is_malformed() -> None:
    body = payload("lastfm", "track_info")
    del body["track"]["listeners"]
    responses.get(API, json=body)
    with pytest.raises(MalformedResponse, match=r"track\.getInfo: .*'listeners'"):
        info()


@responses.activate
def test_a_body_that_is_not_json_is_malformed() -> None:
    responses.get(API, body="<lfm status='failed'/>")
    with pytest.raises(MalformedResponse):
        info()


@responses.activate
def test_the_api_key_never_reaches_the_cache(settings: Any) -> None:
    responses.get(API, json=payload("lastfm", "track_info"))
    info()
    rows = stored_rows()
    assert "Nightfall" in rows and KEY not in rows
    settings.LASTFM_API_KEY = "another-key"
    info()  # the key is not part of the cache key: a hit
    assert len(responses.calls) == 1


@responses.activate
def test_a_result_becomes_a_candidate_to_check_autocorrect() -> None:
    responses.get(API, json=payload("lastfm", "track_info"))
    track = info()
    assert track is not None
    candidate = track.to_candidate()
    assert (candidate.artist, candidate.title) == ("Lumen Drift", "Nightfall Avenue")
    assert candidate.identifier == "https://www.last.fm/music/Lumen+Drift/_/Nightfall+Avenue"


def test_without_a_key_it_is_unconfigured_and_calls_nothing(settings: Any) -> None:
    settings.LASTFM_API_KEY = ""
    with responses.RequestsMock() as mock, pytest.raises(Unconfigured, match="LASTFM_API_KEY"):
        info()
    assert len(mock.calls) == 0
