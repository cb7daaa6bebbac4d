"""A database that accepts the connection but never answers fails the connection, not hangs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from songnodes.database import database_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (not Postgres)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


def test_both_kinds_of_database_get_a_connect_timeout(tmp_path: Path) -> None:
    external = database_settings("postgresql://u:p@db.internal:5432/x", tmp_path)
    embedded = database_settings("", tmp_path)
    assert external["OPTIONS"]["connect_timeout"] == 10
    assert embedded["OPTIONS"]["connect_timeout"] == 10
    assert database_settings("", tmp_path, connect_timeout=3)["OPTIONS"]["connect_timeout"] == 3


def test_a_connect_timeout_in_the_database_url_wins(tmp_path: Path) -> None:
    config = database_settings("postgresql://u:p@db/x?connect_timeout=30", tmp_path)
    assert config["OPTIONS"]["connect_timeout"] == "30"


@pytest.mark.slow
def test_a_database_url_at_a_silent_port_fails_with_a_timeout(silent_server: int) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "DATABASE_URL": f"postgresql://songnodes:pw@127.0.0.1:{silent_server}/songnodes",
        "DATABASE_CONNECT_TIMEOUT": "2",
    }
    try:
        # showmigrations connects (check --database does not, on Postgres).
        result = subprocess.run(
            [sys.executable, "manage.py", "showmigrations", "enrichment"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,  # a hang guard: without a connect timeout libpq waits for ever
        )
    except subprocess.TimeoutExpired:
        pytest.fail("manage.py still waited for the database after 90 s")
    assert result.returncode != 0
    assert "timeout expired" in result.stderr
