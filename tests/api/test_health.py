"""GET /health: healthy, degraded (something enabled is broken), 503 without a database."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import responses
from django.utils import timezone
from rest_framework.test import APIClient

from enrichment.models import CircuitBreakerState
from enrichment.sources import registry
from tests.api.conftest import seed_body
from tests.subprocesses import run_snippet

CONFIGURED = {
    "SPOTIFY_CLIENT_ID": "id",
    "SPOTIFY_CLIENT_SECRET": "secret",
    "MUSICBRAINZ_USER_AGENT": "SongNodes/1.0 ( ops@example.org )",
    "DISCOGS_TOKEN": "token",
    "LASTFM_API_KEY": "key",
    "TIDAL_CLIENT_ID": "id",
    "TIDAL_CLIENT_SECRET": "secret",
}


@pytest.fixture
def configured(settings: Any) -> Any:
    """Every source has its credentials."""
    for name, value in CONFIGURED.items():
        setattr(settings, name, value)
    return settings


def get_health(client: APIClient) -> tuple[int, dict[str, Any]]:
    """Status code and body of /health, asserting no upstream HTTP call is made."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as upstream:
        response = client.get("/health")
        assert len(upstream.calls) == 0
    return response.status_code, response.json()


@pytest.mark.django_db
def test_all_sources_configured_and_closed_is_healthy(
    anonymous: APIClient, configured: Any
) -> None:
    configured.ENRICHMENT_SOURCES = list(registry.PROVIDERS_BY_NAME)  # opt-in sources too
    code, body = get_health(anonymous)
    assert (code, body["status"]) == (200, "healthy")
    assert body["service"] == "metadata-enrichment"
    assert body["version"] and body["timestamp"].endswith("Z")
    assert body["connections"] == {"database": "healthy"}
    assert set(body["sources"]) == {
        "spotify", "musicbrainz", "deezer", "discogs", "lastfm", "reccobeats", "tidal",
    }  # fmt: skip
    assert body["sources"]["discogs"] == {
        "enabled": True, "configured": True, "problem": None, "breaker": "closed",
        "status": "healthy",
    }  # fmt: skip
    assert body["api_clients"].pop("beatport") == "unsupported"
    assert set(body["api_clients"].values()) == {"healthy"}


@pytest.mark.django_db
def test_an_open_breaker_makes_the_service_degraded(anonymous: APIClient, configured: Any) -> None:
    CircuitBreakerState.objects.create(api="deezer", state="open", opened_at=timezone.now())
    code, body = get_health(anonymous)
    assert (code, body["status"]) == (200, "degraded")
    assert body["sources"]["deezer"]["breaker"] == "open"
    assert body["api_clients"]["deezer"] == "open"


@pytest.mark.django_db
def test_a_source_without_credentials_says_what_is_missing_but_degrades_nothing(
    anonymous: APIClient, configured: Any
) -> None:
    configured.DISCOGS_TOKEN = ""
    code, body = get_health(anonymous)
    assert (code, body["status"]) == (200, "healthy")
    assert body["sources"]["discogs"]["configured"] is False
    assert "DISCOGS_TOKEN" in body["sources"]["discogs"]["problem"]
    assert body["api_clients"]["discogs"] == "unconfigured"


@pytest.mark.django_db
def test_a_disabled_source_does_not_degrade_the_service(
    anonymous: APIClient, configured: Any
) -> None:
    configured.DISCOGS_TOKEN = ""
    configured.ENRICHMENT_SOURCES = ["spotify", "musicbrainz", "deezer", "reccobeats", "lastfm"]
    code, body = get_health(anonymous)
    assert (code, body["status"]) == (200, "healthy")
    assert body["sources"]["discogs"]["enabled"] is False
    assert body["api_clients"]["discogs"] == "disabled"


@pytest.mark.django_db
def test_a_configured_redis_cache_is_a_connection_and_degrades_when_unreachable(
    anonymous: APIClient, configured: Any
) -> None:
    configured.HTTP_CACHE = f"redis://127.0.0.1:{closed_port()}/0"
    code, body = get_health(anonymous)
    assert (code, body["status"]) == (200, "degraded")
    assert body["connections"]["redis"].startswith("unhealthy: ")
    assert body["connections"]["database"] == "healthy"


@pytest.mark.django_db
def test_queue_depth_counts_waiting_jobs(
    anonymous: APIClient, client_with_token: APIClient, configured: Any
) -> None:
    client_with_token.post("/enrich", seed_body(sync=False))
    client_with_token.post("/enrich", seed_body(track_title="Ghosts 'n' Stuff", sync=False))
    _, body = get_health(anonymous)
    assert body["queue"] == {"depth": 2, "todo": 2, "doing": 0}


@pytest.mark.django_db
def test_health_is_never_throttled(anonymous: APIClient, settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/minute", "user": "1/minute"},
    }
    assert {anonymous.get("/health").status_code for _ in range(4)} == {200}


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_an_unreachable_database_makes_health_503_and_metrics_still_answer() -> None:
    unreachable = f"postgresql://postgres:x@127.0.0.1:{closed_port()}/postgres?connect_timeout=3"
    result = run_snippet(
        """
        import json
        from django.test.utils import setup_test_environment
        setup_test_environment()
        from django.test import Client
        health = Client().get("/health")
        scrape = Client().get("/metrics")
        print(json.dumps({
            "health": [health.status_code, health.json()],
            "metrics": [scrape.status_code, scrape.content.decode()],
        }))
        """,
        DATABASE_URL=unreachable,
    )
    code, body = result["health"]
    assert (code, body["status"]) == (503, "unhealthy")
    assert body["connections"]["database"].startswith("unhealthy: OperationalError")
    code, text = result["metrics"]
    assert code == 200
    assert "enrichment_database_up 0.0" in text
    assert "# TYPE tracks_enriched_total counter" in text


@pytest.mark.django_db
def test_an_opt_in_source_without_credentials_is_off_not_a_degradation(
    anonymous: APIClient, configured: Any
) -> None:
    configured.TIDAL_CLIENT_ID = configured.TIDAL_CLIENT_SECRET = ""
    assert "tidal" not in configured.ENRICHMENT_SOURCES  # the default leaves it out
    code, body = get_health(anonymous)
    assert (code, body["status"]) == (200, "healthy")
    assert body["sources"]["tidal"]["enabled"] is False
    assert body["sources"]["tidal"]["configured"] is False
