"""The API takes any caller's track_id, echoes it, and finds the track by it."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from enrichment.models import Track
from tests.api.conftest import seed_body
from tests.factories import make_track

pytestmark = pytest.mark.django_db


def test_a_string_track_id_creates_the_track_and_is_echoed(client_with_token: APIClient) -> None:
    body = seed_body(track_id="test-track-123", sync=False)
    response = client_with_token.post("/enrich", body, format="json")
    assert response.status_code == 202
    assert response.json()["track_id"] == "test-track-123"
    assert Track.objects.get(external_id="test-track-123").title == "Strobe"


def test_the_same_string_again_names_the_same_track(client_with_token: APIClient) -> None:
    body = seed_body(track_id="a3f1c9e2b4d60718", sync=False)
    client_with_token.post("/enrich", body, format="json")
    again = client_with_token.post("/enrich", body, format="json").json()
    assert again["track_id"] == "a3f1c9e2b4d60718"
    assert Track.objects.count() == 1


def test_a_batch_echoes_each_items_track_id(client_with_token: APIClient) -> None:
    items = [
        seed_body(track_id="test-uuid"),
        {"artist_name": "Daft Punk", "track_title": "One More Time", "track_id": "uuid-2"},
    ]
    response = client_with_token.post("/enrich/batch", items, format="json")
    assert response.status_code == 202
    assert [item["track_id"] for item in response.json()["items"]] == ["test-uuid", "uuid-2"]


def test_detail_by_external_id_or_by_our_id(client_with_token: APIClient) -> None:
    track = make_track(external_id="test-track-123")
    for name in ("test-track-123", str(track.pk)):
        response = client_with_token.get(f"/tracks/{name}")
        assert response.status_code == 200
        assert response.json()["id"] == str(track.pk)
        assert response.json()["track_id"] == "test-track-123"


def test_detail_takes_ids_with_slashes(client_with_token: APIClient) -> None:
    make_track(external_id="beatport/123")
    assert client_with_token.get("/tracks/beatport/123").json()["track_id"] == "beatport/123"


def test_list_shows_the_callers_id_and_searches_by_it(client_with_token: APIClient) -> None:
    theirs = make_track(external_id="test-track-123")
    ours = make_track()
    rows = client_with_token.get("/tracks").json()["results"]
    assert {row["id"]: row["track_id"] for row in rows} == {
        str(theirs.pk): "test-track-123",
        str(ours.pk): str(ours.pk),
    }
    found = client_with_token.get("/tracks", {"search": "test-track-123"}).json()["results"]
    assert [row["id"] for row in found] == [str(theirs.pk)]


def test_an_unknown_uuid_track_id_is_kept_as_theirs(client_with_token: APIClient) -> None:
    theirs = str(uuid.uuid4()).upper()
    response = client_with_token.post("/enrich", seed_body(track_id=theirs, sync=False))
    assert response.json()["track_id"] == theirs
    assert Track.objects.get().external_id == theirs
