"""A caller of the original service: inside the compose network, no token, its host name."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from rest_framework.test import APIClient

COMPOSE_NETWORK = "172.28.0.0/16"
CALLER_ADDRESS = "172.28.0.9"
ORIGINAL_HOST = "metadata-enrichment:8020"


@pytest.fixture
def original_setup(settings: Any) -> Any:
    """The settings docs/operations.md gives for replacing the original service."""
    settings.API_TRUSTED_NETWORKS = (ipaddress.ip_network(COMPOSE_NETWORK),)
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "web", "metadata-enrichment"]
    return settings


@pytest.fixture
def caller(original_setup: Any) -> APIClient:
    """An in-cluster caller as the original knew them: no credentials, the old host name."""
    return APIClient(REMOTE_ADDR=CALLER_ADDRESS, HTTP_HOST=ORIGINAL_HOST)
