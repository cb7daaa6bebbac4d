"""Simulated TIDAL: client-credentials token, tracks by ISRC as JSON:API documents, 429s."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from sandbox.apis.tidal import analysed, known, track_id
from sandbox.catalogue import Catalogue
from sandbox.records import Recording
from sandbox.server import SandboxServer, env_lines
from tests.sandbox.conftest import missing_keys, sample

TOKEN = "/tidal/auth/v1/oauth2/token"
TRACKS = "/tidal/v2/tracks"


def tidal_token(http: requests.Session, base_url: str) -> str:
    response = http.post(
        f"{base_url}{TOKEN}", data={"grant_type": "client_credentials"}, auth=("id", "secret")
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


@pytest.fixture
def tidal(server: SandboxServer, http: requests.Session) -> requests.Session:
    """A session holding a valid TIDAL Bearer token."""
    http.headers["Authorization"] = f"Bearer {tidal_token(http, server.url)}"
    return http


def by_isrc(session: requests.Session, base_url: str, isrc: str) -> requests.Response:
    return session.get(f"{base_url}{TRACKS}", params={"filter[isrc]": isrc, "countryCode": "US"})


def first(data: Catalogue, wanted: Callable[[Recording], bool]) -> Recording:
    return next(r for r in data.recordings if wanted(r))


def test_the_token_needs_client_credentials_and_has_the_real_keys(
    server: SandboxServer, http: requests.Session
) -> None:
    url = f"{server.url}{TOKEN}"
    good = http.post(url, data={"grant_type": "client_credentials"}, auth=("id", "secret"))
    assert good.status_code == 200 and good.json()["token_type"] == "Bearer"
    assert (
        missing_keys(sample("tidal/token_client_credentials_placeholder.json"), good.json()) == []
    )
    no_secret = http.post(url, data={"grant_type": "client_credentials"}, auth=("id", ""))
    assert no_secret.status_code == 401 and no_secret.json()["error"] == "invalid_client"
    no_grant = http.post(url, auth=("id", "secret"))
    assert no_grant.status_code == 400


def test_tracks_need_a_valid_token(
    server: SandboxServer, http: requests.Session, data: Catalogue
) -> None:
    isrc = first(data, known).isrc
    assert by_isrc(http, server.url, isrc).status_code == 401
    http.headers["Authorization"] = "Bearer nope"
    refused = by_isrc(http, server.url, isrc)
    assert refused.status_code == 401 and refused.json()["errors"][0]["status"] == "401"


def test_a_known_isrc_answers_a_track_shaped_like_the_real_ones(
    tidal: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    recording = first(data, lambda r: known(r) and not analysed(r))
    body = by_isrc(tidal, server.url, recording.isrc).json()
    [item] = body["data"]
    assert (item["id"], item["type"]) == (track_id(recording), "tracks")
    assert item["attributes"]["isrc"] == recording.isrc
    real = sample("tidal/albums_filter_id_381265361_die_with_a_smile.json")
    real_track = next(i for i in real["included"] if i["type"] == "tracks")
    assert missing_keys(real_track["attributes"], item["attributes"]) == []
    assert not {"bpm", "key", "keyScale"} & set(item["attributes"])  # like every real capture
    assert set(body) == {"data", "links", "included"}


def test_some_tracks_carry_bpm_key_and_scale_from_the_recordings_features(
    tidal: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    recording = first(data, lambda r: known(r) and analysed(r) and r.features.key == 6)  # type: ignore[union-attr]
    attributes = by_isrc(tidal, server.url, recording.isrc).json()["data"][0]["attributes"]
    assert recording.features is not None
    assert attributes["bpm"] == round(recording.features.tempo, 1)
    assert attributes["key"] == "FSharp"
    assert attributes["keyScale"] == ("MAJOR" if recording.features.mode == 1 else "MINOR")
    share = sum(analysed(r) for r in data.recordings) / len(data.recordings)
    assert 0.2 < share < 0.5


def test_an_unknown_isrc_is_an_empty_document(
    tidal: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    unknown = first(data, lambda r: not known(r))
    for isrc in (unknown.isrc, "ZZZZZ0000000"):
        response = by_isrc(tidal, server.url, isrc)
        assert response.status_code == 200 and response.json()["data"] == []


def test_errors_are_json_api_documents(tidal: requests.Session, server: SandboxServer) -> None:
    no_filter = tidal.get(f"{server.url}{TRACKS}")
    assert no_filter.status_code == 400 and no_filter.json()["errors"][0]["status"] == "400"
    elsewhere = tidal.get(f"{server.url}/tidal/v2/albums/1")
    assert elsewhere.status_code == 404
    assert elsewhere.json() == sample("tidal/doc_error_404_resource_not_found.json")


def test_over_the_limit_tidal_answers_429_with_retry_after(
    make_server: Callable[..., SandboxServer], http: requests.Session, data: Catalogue
) -> None:
    running = make_server(limits="tidal=1:1")
    http.headers["Authorization"] = f"Bearer {tidal_token(http, running.url)}"
    isrc = first(data, known).isrc
    assert by_isrc(http, running.url, isrc).status_code == 200
    limited = by_isrc(http, running.url, isrc)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.json() == sample("tidal/doc_error_429_rate_limit_exceeded.json")


def test_print_env_points_tidal_at_the_sandbox_with_its_credentials() -> None:
    lines = env_lines("http://127.0.0.1:8099")
    assert "TIDAL_API_URL=http://127.0.0.1:8099/tidal/v2" in lines
    assert "TIDAL_AUTH_URL=http://127.0.0.1:8099/tidal/auth/v1/oauth2/token" in lines
    assert "TIDAL_CLIENT_ID=sandbox-tidal-client-id" in lines
    assert "TIDAL_CLIENT_SECRET=sandbox-tidal-client-secret" in lines


def test_tidal_leaves_the_catalogue_and_the_other_apis_untouched(data: Catalogue) -> None:
    assert not any(r.on("tidal") for r in data.recordings)  # drawn from ISRCs, not the stream
    ids = {track_id(r) for r in data.recordings if known(r)}
    assert len(ids) == sum(known(r) for r in data.recordings)  # one id per recording
