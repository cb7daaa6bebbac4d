"""Failed authentications are throttled per address: wrong API tokens and failed admin logins."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from tests.api.conftest import seed_body

pytestmark = pytest.mark.django_db
WRONG = "Token " + "0" * 40


@pytest.fixture(autouse=True)
def three_failures(settings: Any) -> None:
    """Three failed attempts per address per minute."""
    settings.AUTH_FAILURE_LIMIT = 3
    settings.AUTH_FAILURE_WINDOW = 60


def test_wrong_tokens_are_401_until_the_limit_then_429_with_retry_after(db: Any) -> None:
    client = APIClient(HTTP_AUTHORIZATION=WRONG)
    codes = [client.get("/stats").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    refused = client.post("/enrich", seed_body())
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60


def test_a_throttled_address_cannot_try_even_a_valid_token(
    client_with_token: APIClient, api_token: str
) -> None:
    guesser = APIClient(HTTP_AUTHORIZATION=WRONG)
    for _ in range(3):
        guesser.get("/stats")
    assert client_with_token.get("/stats").status_code == 429  # same address (127.0.0.1)
    elsewhere = APIClient(REMOTE_ADDR="10.9.8.7", HTTP_AUTHORIZATION=f"Token {api_token}")
    assert elsewhere.get("/stats").status_code == 200


def test_successful_token_requests_are_not_counted_as_failures(
    client_with_token: APIClient,
) -> None:
    codes = {client_with_token.get("/stats").status_code for _ in range(5)}
    assert codes == {200}


def test_failed_admin_logins_are_throttled_by_address(db: Any) -> None:
    User.objects.create_superuser("admin", password="the right one")
    client = Client()
    wrong = {"username": "admin", "password": "a guess", "next": "/admin/"}
    codes = [client.post("/admin/login/", wrong).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]  # the form again with its error, then refused
    right = client.post("/admin/login/", {**wrong, "password": "the right one"})
    assert right.status_code == 429 and int(right["Retry-After"]) > 0
    elsewhere = Client(REMOTE_ADDR="10.9.8.7")
    assert (
        elsewhere.post("/admin/login/", {**wrong, "password": "the right one"}).status_code == 302
    )
