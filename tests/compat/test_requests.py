"""The original service's documented requests, sent as its callers send them, get its answers.

In-process tests drive the deferred job directly (tests/conftest.py `inline_worker`); the last
test lets a real worker process run it, as in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from procrastinate.contrib.django.models import ProcrastinateJob
from rest_framework.test import APIClient

from sandbox import server
from sandbox.catalogue import catalogue
from tests.compat.conftest import CALLER_ADDRESS, ORIGINAL_HOST
from tests.jobs import workers

# The original's result model, field by field.
RESULT_FIELDS = {
    "track_id", "status", "sources_used", "metadata_acquired", "errors",
    "duration_seconds", "cached", "timestamp",
}  # fmt: skip


def assert_original_result(body: dict[str, Any]) -> None:
    """Every field of the original's result, with the original's types."""
    assert set(body) >= RESULT_FIELDS
    assert body["status"] in {"completed", "partial", "failed"}
    assert isinstance(body["sources_used"], list) and isinstance(body["errors"], list)
    assert isinstance(body["metadata_acquired"], dict)
    assert isinstance(body["duration_seconds"], float) and isinstance(body["cached"], bool)


@pytest.mark.django_db
@pytest.mark.usefixtures("upstream", "inline_worker")
class TestEnrich:
    """POST /enrich as the README's curl example and the scrapers send it."""

    def test_the_readme_curl_example_gets_the_original_result(self, caller: APIClient) -> None:
        body = {"artist_name": "deadmau5", "track_title": "Strobe"}
        response = caller.post("/enrich", body, format="json")
        assert response.status_code == 200, response.json()
        assert_original_result(response.json())
        assert response.json()["metadata_acquired"]["camelot_key"] == "8A"

    @pytest.mark.parametrize(
        "track_id",
        [
            "test-uuid",
            "test-track-123",
            "3f2a9c1e8b7d6a50",  # the scrapers' 16 hex
            "0b0f1c3e-57a4-4c52-9a0e-2d3c4b5a6f70",
        ],
    )
    def test_a_caller_track_id_is_echoed(self, caller: APIClient, track_id: str) -> None:
        body = {"track_id": track_id, "artist_name": "deadmau5", "track_title": "Strobe"}
        response = caller.post("/enrich", body, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["track_id"] == track_id

    def test_the_original_request_model_with_every_field_is_taken(self, caller: APIClient) -> None:
        body = {
            "artist_name": "deadmau5",
            "track_title": "Strobe",
            "existing_spotify_id": None,
            "existing_isrc": "USUS11000356",
            "priority": "5",
            "force_refresh": False,
            "correlation_id": "scraper-batch-17",
            "source": "1001tracklists",  # a field the original ignored
        }
        response = caller.post("/enrich", body, format="json")
        assert response.status_code == 200, response.json()
        result = response.json()
        assert_original_result(result)
        assert result["correlation_id"] == "scraper-batch-17"
        assert result["metadata_acquired"]["isrc"] == "USUS11000356"

    def test_asking_again_answers_from_what_is_known(self, caller: APIClient) -> None:
        body = {"artist_name": "deadmau5", "track_title": "Strobe"}
        first = caller.post("/enrich", body, format="json").json()
        ProcrastinateJob.objects.filter(id=first["job_id"]).update(status="succeeded")
        again = caller.post("/enrich", body, format="json").json()
        assert again["cached"] is True
        assert again["metadata_acquired"] == first["metadata_acquired"] != {}


@pytest.mark.django_db
class TestOtherEndpoints:
    """The README's other examples, from the same caller."""

    def test_the_readme_batch_answers_with_the_original_fields(self, caller: APIClient) -> None:
        items = [
            {"artist_name": "Artist 1", "track_title": "Track 1"},
            {"artist_name": "Artist 2", "track_title": "Track 2", "priority": "3"},
        ]
        response = caller.post("/enrich/batch", items, format="json")
        assert response.status_code == 202, response.json()
        body = response.json()
        assert (body["status"], body["batch_size"]) == ("processing", 2)
        assert body["correlation_id"] and body["message"]
        assert caller.get(f"/enrich/batch/{body['batch_id']}").status_code == 200

    def test_the_readme_batch_with_its_track_ids(self, caller: APIClient) -> None:
        items = [
            {"track_id": "uuid-1", "artist_name": "Artist 1", "track_title": "Track 1"},
            {"track_id": "uuid-2", "artist_name": "Artist 2", "track_title": "Track 2"},
        ]
        assert caller.post("/enrich/batch", items, format="json").status_code == 202

    def test_an_empty_batch_is_a_batch_of_zero(self, caller: APIClient) -> None:
        body = caller.post("/enrich/batch", [], format="json").json()
        assert (body["status"], body["batch_size"]) == ("processing", 0)

    def test_health_is_healthy_with_the_original_fields(
        self, caller: APIClient, original_setup: Any
    ) -> None:
        original_setup.DISCOGS_TOKEN = ""  # an optional source without credentials
        body = caller.get("/health").json()
        assert (body["service"], body["status"]) == ("metadata-enrichment", "healthy")
        assert body["api_clients"]["beatport"] == "unsupported"
        assert body["connections"]["database"] == "healthy"

    def test_stats_and_metrics_answer_without_a_token(self, caller: APIClient) -> None:
        assert caller.get("/stats").status_code == 200
        assert caller.get("/metrics").status_code == 200

    def test_outside_the_trusted_network_a_token_is_still_needed(self, original_setup: Any) -> None:
        stranger = APIClient(REMOTE_ADDR="203.0.113.5", HTTP_HOST=ORIGINAL_HOST)
        assert stranger.post("/enrich", {"artist_name": "a", "track_title": "b"}).status_code == 401


@pytest.fixture
def sandbox() -> Iterator[Any]:
    running = server.start(0, rate_scale=0.0)
    yield running
    running.stop()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_job_the_request_waits_for(
    sandbox: Any, original_setup: Any
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE procrastinate_jobs RESTART IDENTITY CASCADE")
    original_setup.ENRICH_SYNC_TIMEOUT = 60
    recording = catalogue().recordings[3]
    body = {
        "artist_name": recording.artist.name,
        "track_title": recording.spotify_name,
        "correlation_id": "smoke-1",
    }
    process = workers.worker(sandbox.url)
    client = Client(REMOTE_ADDR=CALLER_ADDRESS, HTTP_HOST=ORIGINAL_HOST)
    try:
        response = client.post("/enrich", body, content_type="application/json")
        assert response.status_code == 200, response.json()
        first = response.json()
        workers.wait_for(lambda: workers.enrichment_jobs("succeeded") == 1, 30, "the job to finish")
        again = client.post("/enrich", body, content_type="application/json").json()
    finally:
        workers.stop(process)
    assert_original_result(first)
    assert first["status"] in {"completed", "partial"} and first["cached"] is False
    assert first["metadata_acquired"]["spotify_id"] == recording.spotify_id
    assert first["correlation_id"] == "smoke-1"
    assert again["cached"] is True
    assert again["metadata_acquired"] == first["metadata_acquired"]
