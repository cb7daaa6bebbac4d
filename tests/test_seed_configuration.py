"""The original service's configuration works: SQLAlchemy-style DATABASE_URL, REDIS_HOST/PORT."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from songnodes.caches import described, response_cache
from songnodes.database import parse_database_url

ROOT = Path(__file__).resolve().parent.parent
PLAIN = parse_database_url("postgresql://musicdb_user:pw@localhost:5433/musicdb")


@pytest.mark.parametrize(
    "scheme",
    ["postgresql+asyncpg", "postgresql+psycopg", "postgresql+psycopg2", "postgres",
     "postgres+asyncpg"],
)  # fmt: skip
def test_sqlalchemy_style_schemes_reach_the_same_database(scheme: str) -> None:
    assert parse_database_url(f"{scheme}://musicdb_user:pw@localhost:5433/musicdb") == PLAIN


def test_asyncpgs_ssl_parameter_becomes_libpqs_sslmode() -> None:
    config = parse_database_url("postgresql+asyncpg://u:p@db/musicdb?ssl=require")
    assert config["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize("url", ["mysql+pymysql://u:p@db/x", "postgresql+mystery://u:p@db/x"])
def test_other_schemes_are_refused_naming_the_variable(url: str) -> None:
    with pytest.raises(ValueError, match="DATABASE_URL"):
        parse_database_url(url)


def test_redis_host_and_port_select_redis_there() -> None:
    assert response_cache("", "redis", 6380) == ("redis://redis:6380/0", "REDIS_HOST")
    assert response_cache("", "::1", 6379) == ("redis://[::1]:6379/0", "REDIS_HOST")


def test_http_cache_wins_over_redis_host() -> None:
    assert response_cache("db", "redis", 6379) == ("db", "HTTP_CACHE")
    assert response_cache("redis://cache:6379/2", "redis", 6379)[0] == "redis://cache:6379/2"


def test_without_either_the_api_cache_table_is_used() -> None:
    assert response_cache("", "", 6379) == ("db", "default")


def test_the_log_line_names_the_cache_and_its_origin_but_no_password() -> None:
    line = described("redis://:s3cret@cache.internal:6380/1", "HTTP_CACHE")
    assert line == "response cache: Redis at cache.internal:6380 (from HTTP_CACHE)"
    assert described("db", "default") == "response cache: the api_cache table (from default)"


def settings_with(**variables: str) -> dict[str, object]:
    """Some settings as a process with these variables (and no others of ours) reads them."""
    ours = {"HTTP_CACHE": "", "REDIS_HOST": "", "REDIS_PORT": "", "DATABASE_URL": ""}
    code = (
        "import json, songnodes.settings as s; d = s.DATABASES['default']; print(json.dumps("
        "{'cache': s.HTTP_CACHE, 'origin': s.HTTP_CACHE_ORIGIN, 'host': d['HOST'],"
        " 'port': d['PORT'], 'invalid': s.INVALID_SETTINGS}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **ours, **variables},  # an empty variable means its default
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_the_originals_compose_values_start_the_settings() -> None:
    loaded = settings_with(
        DATABASE_URL="postgresql+asyncpg://musicdb_user:pw@postgres:5432/musicdb",
        REDIS_HOST="redis",
        REDIS_PORT="6379",
    )
    assert loaded == {"cache": "redis://redis:6379/0", "origin": "REDIS_HOST",
                      "host": "postgres", "port": "5432", "invalid": {}}  # fmt: skip


def test_http_cache_set_too_wins_in_the_settings() -> None:
    loaded = settings_with(HTTP_CACHE="db", REDIS_HOST="redis")
    assert (loaded["cache"], loaded["origin"]) == ("db", "HTTP_CACHE")
