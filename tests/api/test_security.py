"""Authentication, per-client throttling in the shared cache, CORS closed, bounded bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.test import APIClient

from enrichment.models import Track
from tests.api.conftest import seed_body

pytestmark = pytest.mark.django_db
READS = ("/stats", "/tracks")


def throttle_rates(settings: Any, **rates: str) -> None:
    """Set the throttle rates for this test."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100/minute", "user": "100/minute", **rates},
    }


@pytest.mark.parametrize(("path", "body"), [("/enrich", seed_body()), ("/enrich/batch", [])])
def test_writes_without_credentials_are_refused_with_401(
    anonymous: APIClient, path: str, body: Any
) -> None:
    response = anonymous.post(path, body)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert not Track.objects.exists()


def test_a_wrong_token_is_refused(anonymous: APIClient) -> None:
    anonymous.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert anonymous.post("/enrich", seed_body()).status_code == 401


def test_a_logged_in_session_may_write(anonymous: APIClient) -> None:
    anonymous.force_login(User.objects.create(username="curator"))
    assert anonymous.post("/enrich", seed_body()).status_code == 202


@pytest.mark.parametrize("path", READS)
def test_reads_need_credentials_by_default(anonymous: APIClient, path: str) -> None:
    assert anonymous.get(path).status_code == 401


@pytest.mark.parametrize("path", READS)
def test_api_open_reads_opens_reads_but_not_writes(
    anonymous: APIClient, settings: Any, path: str
) -> None:
    settings.API_OPEN_READS = True
    assert anonymous.get(path).status_code == 200
    assert anonymous.post("/enrich", seed_body()).status_code == 401


@pytest.mark.parametrize("path", ["/health", "/metrics", "/api/schema/", "/api/docs/"])
def test_health_metrics_and_docs_are_open(anonymous: APIClient, path: str) -> None:
    assert anonymous.get(path).status_code == 200


def test_each_client_has_its_own_allowance(client_with_token: APIClient, settings: Any) -> None:
    throttle_rates(settings, user="3/minute")
    codes = [client_with_token.get("/stats").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client_with_token.get("/stats")
    assert int(refused["Retry-After"]) > 0
    other = APIClient()
    other.force_authenticate(User.objects.create(username="another-tool"))
    assert other.get("/stats").status_code == 200


def test_anonymous_clients_are_throttled_by_address(anonymous: APIClient, settings: Any) -> None:
    settings.API_OPEN_READS = True
    throttle_rates(settings, anon="2/minute")
    codes = [anonymous.get("/stats").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    elsewhere = APIClient(REMOTE_ADDR="10.1.2.3")
    assert elsewhere.get("/stats").status_code == 200


def test_a_forged_forwarded_for_header_does_not_reset_the_allowance(
    anonymous: APIClient, settings: Any
) -> None:
    settings.API_OPEN_READS = True
    throttle_rates(settings, anon="1/minute")
    anonymous.get("/stats")
    assert anonymous.get("/stats", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429


def test_throttle_counts_live_in_the_database_cache_every_process_shares(
    client_with_token: APIClient, api_user: User, settings: Any
) -> None:
    throttle_rates(settings, user="5/minute")
    client_with_token.get("/stats")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM django_cache WHERE cache_key LIKE %s",
            [f"%throttle_user_{api_user.pk}"],
        )
        assert cursor.fetchone() == (1,)


def test_no_cors_headers_unless_origins_are_configured(
    client_with_token: APIClient, settings: Any
) -> None:
    origin = "https://dj-tool.example"
    preflight = client_with_token.options(
        "/enrich", HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in preflight
    assert "Access-Control-Allow-Origin" not in client_with_token.get("/stats", HTTP_ORIGIN=origin)
    settings.CORS_ALLOWED_ORIGINS = [origin]
    allowed = client_with_token.get("/stats", HTTP_ORIGIN=origin)
    assert allowed["Access-Control-Allow-Origin"] == origin
    other = client_with_token.get("/stats", HTTP_ORIGIN="https://elsewhere.example")
    assert "Access-Control-Allow-Origin" not in other


def test_a_body_over_the_upload_limit_is_413(client_with_token: APIClient, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_with_token.post("/enrich", seed_body(track_title="x" * 2000))
    assert response.status_code == 413


def test_the_upload_limit_fits_the_largest_batch_of_the_longest_items(
    client_with_token: APIClient, settings: Any
) -> None:
    longest = "\u00e9" * 500  # escaped as \u00e9: six bytes a character
    item = seed_body(
        track_id="5b6b2b8e-0d3b-4a5d-9b0e-6a1f3d2c1b00",
        artist_name=longest,
        track_title=longest,
        existing_spotify_id="0gxyHStUsqpMadRV0Di1Qt",
        existing_isrc="US-US1-10-00356",
        existing_musicbrainz_id="5b6b2b8e-0d3b-4a5d-9b0e-6a1f3d2c1b00",
        priority=10,
        force_refresh=False,
    )
    items = [item] * settings.ENRICH_MAX_BATCH_REQUEST
    items[-1] = {**item, "priority": 99}  # one bad item: refused after validation, not stored
    body = json.dumps(items)
    assert len(body) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = client_with_token.post("/enrich/batch", body, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == [str(settings.ENRICH_MAX_BATCH_REQUEST - 1)]


def test_deeply_nested_json_is_a_400_not_a_crash(client_with_token: APIClient) -> None:
    body = "[" * 100_000 + "]" * 100_000
    response = client_with_token.post("/enrich/batch", body, content_type="application/json")
    assert response.status_code == 400


def test_a_form_body_is_an_unsupported_media_type(client_with_token: APIClient) -> None:
    response = client_with_token.post("/enrich", seed_body(), format="multipart")
    assert response.status_code == 415
