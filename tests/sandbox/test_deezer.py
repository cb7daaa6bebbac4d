"""Simulated Deezer: track by ISRC or id, search, errors as HTTP 200 bodies."""

from __future__ import annotations

import requests

from sandbox.catalogue import Catalogue
from sandbox.server import SandboxServer
from tests.sandbox.conftest import missing_keys, sample


def test_track_by_isrc_has_the_real_shape(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    recording = next(r for r in data.hard_cases["featured"] if r.on("deezer"))
    body = http.get(f"{server.url}/deezer/track/isrc:{recording.isrc}").json()
    real = sample("deezer/track_2947516331_die_with_a_smile.json")
    assert set(body) == set(real) and missing_keys(real, body) == []
    assert body["id"] == recording.deezer_id and body["isrc"] == recording.isrc
    assert body["title_short"] == f"{recording.title} (feat. {recording.featured[0].name})"
    assert [c["role"] for c in body["contributors"]][:2] == ["Main", "Featured"]
    assert body["duration"] == recording.duration_ms // 1000


def test_track_by_id_and_unknown_bpm(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    recording = data.hard_cases["deezer_bpm_zero"][0]
    body = http.get(f"{server.url}/deezer/track/{recording.deezer_id}").json()
    assert body["isrc"] == recording.isrc and body["bpm"] == 0


def test_unknown_track_is_error_800_with_http_200(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    absent = data.hard_cases["no_deezer"][0]
    response = http.get(f"{server.url}/deezer/track/isrc:{absent.isrc}")
    assert response.status_code == 200
    assert response.json() == sample("deezer/error_track_not_found_800.json")
    assert http.get(f"{server.url}/deezer/track/1").json()["error"]["code"] == 800


def test_search_items_carry_no_isrc_or_bpm(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    recording = next(r for r in data.hard_cases["version"] if r.on("deezer"))
    query = f'artist:"{recording.artist.name}" track:"{recording.title}"'
    body = http.get(f"{server.url}/deezer/search", params={"q": query, "limit": "5"}).json()
    real = sample("deezer/search_track_advanced_lou_doillon_joke.json")
    assert missing_keys(real, body) == []
    assert all("isrc" not in item and "bpm" not in item for item in body["data"])
    assert recording.deezer_id in [item["id"] for item in body["data"]]
    version_item = next(i for i in body["data"] if i["id"] == recording.deezer_id)
    assert version_item["title_version"] == f"({recording.version})"
