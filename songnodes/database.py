"""Database settings: DATABASE_URL when set, else an embedded Postgres (pgserver) on demand."""

from __future__ import annotations

import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

logger = logging.getLogger(__name__)

# The backend of the embedded server (a package, as Django loads ENGINE + ".base").
EMBEDDED_ENGINE = "songnodes.embedded_postgres"


# SQLAlchemy names the driver after a "+" (the original service's compose gave
# postgresql+asyncpg://): any of these reaches the same Postgres through psycopg here.
DRIVERS = ("asyncpg", "psycopg", "psycopg2", "psycopg2cffi", "pg8000")
SCHEMES = frozenset(
    {"postgres", "postgresql", *(f"{base}+{driver}" for base in ("postgres", "postgresql")
                                 for driver in DRIVERS)}
)  # fmt: skip


def parse_database_url(url: str) -> dict[str, Any]:
    """Turn a postgres:// URL (or a SQLAlchemy-style postgresql+driver:// one) into a Django
    DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValueError(
            "DATABASE_URL must be a postgres:// or postgresql:// URL (a SQLAlchemy driver "
            f"suffix such as postgresql+asyncpg:// is accepted), got scheme {parts.scheme!r}"
        )
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if "ssl" in query:  # asyncpg's spelling of libpq's sslmode (require, disable, ...)
        query.setdefault("sslmode", query.pop("ssl"))
    # A socket directory may be given as ?host=/path (libpq style) instead of a netloc host.
    host = query.pop("host", None) or unquote(parts.hostname or "")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "postgres",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "OPTIONS": query,
    }


def embedded_database_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded Postgres under data_dir and return its URL."""
    # Imported lazily: a deployment with DATABASE_URL never needs pgserver at all.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        from pgserver.postgres_server import get_server

        pgdata = data_dir / "pgdata"
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: the server outlives this process, so manage.py, the workers and
        # the tests all share one running instance (started once, reused by the next caller).
        server = get_server(pgdata, cleanup_mode=None)
        # get_server returns this process's handle as is: start the server again if it was
        # stopped since (another command, or a restart drill), under pgserver's own lock.
        with server._lock:
            server.ensure_postgres_running()
        return str(server.get_uri())


def database_settings(
    url: str, data_dir: Path, conn_max_age: int = 60, connect_timeout: int = 10
) -> dict[str, Any]:
    """The 'default' database: external when a URL is given, else the embedded one in data_dir.

    The embedded server is not started here (settings load without side effects): its
    backend, songnodes.embedded_postgres, starts or finds it on the first connection.
    """
    if url:
        config = parse_database_url(url)
    else:
        config = {
            "ENGINE": EMBEDDED_ENGINE,
            "NAME": "postgres",
            "USER": "postgres",
            "PASSWORD": "",
            "HOST": "",  # the server's socket directory, filled in on the first connection
            "PORT": "",
            "OPTIONS": {},
            "EMBEDDED_DATA_DIR": str(data_dir),
        }
    # Without it libpq waits for ever on a host that accepts but never answers (a wrong port,
    # a hung server). Procrastinate's worker pool reads the same options. ?connect_timeout=
    # in the URL wins.
    config["OPTIONS"].setdefault("connect_timeout", connect_timeout)
    config["CONN_MAX_AGE"] = conn_max_age
    config["CONN_HEALTH_CHECKS"] = True
    return config


_started: dict[Path, dict[str, str]] = {}
_starting = threading.Lock()


def embedded_location(data_dir: Path) -> dict[str, str]:
    """HOST and PORT of the embedded server under data_dir, started once per process."""
    # One start per process even when several threads open their first connection at once.
    with _starting:
        if data_dir not in _started:
            config = parse_database_url(embedded_database_url(data_dir))
            _started[data_dir] = {"HOST": config["HOST"], "PORT": config["PORT"]}
        return _started[data_dir]


def stop_embedded(data_dir: Path) -> bool:
    """Stop the embedded Postgres under data_dir if it runs; True when one was stopped."""
    pgdata = data_dir / "pgdata"
    if not (pgdata / "postmaster.pid").exists():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    # As root, pgserver runs the server as its own "pgserver" system user.
    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True


if __name__ == "__main__":
    import sys

    directory = Path(os.environ.get("SONGNODES_DATA_DIR") or ".songnodes").resolve()
    if sys.argv[1:] == ["stop"]:
        print("stopped" if stop_embedded(directory) else "not running")
    else:
        sys.exit("usage: python -m songnodes.database stop")
