"""Simulated ReccoBeats audio features by Spotify id."""

from __future__ import annotations

import requests

from sandbox.catalogue import Catalogue
from sandbox.server import SandboxServer
from tests.sandbox.conftest import missing_keys, sample

FEATURE_KEYS = {
    "id", "href", "isrc", "acousticness", "danceability", "energy", "instrumentalness", "key",
    "liveness", "loudness", "mode", "speechiness", "tempo", "valence",
}  # fmt: skip


def test_features_by_spotify_ids_skip_unknown_ones(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    known = next(r for r in data.recordings if r.on("reccobeats"))
    without = data.hard_cases["no_audio_features"][0]
    ids = f"{known.spotify_id},{without.spotify_id},{'x' * 22}"
    body = http.get(f"{server.url}/reccobeats/v1/audio-features", params={"ids": ids}).json()
    assert len(body["content"]) == 1
    item = body["content"][0]
    assert set(item) == FEATURE_KEYS
    assert item["href"] == f"https://open.spotify.com/track/{known.spotify_id}"
    assert item["id"] == known.reccobeats_id and item["tempo"] == known.features.tempo  # type: ignore[union-attr]
    assert item["isrc"] == known.isrc


def test_ids_are_required_and_refused_with_the_real_validation_body(
    http: requests.Session, server: SandboxServer
) -> None:
    answer = http.get(f"{server.url}/reccobeats/v1/audio-features")
    assert answer.status_code == 400
    assert answer.json() == {
        "status": 4004,
        "errors": [{"path": "getAudioFeatures.ids", "message": "size must be between 1 and 40"}],
    }


def test_more_than_40_ids_are_refused_like_the_real_api(
    http: requests.Session, server: SandboxServer
) -> None:
    ids = ",".join(f"{n:022d}" for n in range(41))
    answer = http.get(f"{server.url}/reccobeats/v1/audio-features", params={"ids": ids})
    assert answer.status_code == 400
    assert answer.json() == sample("reccobeats/error_400_audio_features_more_than_40_ids.json")


def test_feature_rows_have_the_real_shape(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    known = next(r for r in data.recordings if r.on("reccobeats"))
    params = {"ids": known.spotify_id}
    body = http.get(f"{server.url}/reccobeats/v1/audio-features", params=params).json()
    real = sample("reccobeats/audio_features_blinding_lights_the_weeknd.json")
    assert missing_keys(real, body) == []
