"""Fixtures for the REST API: clients with and without a token, and fake upstream sources."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def fresh_stats(settings: Any) -> None:
    """Every /stats call recomputes (the cache is tested on its own)."""
    settings.STATS_CACHE_SECONDS = 0


@pytest.fixture
def api_user(db: Any) -> User:
    """A client's user, holding an API token."""
    user = User.objects.create(username="curator-tool")
    Token.objects.create(user=user)
    return user


@pytest.fixture
def client_with_token(api_user: User) -> APIClient:
    """A client sending `Authorization: Token <key>`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_user.auth_token.key}")
    return client


@pytest.fixture
def anonymous(db: Any) -> APIClient:
    """A client without credentials."""
    return APIClient()


def seed_body(**changes: Any) -> dict[str, Any]:
    """The original service's enrichment body for "deadmau5 - Strobe"."""
    return {"artist_name": "deadmau5", "track_title": "Strobe", **changes}
