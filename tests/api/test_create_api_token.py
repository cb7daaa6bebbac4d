"""manage.py create_api_token USERNAME: a user (made if needed) and a token that works."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tests.api.conftest import seed_body

pytestmark = pytest.mark.django_db


def create_token(*args: str) -> str:
    """Run the command; the token it prints."""
    out = StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_it_creates_a_password_less_user_whose_token_can_write() -> None:
    key = create_token("dj-tool")
    user = User.objects.get(username="dj-tool")
    assert not user.has_usable_password()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.post("/enrich", seed_body()).status_code == 202


def test_an_existing_user_keeps_its_password() -> None:
    User.objects.create_user("curator", password="correct horse battery staple")
    create_token("curator")
    assert User.objects.get(username="curator").check_password("correct horse battery staple")


def test_an_invalid_username_is_refused() -> None:
    with pytest.raises(CommandError, match="valid username"):
        create_token("no spaces please")
