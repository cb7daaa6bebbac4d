"""Fixtures for the REST API: clients with and without a token, and fake upstream sources."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from enrichment.tokens import issue_token


@pytest.fixture(autouse=True)
def fresh_stats(settings: Any) -> None:
    """Every /stats call recomputes (the cache is tested on its own)."""
    settings.STATS_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def no_waiting(settings: Any) -> None:
    """No worker runs here: a synchronous POST /enrich gives up waiting at once (202)."""
    settings.ENRICH_SYNC_TIMEOUT = 0


@pytest.fixture
def api_user(db: Any) -> User:
    """A client's user."""
    return User.objects.create(username="curator-tool")


@pytest.fixture
def api_token(api_user: User) -> str:
    """The user's API token (as create_api_token prints it; only its digest is stored)."""
    return issue_token(api_user)


@pytest.fixture
def client_with_token(api_token: str) -> APIClient:
    """A client sending `Authorization: Token <token>`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token}")
    return client


@pytest.fixture
def anonymous(db: Any) -> APIClient:
    """A client without credentials."""
    return APIClient()


def seed_body(**changes: Any) -> dict[str, Any]:
    """The original service's enrichment body for "deadmau5 - Strobe"."""
    return {"artist_name": "deadmau5", "track_title": "Strobe", **changes}
