"""Simulated Spotify: token flow, auth failures, tracks, search and audio features."""

from __future__ import annotations

from collections.abc import Callable

import requests

from sandbox.catalogue import Catalogue
from sandbox.server import SandboxServer
from tests.sandbox.conftest import missing_keys, sample


def test_token_needs_client_credentials(server: SandboxServer, http: requests.Session) -> None:
    url = f"{server.url}/spotify/accounts/api/token"
    good = http.post(url, data={"grant_type": "client_credentials"}, auth=("id", "secret"))
    assert good.status_code == 200
    assert set(good.json()) == set(sample("spotify/token_client_credentials.json"))
    assert good.json()["token_type"] == "Bearer" and good.json()["expires_in"] == 3600
    bad = http.post(url, data={"grant_type": "client_credentials"}, auth=("id", ""))
    assert bad.status_code == 400
    assert bad.json() == sample("spotify/token_error_invalid_client.json")
    no_grant = http.post(url, auth=("id", "secret"))
    assert no_grant.status_code == 400 and no_grant.json()["error"] == "unsupported_grant_type"


def test_api_calls_without_a_valid_token_get_401(
    server: SandboxServer, http: requests.Session, data: Catalogue
) -> None:
    url = f"{server.url}/spotify/v1/tracks/{data.recordings[0].spotify_id}"
    assert http.get(url).status_code == 401
    invalid = http.get(url, headers={"Authorization": "Bearer nope"})
    assert invalid.status_code == 401 and invalid.json()["error"]["status"] == 401


def test_expired_tokens_get_401_until_renewed(
    make_server: Callable[..., SandboxServer], http: requests.Session, data: Catalogue
) -> None:
    running = make_server(rate_scale=0)
    token = http.post(
        f"{running.url}/spotify/accounts/api/token",
        data={"grant_type": "client_credentials"},
        auth=("id", "secret"),
    ).json()["access_token"]
    http.post(f"{running.url}/_sandbox/expire-tokens")
    expired = http.get(
        f"{running.url}/spotify/v1/tracks/{data.recordings[0].spotify_id}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert expired.status_code == 401
    assert expired.json()["error"]["message"] == "The access token expired"


def test_track_has_the_real_track_shape(
    spotify: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    recording = data.hard_cases["featured"][0]
    body = spotify.get(f"{server.url}/spotify/v1/tracks/{recording.spotify_id}").json()
    real = sample("spotify/track_ropes_dirty_palm_with_headers.json")
    assert set(body) == set(real) and missing_keys(real, body) == []
    assert body["external_ids"]["isrc"] == recording.isrc
    assert [a["name"] for a in body["artists"]][:2] == [
        recording.artist.name,
        recording.featured[0].name,
    ]
    assert body["album"]["release_date_precision"] == recording.release.release_date_precision


def test_unknown_and_malformed_track_ids(spotify: requests.Session, server: SandboxServer) -> None:
    unknown = spotify.get(f"{server.url}/spotify/v1/tracks/{'0' * 22}")
    assert unknown.status_code == 404
    assert unknown.json() == sample("spotify/error_404_resource_not_found.json")
    assert spotify.get(f"{server.url}/spotify/v1/tracks/short").status_code == 400


def test_isrc_search_finds_exactly_one(
    spotify: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    recording = data.recordings[5]
    body = spotify.get(
        f"{server.url}/spotify/v1/search", params={"q": f"isrc:{recording.isrc}", "type": "track"}
    ).json()
    real = sample("spotify/search_track_never_gonna_give_you_up.json")
    assert set(body["tracks"]) == set(real["tracks"])
    assert [i["id"] for i in body["tracks"]["items"]] == [recording.spotify_id]


def test_text_search_ranks_the_match_above_its_versions(
    spotify: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    original = next(r for r in data.hard_cases["remix_family"] if not r.version)
    query = f'track:"{original.title}" artist:"{original.artist.name}"'
    tracks = spotify.get(
        f"{server.url}/spotify/v1/search", params={"q": query, "type": "track", "limit": "10"}
    ).json()["tracks"]
    ids = [item["id"] for item in tracks["items"]]
    assert ids[0] == original.spotify_id and len(ids) > 1
    assert any(" - " in item["name"] for item in tracks["items"][1:])


def test_search_returns_at_most_ten_items_and_rejects_bad_limits(
    spotify: requests.Session, server: SandboxServer
) -> None:
    url = f"{server.url}/spotify/v1/search"
    tracks = spotify.get(url, params={"q": "deep", "type": "track", "limit": "50"}).json()["tracks"]
    assert len(tracks["items"]) == 10 and tracks["total"] > 10 and tracks["next"]
    assert spotify.get(url, params={"q": "deep", "type": "track", "limit": "51"}).status_code == 400
    assert spotify.get(url, params={"q": "deep"}).status_code == 400


def test_audio_features_single_and_batch(
    spotify: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    with_features = next(r for r in data.recordings if r.features)
    without = data.hard_cases["no_audio_features"][0]
    single = spotify.get(f"{server.url}/spotify/v1/audio-features/{with_features.spotify_id}")
    assert set(single.json()) == set(sample("spotify/audio_features_single.json"))
    assert (
        spotify.get(f"{server.url}/spotify/v1/audio-features/{without.spotify_id}").status_code
        == 404
    )
    batch = spotify.get(
        f"{server.url}/spotify/v1/audio-features",
        params={"ids": f"{with_features.spotify_id},{without.spotify_id}"},
    ).json()
    assert batch["audio_features"][0]["tempo"] == with_features.features.tempo  # type: ignore[union-attr]
    assert batch["audio_features"][1] is None


def test_key_unknown_is_minus_one(
    spotify: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    recording = data.hard_cases["key_unknown"][0]
    body = spotify.get(f"{server.url}/spotify/v1/audio-features/{recording.spotify_id}").json()
    assert body["key"] == -1
