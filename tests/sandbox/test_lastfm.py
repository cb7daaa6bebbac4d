"""Simulated Last.fm track.getInfo: api_key, errors in the body, autocorrect, tag shapes."""

from __future__ import annotations

from typing import Any

import requests

from sandbox.catalogue import Catalogue, Recording
from sandbox.server import SandboxServer
from tests.sandbox.conftest import missing_keys, sample


def _get_info(http: requests.Session, server: SandboxServer, **params: Any) -> requests.Response:
    query = {"method": "track.getInfo", "api_key": "key", "format": "json", **params}
    return http.get(f"{server.url}/lastfm/2.0/", params=query)


def _with_several_tags(data: Catalogue) -> Recording:
    return next(r for r in data.recordings if r.on("lastfm") and len(r.lastfm_tags) > 1)


def test_missing_api_key_is_error_10(http: requests.Session, server: SandboxServer) -> None:
    response = _get_info(http, server, api_key="", artist="a", track="b")
    assert response.status_code == 403 and response.json()["error"] == 10


def test_get_info_by_artist_and_track_has_the_real_shape(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    recording = _with_several_tags(data)
    body = _get_info(
        http, server, artist=recording.artist.name, track=recording.spotify_name, autocorrect=1
    ).json()
    real = sample("lastfm/track_getinfo_doja_cat_woman.json")
    assert missing_keys(real, body) == [".track.wiki"]
    track = body["track"]
    assert track["listeners"] == str(recording.lastfm_listeners)
    assert track["playcount"] == str(recording.lastfm_playcount)
    assert [t["name"] for t in track["toptags"]["tag"]] == list(recording.lastfm_tags)


def test_autocorrect_forgives_case_brackets_and_feat(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    recording = next(r for r in data.hard_cases["featured"] if r.on("lastfm") and r.version)
    artist = f"{recording.artist.name.upper()} feat. {recording.featured[0].name}"
    title = recording.bracketed_title
    corrected = _get_info(http, server, artist=artist, track=title, autocorrect=1).json()
    assert corrected["track"]["name"] == recording.spotify_name
    strict = _get_info(http, server, artist=artist, track=title).json()
    assert strict["error"] == 6


def test_lookup_by_mbid(http: requests.Session, server: SandboxServer, data: Catalogue) -> None:
    recording = next(r for r in data.recordings if r.on("lastfm") and r.on("musicbrainz"))
    body = _get_info(http, server, mbid=recording.mbid).json()
    assert body["track"]["mbid"] == recording.mbid


def test_unknown_track_is_error_6_with_http_200(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    absent = data.hard_cases["no_lastfm"][0]
    response = _get_info(http, server, artist=absent.artist.name, track=absent.spotify_name)
    assert response.status_code == 200
    assert response.json() == {"error": 6, "message": "Track not found", "links": []}


def test_single_tag_comes_as_an_object(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    recording = data.hard_cases["lastfm_single_tag"][0]
    body = _get_info(
        http, server, artist=recording.artist.name, track=recording.spotify_name
    ).json()
    assert body["track"]["toptags"]["tag"] == {
        "name": recording.lastfm_tags[0],
        "url": body["track"]["toptags"]["tag"]["url"],
    }


def test_unknown_method_is_error_3(http: requests.Session, server: SandboxServer) -> None:
    response = http.get(f"{server.url}/lastfm/2.0/", params={"method": "x.y", "api_key": "k"})
    assert response.status_code == 400 and response.json()["error"] == 3
