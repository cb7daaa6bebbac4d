"""The database switch: DATABASE_URL when set, otherwise an embedded Postgres in the data dir."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from songnodes.database import embedded_database_url, parse_database_url, stop_embedded

ROOT = Path(__file__).resolve().parent.parent


def test_database_url_with_host_port_and_credentials_is_parsed() -> None:
    config = parse_database_url("postgresql://songnodes:s%40cret@db.internal:5433/catalogue")
    assert config["HOST"] == "db.internal"
    assert config["PORT"] == "5433"
    assert config["USER"] == "songnodes"
    assert config["PASSWORD"] == "s@cret"
    assert config["NAME"] == "catalogue"
    assert config["ENGINE"] == "django.db.backends.postgresql"


def test_a_socket_directory_in_the_query_string_becomes_the_host() -> None:
    config = parse_database_url("postgresql://postgres:@/postgres?host=/tmp/sock&sslmode=disable")
    assert config["HOST"] == "/tmp/sock"
    assert config["OPTIONS"] == {"sslmode": "disable"}


def test_a_database_url_that_is_not_postgres_is_refused() -> None:
    with pytest.raises(ValueError, match="postgres"):
        parse_database_url("sqlite:///db.sqlite3")


def test_the_suite_runs_on_postgres() -> None:
    assert connection.vendor == "postgresql"


def run_manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run manage.py in a fresh process with exactly this database environment."""
    full_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory whose embedded server is stopped afterwards."""
    # A short path keeps the server's Unix socket under the 107-byte limit.
    directory = tmp_path / "data"
    directory.mkdir()
    yield directory
    stop_embedded(directory)


@pytest.mark.slow
def test_without_database_url_manage_py_starts_an_embedded_postgres_in_the_data_dir(
    data_dir: Path,
) -> None:
    result = run_manage(["migrate", "--verbosity", "0"], {"SONGNODES_DATA_DIR": str(data_dir)})
    assert result.returncode == 0, result.stderr
    assert (data_dir / "pgdata" / "PG_VERSION").exists()
    # A second command reuses the running server and sees the migrated schema.
    url = embedded_database_url(data_dir)
    with psycopg.connect(url) as conn:
        tables = {row[0] for row in conn.execute("select tablename from pg_tables")}
    assert {"tracks", "enrichment_status", "api_cache", "procrastinate_jobs"} <= tables


@pytest.mark.slow
def test_with_database_url_manage_py_uses_that_server_and_starts_none(
    data_dir: Path, tmp_path: Path
) -> None:
    # Stand up a separate server and reach it only through DATABASE_URL.
    external_url = embedded_database_url(data_dir)
    unused_data_dir = tmp_path / "unused"
    result = run_manage(
        ["migrate", "--verbosity", "0"],
        {"DATABASE_URL": external_url, "SONGNODES_DATA_DIR": str(unused_data_dir)},
    )
    assert result.returncode == 0, result.stderr
    assert not (unused_data_dir / "pgdata").exists()
    with psycopg.connect(external_url) as conn:
        applied = conn.execute(
            "select count(*) from django_migrations where app = 'enrichment'"
        ).fetchone()
    assert applied is not None and applied[0] >= 2
