"""API tokens are stored only as SHA-256 digests: shown once, and old plain ones migrated."""

from __future__ import annotations

import hashlib
import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.test import APIClient

from enrichment.models import ApiToken

pytestmark = pytest.mark.django_db
migration = importlib.import_module("enrichment.migrations.0007_hashed_api_tokens")


def create_token(*args: str) -> str:
    """Run create_api_token; the token it prints."""
    out = StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def status_with(token: str) -> int:
    """The status of GET /stats with this token."""
    return APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/stats").status_code


def every_text_in_the_database() -> str:
    """Every text column of every table, as one string to search."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT row_to_json(t)::text FROM "{table}" AS t')
            found += [row[0] for row in cursor.fetchall()]
    return "\n".join(found)


def test_only_the_digest_of_a_new_token_is_stored() -> None:
    token = create_token("dj-tool")
    assert status_with(token) == 200
    stored = ApiToken.objects.get(user__username="dj-tool")
    assert stored.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in every_text_in_the_database()


def test_the_token_is_printed_once_and_rotating_retires_the_old_one() -> None:
    first = create_token("dj-tool")
    with pytest.raises(CommandError, match="--rotate"):
        create_token("dj-tool")
    rotated = create_token("dj-tool", "--rotate")
    assert rotated != first and len(rotated) == 40
    assert status_with(first) == 401 and status_with(rotated) == 200


def test_a_plain_token_of_the_old_table_keeps_working_after_the_migration() -> None:
    user = User.objects.create(username="old-tool")
    plain = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz "
            "NOT NULL, user_id integer NOT NULL UNIQUE)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [plain, user.pk])
    migration.hash_plain_tokens(apps, connection.schema_editor())
    assert "authtoken_token" not in connection.introspection.table_names()
    assert status_with(plain) == 200
    assert plain not in every_text_in_the_database()
