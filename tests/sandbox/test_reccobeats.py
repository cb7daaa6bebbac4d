"""Simulated ReccoBeats audio features by Spotify id."""

from __future__ import annotations

import requests

from sandbox.catalogue import Catalogue
from sandbox.server import SandboxServer

FEATURE_KEYS = {
    "id", "href", "acousticness", "danceability", "energy", "instrumentalness", "key",
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


def test_ids_are_required(http: requests.Session, server: SandboxServer) -> None:
    assert http.get(f"{server.url}/reccobeats/v1/audio-features").status_code == 400
