"""POST /enrich/batch and GET /enrich/batch/<id>: all-or-nothing batches and their progress."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import OperationalError, connection
from procrastinate.contrib.django.models import ProcrastinateJob
from psycopg import errors
from rest_framework.test import APIClient

from enrichment.api import services
from enrichment.models import EnrichmentStatus, Track
from tests.api.conftest import seed_body
from tests.factories import make_track

pytestmark = pytest.mark.django_db


def bodies(count: int, **changes: Any) -> list[dict[str, Any]]:
    """`count` distinct seed bodies."""
    return [seed_body(track_title=f"Track {number}", **changes) for number in range(count)]


def finish_job(job_id: int, status: str) -> None:
    """Move a job as a worker would (the job table is read-only through the ORM)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET status = %s WHERE id = %s", [status, job_id])


def test_a_batch_saves_every_track_queues_their_jobs_and_answers_with_a_batch_id(
    client_with_token: APIClient,
) -> None:
    response = client_with_token.post("/enrich/batch", bodies(3))
    assert response.status_code == 202, response.json()
    body = response.json()
    uuid.UUID(body["batch_id"])
    assert body["correlation_id"] == body["batch_id"]
    assert (body["status"], body["batch_size"], body["queued"]) == ("processing", 3, 3)
    assert body["already_queued"] == 0
    assert [item["track_id"] for item in body["items"]] == [
        str(Track.objects.get(title=f"Track {n}").pk) for n in range(3)
    ]
    assert ProcrastinateJob.objects.filter(status="todo").count() == 3


def test_tracks_already_queued_are_counted_not_refused(client_with_token: APIClient) -> None:
    client_with_token.post("/enrich", seed_body(track_title="Track 0", sync=False))
    body = client_with_token.post("/enrich/batch", bodies(2)).json()
    assert (body["queued"], body["already_queued"]) == (1, 1)
    assert body["items"][0]["job_id"] is None and body["items"][0]["already_queued"] is True


def test_each_item_keeps_its_own_priority(client_with_token: APIClient) -> None:
    items = [seed_body(track_title="Low", priority=1), seed_body(track_title="High", priority=10)]
    body = client_with_token.post("/enrich/batch", items).json()
    priorities = [ProcrastinateJob.objects.get(id=i["job_id"]).priority for i in body["items"]]
    assert priorities == [1, 10]


def test_one_invalid_item_rejects_the_whole_batch_with_errors_by_index_and_field(
    client_with_token: APIClient,
) -> None:
    items = bodies(3)
    items[1]["existing_isrc"] = "nope"
    items[2]["priority"] = "eleven"
    response = client_with_token.post("/enrich/batch", items)
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"1", "2"}
    assert "existing_isrc" in errors["1"] and list(errors["2"]) == ["priority"]
    assert not Track.objects.exists() and not ProcrastinateJob.objects.exists()


def test_unknown_item_fields_and_correlation_ids_are_accepted_and_logged_once(
    client_with_token: APIClient, caplog: pytest.LogCaptureFixture
) -> None:
    items = bodies(3, correlation_id="scrape-7", colour="blue")
    items[0]["size"] = "L"
    with caplog.at_level("INFO", logger="enrichment.api.inputs"):
        response = client_with_token.post("/enrich/batch", items)
    assert response.status_code == 202, response.json()
    assert response.json()["batch_size"] == 3
    assert [r.getMessage() for r in caplog.records] == ["ignored unknown field(s): colour, size"]


def test_an_empty_batch_is_a_batch_of_zero(client_with_token: APIClient) -> None:
    response = client_with_token.post("/enrich/batch", [])
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["batch_size"], body["items"]) == ("processing", 0, [])
    assert body["correlation_id"] and body["message"]
    progress = client_with_token.get(f"/enrich/batch/{body['batch_id']}").json()
    assert (progress["batch_size"], progress["finished"]) == (0, True)


def test_a_conflicting_item_undoes_the_items_already_saved(client_with_token: APIClient) -> None:
    holder = make_track(isrc="USUS11000356")
    other = make_track()
    items = bodies(2)
    items.append(seed_body(track_id=str(other.pk), existing_isrc="USUS11000356"))
    response = client_with_token.post("/enrich/batch", items)
    assert response.status_code == 409
    assert set(response.json()) == {"2"}
    assert set(Track.objects.values_list("pk", flat=True)) == {holder.pk, other.pk}
    assert not ProcrastinateJob.objects.exists()


