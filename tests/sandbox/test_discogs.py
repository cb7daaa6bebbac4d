"""Simulated Discogs: token required, search results with release data, rate headers."""

from __future__ import annotations

import requests

from sandbox.catalogue import Catalogue
from sandbox.server import SandboxServer
from tests.sandbox.conftest import missing_keys, sample

TOKEN = {"Authorization": "Discogs token=sandbox"}


def test_search_needs_a_token(http: requests.Session, server: SandboxServer) -> None:
    response = http.get(f"{server.url}/discogs/database/search", params={"q": "deep"})
    assert response.status_code == 401
    assert response.json() == {"message": "You must authenticate to access this resource."}


def test_search_result_carries_release_data(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    recording = next(r for r in data.recordings if r.on("discogs"))
    response = http.get(
        f"{server.url}/discogs/database/search",
        params={"type": "release", "artist": recording.artist.name, "track": recording.title},
        headers=TOKEN,
    )
    body = response.json()
    real = sample("discogs/database_search_q_trash80.json")
    real_release = next(r for r in real["results"] if r["type"] == "release")
    assert set(body) == set(real) and set(body["pagination"]) == set(real["pagination"])
    result = body["results"][0]
    assert missing_keys(real_release, result) == []
    assert result["id"] == recording.discogs_release_id
    assert result["label"] == [recording.release.label.name]
    assert result["catno"] == recording.release.catalog_number
    assert result["year"] == recording.release.year
    assert result["title"] == f"{recording.artist.name} - {recording.release.title}"
    assert int(response.headers["X-Discogs-Ratelimit"]) == 60
    assert int(response.headers["X-Discogs-Ratelimit-Remaining"]) < 60


def test_release_unknown_to_discogs_is_not_returned(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    absent = data.hard_cases["no_discogs"][0]
    body = http.get(
        f"{server.url}/discogs/database/search",
        params={"artist": absent.artist.name, "track": absent.title},
        headers=TOKEN,
    ).json()
    unwanted = f"{absent.artist.name} - {absent.release.title}"
    assert unwanted not in [result["title"] for result in body["results"]]


def test_pagination_and_unknown_paths(http: requests.Session, server: SandboxServer) -> None:
    body = http.get(
        f"{server.url}/discogs/database/search",
        params={"q": "deep", "per_page": "2"},
        headers=TOKEN,
    ).json()
    assert len(body["results"]) == 2 and body["pagination"]["urls"]["next"]
    assert http.get(f"{server.url}/discogs/releases/1", headers=TOKEN).status_code == 404
