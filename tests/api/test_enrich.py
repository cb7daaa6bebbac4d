"""POST /enrich: the seed body, answered with the attempt (200) or its job (202), validated."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob
from rest_framework.test import APIClient

from enrichment.api import services, waiting
from enrichment.logging import ContextFilter
from enrichment.models import EnrichmentStatus, Track
from enrichment.sources.errors import RateLimited
from tests import fakes as f
from tests.api.conftest import seed_body
from tests.factories import make_track

pytestmark = pytest.mark.django_db
STROBE_SPOTIFY_ID = "0gxyHStUsqpMadRV0Di1Qt"


def test_an_asynchronous_request_creates_the_track_and_queues_a_job(
    client_with_token: APIClient,
) -> None:
    response = client_with_token.post("/enrich", seed_body(sync=False))
    assert response.status_code == 202, response.json()
    body = response.json()
    assert set(body) == {"track_id", "job_id", "already_queued", "status", "correlation_id"}
    assert body["status"] == "queued" and body["already_queued"] is False
    track = Track.objects.get(pk=body["track_id"])
    assert (track.artist_name, track.title) == ("deadmau5", "Strobe")
    assert EnrichmentStatus.objects.get(track=track).status == "pending"
    job = ProcrastinateJob.objects.get(id=body["job_id"])
    assert (job.queue_name, job.status, job.priority) == ("enrichment", "todo", 5)
    assert job.args == {"track_id": str(track.pk), "force_refresh": False}


def test_prefer_respond_async_answers_202_at_once(client_with_token: APIClient) -> None:
    response = client_with_token.post("/enrich", seed_body(), HTTP_PREFER="respond-async, wait=10")
    assert response.status_code == 202
    assert response["Preference-Applied"] == "respond-async"
    assert ProcrastinateJob.objects.get(id=response.json()["job_id"]).priority == 5


def test_a_track_already_queued_is_reported_as_such_not_as_an_error(
    client_with_token: APIClient,
) -> None:
    first = client_with_token.post("/enrich", seed_body(sync=False)).json()
    second = client_with_token.post("/enrich", seed_body(sync=False))
    assert second.status_code == 202
    assert second.json() == {
        "track_id": first["track_id"],
        "job_id": None,
        "already_queued": True,
        "status": "queued",
        "correlation_id": None,
    }


def test_priority_and_force_refresh_reach_the_job(client_with_token: APIClient) -> None:
    body = seed_body(priority=9, force_refresh=True, sync=False)
    job = ProcrastinateJob.objects.get(id=client_with_token.post("/enrich", body).json()["job_id"])
    assert job.priority == 9
    assert job.args["force_refresh"] is True


def test_a_waiting_request_queues_its_job_above_the_backlog(client_with_token: APIClient) -> None:
    response = client_with_token.post("/enrich", seed_body(priority="3"))
    assert response.status_code == 202  # no worker here: the (zero) wait ran out
    body = response.json()
    assert body["message"].startswith("still running")
    assert ProcrastinateJob.objects.get(id=body["job_id"]).priority == 13


def test_a_waiting_request_waits_for_the_job_already_queued_and_moves_it_up(
    client_with_token: APIClient,
) -> None:
    first = client_with_token.post("/enrich", seed_body(sync=False)).json()
    second = client_with_token.post("/enrich", seed_body(priority=8)).json()
    assert second["job_id"] == first["job_id"] and second["already_queued"] is True
    assert ProcrastinateJob.objects.get(id=first["job_id"]).priority == 18


def test_no_free_waiter_answers_202_with_the_job_at_once(
    client_with_token: APIClient, inline_worker: list[int], settings: Any
) -> None:
    settings.ENRICH_SYNC_MAX_WAITERS = 1
    with waiting.waiter_slot() as taken:
        assert taken
        response = client_with_token.post("/enrich", seed_body())
    assert response.status_code == 202
    assert inline_worker == []
    assert ProcrastinateJob.objects.filter(id=response.json()["job_id"]).exists()


def test_a_known_track_id_updates_that_track_instead_of_creating_one(
    client_with_token: APIClient,
) -> None:
    track = make_track(artist_name="deadmau5", title="Strobe")
    body = seed_body(track_id=str(track.pk), existing_isrc="us-us1-10-00356")
    response = client_with_token.post("/enrich", body)
    assert response.json()["track_id"] == str(track.pk)
    assert Track.objects.count() == 1
    track.refresh_from_db()
    assert track.isrc == "USUS11000356"  # normalised like the importer does


def test_an_unknown_track_id_creates_the_track_under_that_id(client_with_token: APIClient) -> None:
    track_id = str(uuid.uuid4())
    response = client_with_token.post("/enrich", seed_body(track_id=track_id))
    assert response.json()["track_id"] == track_id
    assert Track.objects.filter(pk=track_id).exists()


def test_existing_identifiers_fill_gaps_but_never_overwrite(client_with_token: APIClient) -> None:
    track = make_track(artist_name="deadmau5", title="Strobe", spotify_id="A" * 22)
    mbid = "5b6b2b8e-0d3b-4a5d-9b0e-6a1f3d2c1b00"
    body = seed_body(
        track_id=str(track.pk),
        existing_spotify_id="B" * 22,
        existing_isrc="USUS11000356",
        existing_musicbrainz_id=mbid,
    )
    assert client_with_token.post("/enrich", {**body, "sync": False}).status_code == 202
    track.refresh_from_db()
    assert track.spotify_id == "A" * 22
    assert (track.isrc, str(track.musicbrainz_id)) == ("USUS11000356", mbid)


def test_a_locked_musicbrainz_id_is_not_filled(client_with_token: APIClient) -> None:
    track = make_track(locked_fields=["musicbrainz_id"])
    body = seed_body(track_id=str(track.pk), existing_musicbrainz_id=str(uuid.uuid4()))
    client_with_token.post("/enrich", body)
    track.refresh_from_db()
    assert track.musicbrainz_id is None


def test_a_spotify_id_another_track_holds_is_a_conflict_naming_it(
    client_with_token: APIClient,
) -> None:
    make_track(spotify_id="4uLU6hMCjMI75M1A2tKUQC")
    track = make_track()
    body = seed_body(track_id=str(track.pk), existing_spotify_id="4uLU6hMCjMI75M1A2tKUQC")
    response = client_with_token.post("/enrich", body)
    assert response.status_code == 409
    assert list(response.json()) == ["existing_spotify_id"]
    assert Track.objects.filter(spotify_id="4uLU6hMCjMI75M1A2tKUQC").count() == 1


def test_an_isrc_another_track_holds_is_a_conflict_not_a_server_error(
    client_with_token: APIClient,
) -> None:
    make_track(isrc="USUS11000356")
    track = make_track()
    body = seed_body(track_id=str(track.pk), existing_isrc="USUS11000356")
    response = client_with_token.post("/enrich", body)
    assert response.status_code == 409
    assert "existing_isrc" in response.json()
    assert not ProcrastinateJob.objects.exists()


def test_by_default_the_answer_is_the_attempts_result_in_the_seed_shape(
    client_with_token: APIClient, upstream: f.Fakes, inline_worker: list[int]
) -> None:
    response = client_with_token.post("/enrich", seed_body(correlation_id="scraper-42"))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {
        "track_id", "status", "sources_used", "metadata_acquired", "errors",
        "duration_seconds", "cached", "timestamp", "correlation_id", "job_id",
    }  # fmt: skip
    assert inline_worker == [body["job_id"]]  # the attempt ran as a job, not in the web
    assert body["correlation_id"] == "scraper-42"
    assert body["status"] == "completed"
    assert body["errors"] == []
    assert {"spotify", "musicbrainz", "deezer", "discogs", "lastfm"} <= set(body["sources_used"])
    assert body["metadata_acquired"]["spotify_id"] == STROBE_SPOTIFY_ID
    assert body["metadata_acquired"]["camelot_key"] == "8A"
    assert body["metadata_acquired"]["release_date"] == "2009-09-22"
    assert body["timestamp"].endswith("Z")  # UTC, ISO 8601
    assert isinstance(body["duration_seconds"], float) and body["cached"] is False
    assert ProcrastinateJob.objects.get(id=body["job_id"]).priority == 15


def test_a_repeated_request_gets_the_known_values_from_the_cache(
    client_with_token: APIClient, upstream: f.Fakes, inline_worker: list[int]
) -> None:
    first = client_with_token.post("/enrich", seed_body()).json()
    ProcrastinateJob.objects.filter(id=first["job_id"]).update(status="succeeded")
    upstream.calls.clear()
    again = client_with_token.post("/enrich", seed_body(track_id=first["track_id"])).json()
    assert again["status"] == "completed"
    assert again["cached"] is True
    assert upstream.called() == []
    assert again["metadata_acquired"] == first["metadata_acquired"]
    assert again["metadata_acquired"]["camelot_key"] == "8A"
    # The providers behind those values, though none had to be asked again.
    assert again["sources_used"] == first["sources_used"] != []


def test_sync_errors_are_listed_as_source_and_message(
    client_with_token: APIClient, upstream: f.Fakes, inline_worker: list[int]
) -> None:
    upstream.on("discogs", "search", RateLimited("discogs", "HTTP 429", retry_after=30))
    body = client_with_token.post("/enrich", seed_body()).json()
    assert body["status"] == "partial"
    assert any(error.startswith("discogs: rate_limited") for error in body["errors"])


def test_sync_while_another_worker_enriches_the_track_is_a_conflict(
    client_with_token: APIClient, upstream: f.Fakes, inline_worker: list[int]
) -> None:
    track = make_track(artist_name="deadmau5", title="Strobe", status="in_progress")
    EnrichmentStatus.objects.filter(track=track).update(claimed_at=timezone.now())
    response = client_with_token.post("/enrich", seed_body(track_id=str(track.pk)))
    assert response.status_code == 409
    assert response.json()["status"] == "in_progress"
    assert upstream.called() == []


LONG = "x" * 501


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"artist_name": 123}, "artist_name"),
        ({"artist_name": None}, "artist_name"),
        ({"artist_name": "   "}, "artist_name"),
        ({"track_title": LONG}, "track_title"),
        ({"track_title": "bad \ud800 text"}, "track_title"),
        ({"track_title": "nul \x00 byte"}, "track_title"),
        ({"track_id": "bad\x01id"}, "track_id"),
        ({"track_id": "x" * 256}, "track_id"),
        ({"track_id": 42}, "track_id"),
        ({"existing_isrc": "NOT-AN-ISRC"}, "existing_isrc"),
        ({"existing_spotify_id": "short"}, "existing_spotify_id"),
        ({"existing_musicbrainz_id": "nope"}, "existing_musicbrainz_id"),
        ({"priority": 0}, "priority"),
        ({"priority": 11}, "priority"),
        ({"priority": "11"}, "priority"),
        ({"priority": "five"}, "priority"),
        ({"priority": 5.5}, "priority"),
        ({"priority": True}, "priority"),
        ({"force_refresh": "true"}, "force_refresh"),
        ({"sync": 1}, "sync"),
        ({"correlation_id": 42}, "correlation_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    client_with_token: APIClient, changes: dict[str, Any], field: str
) -> None:
    # json.dumps escapes the lone surrogate as \ud800, as a client would send it.
    body = json.dumps(seed_body(**changes))
    response = client_with_token.post("/enrich", body, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Track.objects.exists()


def test_a_missing_title_is_named(client_with_token: APIClient) -> None:
    response = client_with_token.post("/enrich", {"artist_name": "deadmau5"})
    assert response.status_code == 400
    assert response.json() == {"track_title": ["This field is required."]}


@pytest.mark.parametrize(
    "payload", ['{"artist_name": ', "[1, 2", '{"priority": NaN}', b'{"artist_name": "\xff"}']
)
def test_malformed_json_is_a_400(client_with_token: APIClient, payload: str | bytes) -> None:
    response = client_with_token.post("/enrich", payload, content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_a_body_that_is_not_an_object_is_a_400(client_with_token: APIClient) -> None:
    response = client_with_token.post("/enrich", [seed_body()])
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_unknown_fields_are_ignored_and_logged_by_name_only(
    client_with_token: APIClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = seed_body(sync=False, source="scraper", secret_note="hunter2")
    with caplog.at_level("INFO", logger="enrichment.api.inputs"):
        response = client_with_token.post("/enrich", body)
    assert response.status_code == 202
    assert "ignored unknown field(s): secret_note, source" in caplog.text
    assert "hunter2" not in caplog.text


@pytest.mark.parametrize(("given", "priority"), [("5", 5), (" 7 ", 7), (2.0, 2), (10, 10)])
def test_priority_may_be_a_numeric_string(
    client_with_token: APIClient, given: Any, priority: int
) -> None:
    body = client_with_token.post("/enrich", seed_body(priority=given, sync=False)).json()
    assert ProcrastinateJob.objects.get(id=body["job_id"]).priority == priority


def test_the_correlation_id_is_echoed_and_carried_in_the_log_context(
    client_with_token: APIClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = seed_body(sync=False, correlation_id="abc-123", unknown=1)
    caplog.handler.addFilter(ContextFilter())
    with caplog.at_level("INFO", logger="enrichment.api.inputs"):
        response = client_with_token.post("/enrich", body)
    assert response.json()["correlation_id"] == "abc-123"
    assert [getattr(r, "correlation_id", None) for r in caplog.records] == ["abc-123"]


@pytest.mark.django_db
def test_metadata_acquired_holds_only_known_values() -> None:
    nothing = make_track(artist_name="Nobody", title="Unknown")
    assert services.known_values(nothing.pk) == ({}, [])  # no NULLs, no empty genre list
    tagged = make_track(artist_name="DJ", title="Known", genre="Techno", genres=["Techno"], bpm=128)
    values, _ = services.known_values(tagged.pk)
    assert values == {"genre": "Techno", "genres": ["Techno"], "bpm": 128}