def test_a_batch_over_the_limit_is_refused_before_any_work(
    client_with_token: APIClient, settings: Any
) -> None:
    settings.ENRICH_MAX_BATCH_REQUEST = 3
    response = client_with_token.post("/enrich/batch", bodies(4))
    assert response.status_code == 400
    assert "no more than 3" in str(response.json())
    assert not Track.objects.exists()


@pytest.mark.parametrize("payload", [seed_body(), "text", None])
def test_anything_but_an_array_is_refused(client_with_token: APIClient, payload: Any) -> None:
    response = client_with_token.post("/enrich/batch", payload)
    assert response.status_code == 400


def test_progress_counts_tracks_per_status_and_the_batch_jobs_per_state(
    client_with_token: APIClient,
) -> None:
    body = client_with_token.post("/enrich/batch", bodies(3)).json()
    first, second, _ = body["items"]
    EnrichmentStatus.objects.filter(track_id=first["track_id"]).update(status="completed")
    EnrichmentStatus.objects.filter(track_id=second["track_id"]).update(status="in_progress")
    finish_job(first["job_id"], "succeeded")
    finish_job(second["job_id"], "doing")
    response = client_with_token.get(f"/enrich/batch/{body['batch_id']}")
    assert response.status_code == 200
    progress = response.json()
    assert progress["batch_size"] == 3
    assert progress["statuses"] == {
        "pending": 1, "in_progress": 1, "completed": 1, "partial": 0, "failed": 0,
    }  # fmt: skip
    assert (progress["jobs"]["todo"], progress["jobs"]["doing"]) == (1, 1)
    assert progress["jobs"]["succeeded"] == 1
    assert (progress["settled"], progress["finished"]) == (1, False)


def test_a_batch_is_finished_when_its_jobs_ran_and_its_tracks_settled(
    client_with_token: APIClient,
) -> None:
    body = client_with_token.post("/enrich/batch", bodies(2)).json()
    for item, outcome in zip(body["items"], ("completed", "failed"), strict=True):
        EnrichmentStatus.objects.filter(track_id=item["track_id"]).update(status=outcome)
        finish_job(item["job_id"], "succeeded")
    progress = client_with_token.get(f"/enrich/batch/{body['batch_id']}").json()
    assert (progress["settled"], progress["finished"]) == (2, True)


def test_an_unknown_batch_is_404_and_a_malformed_id_is_400(client_with_token: APIClient) -> None:
    assert client_with_token.get(f"/enrich/batch/{uuid.uuid4()}").status_code == 404
    response = client_with_token.get("/enrich/batch/not-a-uuid")
    assert response.status_code == 400
    assert response.json() == {"batch_id": ["Must be a valid UUID."]}


def test_the_batch_is_remembered_in_the_shared_database_cache(
    client_with_token: APIClient,
) -> None:
    batch_id = client_with_token.post("/enrich/batch", bodies(1)).json()["batch_id"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM django_cache WHERE cache_key LIKE %s", [f"%{batch_id}"]
        )
        assert cursor.fetchone() == (1,)


def test_a_batch_that_loses_a_deadlock_runs_again(
    client_with_token: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    submit_once = services._submit_batch_once
    calls: list[int] = []

    def deadlocked_first(requests: Any) -> Any:
        calls.append(len(requests))
        if len(calls) == 1:
            raise OperationalError("deadlock detected") from errors.DeadlockDetected()
        return submit_once(requests)

    monkeypatch.setattr(services, "_submit_batch_once", deadlocked_first)
    response = client_with_token.post("/enrich/batch", bodies(2))
    assert response.status_code == 202
    assert calls == [2, 2]
    assert Track.objects.count() == 2


def test_a_batch_failing_for_another_database_reason_is_not_run_again(
    client_with_token: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def unavailable(requests: Any) -> Any:
        calls.append(len(requests))
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(services, "_submit_batch_once", unavailable)
    assert client_with_token.post("/enrich/batch", bodies(2)).status_code == 503
    assert calls == [2]
