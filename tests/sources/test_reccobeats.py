"""ReccoBeats: audio features keyed by the Spotify id read from each item's href."""

from __future__ import annotations

from typing import Any

import pytest
import responses

from enrichment.sources.errors import MalformedResponse, PermanentSourceError, RateLimited
from enrichment.sources.reccobeats import ReccoBeatsSource
from tests.sources.payloads import payload, sent_query

pytestmark = pytest.mark.django_db

URL = "https://api.reccobeats.com/v1/audio-features"
KNOWN = "3Zp7YkQ2xW9rTb4NcVh6Ld"
NO_KEY = "5Rt8Uv1Wx4Yz7Ab0Cd3Ef6"
UNKNOWN = "0000000000000000000000"


def features(*ids: str) -> Any:
    return ReccoBeatsSource().audio_features(list(ids))


@responses.activate
def test_features_are_keyed_by_the_spotify_id_in_href() -> None:
    responses.get(URL, json=payload("reccobeats", "audio_features"))
    found = features(KNOWN, NO_KEY, UNKNOWN)
    assert set(found) == {KNOWN, NO_KEY}  # unknown ids are simply absent
    item = found[KNOWN]
    assert (item.tempo, item.key, item.mode, item.energy) == (123.98, 9, 0, 0.79)
    assert item.time_signature is None and item.duration_ms is None  # ReccoBeats has neither
    assert item.fields() == {
        "bpm": 123.98,
        "key_pitch_class": 9,
        "key_mode": 0,
        "energy": 0.79,
        "danceability": 0.705,
        "valence": 0.35,
        "acousticness": 0.0041,
        "instrumentalness": 0.55,
        "liveness": 0.11,
        "speechiness": 0.048,
        "loudness": -6.9,
    }


@responses.activate
def test_an_out_of_range_value_is_dropped_and_noted_never_clamped() -> None:
    responses.get(URL, json=payload("reccobeats", "audio_features"))
    item = features(NO_KEY)[NO_KEY]
    assert item.energy == 1.7
    assert "energy" not in item.fields()
    assert item.notes() == ("energy=1.7 is out of its documented range: not written",)
    assert item.key is None and "key_pitch_class" not in item.fields()  # -1 = no key


@responses.activate
def test_ids_are_sent_sorted_and_comma_separated() -> None:
    responses.get(URL, json={"content": []})
    assert features(NO_KEY, KNOWN, NO_KEY) == {}
    query = sent_query(responses.calls[0])
    assert query == {"ids": [f"{KNOWN},{NO_KEY}"]}


@responses.activate
def test_a_cache_hit_makes_no_second_call() -> None:
    responses.get(URL, json=payload("reccobeats", "audio_features"))
    assert features(KNOWN) == features(KNOWN)
    assert len(responses.calls) == 1


def test_at_most_40_ids_per_call_and_none_means_no_call() -> None:
    with responses.RequestsMock() as mock:
        with pytest.raises(ValueError, match="40"):
            features(*(f"{n:022d}" for n in range(41)))
        assert features() == {}
    assert len(mock.calls) == 0


@responses.activate
def test_an_item_whose_href_is_not_a_spotify_track_is_malformed() -> None:
    body = payload("reccobeats", "audio_features")
    body["content"][0]["href"] = "https://example.org/elsewhere"
    responses.get(URL, json=body)
    with pytest.raises(MalformedResponse, match=r"audio-features: .*href"):
        features(KNOWN)


@responses.activate
def test_a_body_without_content_is_malformed() -> None:
    responses.get(URL, json={"timestamp": "2026-01-01T00:00:00Z"})
    with pytest.raises(MalformedResponse, match="audio-features"):
        features(KNOWN)


@responses.activate
def test_a_429_is_rate_limited_with_its_retry_after() -> None:
    responses.get(
        URL, status=429, headers={"Retry-After": "4"}, json={"error": "Too Many Requests"}
    )
    with pytest.raises(RateLimited) as caught:
        features(KNOWN)
    assert caught.value.retry_after == 4.0


@responses.activate
def test_each_rows_isrc_is_read_for_the_cross_check_but_never_supplied() -> None:
    body = payload("reccobeats", "audio_features")
    body["content"][0]["isrc"] = "usug11904206"
    responses.get(URL, json=body)
    found = features(KNOWN, NO_KEY)
    assert found[KNOWN].isrc == "USUG11904206"
    assert found[NO_KEY].isrc is None  # rows may lack it (as in the recorded batch answer)
    assert "isrc" not in found[KNOWN].fields()


# The real API's validation answer (HTTP 400).
TOO_MANY_IDS = {
    "status": 4004,
    "errors": [{"path": "getAudioFeatures.ids", "message": "size must be between 1 and 40"}],
}


@responses.activate
def test_a_validation_error_is_a_permanent_error_naming_its_path_and_message() -> None:
    responses.get(URL, status=400, json=TOO_MANY_IDS)
    with pytest.raises(PermanentSourceError) as caught:
        features(KNOWN)
    assert caught.value.message == (
        "audio-features: HTTP 400: 4004 getAudioFeatures.ids: size must be between 1 and 40"
    )


@responses.activate
def test_an_error_body_sent_with_http_200_is_an_error_not_an_empty_answer() -> None:
    responses.get(URL, json={"status": 4002, "error": "Size must be a greater than zero"})
    with pytest.raises(PermanentSourceError, match="4002 Size must be a greater than zero"):
        features(KNOWN)


@responses.activate
def test_a_404_is_not_found() -> None:
    responses.get(URL, status=404, json={"status": 404, "error": "Not Found"})
    assert features(KNOWN) == {}
