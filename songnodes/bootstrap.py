"""What a process does before Django starts: .env, directories, the secret key, metrics.

Importing settings has no side effect (mypy and tools import them), so every entry point
calls `prepare()` before `django.setup()`: manage.py, wsgi.py, asgi.py, deploy/worker.py,
the test session (tests/plugin.py) and the benchmarks (bench/common.py). The embedded
Postgres is not started here but on the first connection (songnodes.embedded_postgres).

The path helpers are shared with settings, so both derive the same directories.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path

from dotenv import load_dotenv

from songnodes.env import Environment

BASE_DIR = Path(__file__).resolve().parent.parent
MiB = 2**20
# Below this much free space a process refuses to start: prometheus_client's memory-mapped
# sample files (in PROMETHEUS_MULTIPROC_DIR) and the embedded Postgres would fail mid-run.
MIN_FREE_BYTES = 16 * MiB
# Below this the system check warns (songnodes.W010) while there is still room.
LOW_FREE_BYTES = 256 * MiB


def data_dir(env: Environment) -> Path:
    """SONGNODES_DATA_DIR: the embedded Postgres, generated secret key, static and metrics files."""
    return env.path("SONGNODES_DATA_DIR", BASE_DIR / ".songnodes")


def static_root(data: Path) -> Path:
    """Where collectstatic puts the admin's files (served by whitenoise)."""
    return data / "static"


def secret_key_file(data: Path) -> Path:
    """The development secret key of this checkout (shared by its web and workers)."""
    return data / "secret_key"


def read_secret_key(data: Path) -> str:
    """The generated development key, or "" when prepare() has not made one."""
    try:
        return secret_key_file(data).read_text().strip()
    except FileNotFoundError:
        return ""


def metrics_dirs(env: Environment, data: Path) -> tuple[Path, Path]:
    """PROMETHEUS_METRICS_DIR (every host's files) and this host's PROMETHEUS_MULTIPROC_DIR."""
    root = env.path("PROMETHEUS_METRICS_DIR", data / "prometheus")
    # One directory per host (container): files are named by PID, which containers reuse.
    host = "".join(c if c.isalnum() or c in "._-" else "_" for c in os.uname().nodename)
    return root, env.path("PROMETHEUS_MULTIPROC_DIR", root / host)


def short_of_space(directories: Iterable[Path], minimum: int) -> tuple[Path, int] | None:
    """The first directory with less than `minimum` bytes free, and how many it has."""
    for directory in directories:
        free = shutil.disk_usage(directory).free
        if free < minimum:
            return directory, free
    return None


def disk_space_message(directory: Path, free: int) -> str:
    """What an operator needs to know about a (nearly) full disk."""
    return (
        f"only {free // MiB} MiB free in {directory}: the Prometheus metrics files "
        "(PROMETHEUS_MULTIPROC_DIR) and the embedded Postgres (SONGNODES_DATA_DIR) live "
        "there, and a full disk kills processes writing them (SIGBUS). Free space on that "
        "disk, or point PROMETHEUS_METRICS_DIR / SONGNODES_DATA_DIR at one with room."
    )


def create_secret_key(path: Path) -> None:
    """Generate the key file unless it exists; atomic, so processes starting together agree."""
    if path.exists():
        return
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(50))
    try:
        with contextlib.suppress(FileExistsError):  # another process was first: keep its key
            os.link(draft, path)
    finally:
        draft.unlink()


def prepare() -> None:
    """Make this process ready for Django; call it before settings load (idempotent)."""
    # Into os.environ, so that processes started from this one see .env's values too.
    load_dotenv(BASE_DIR / ".env", override=False)
    env = Environment(os.environ)
    data = data_dir(env)
    static_root(data).mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
    if not env.string("SECRET_KEY"):
        create_secret_key(secret_key_file(data))
    # prometheus_client picks its multiprocess mode when it is first imported (by the
    # enrichment app, during django.setup()), from this variable.
    _, own = metrics_dirs(env, data)
    own.mkdir(parents=True, exist_ok=True)
    # A clear refusal now rather than a SIGBUS without a word later.
    short = short_of_space([own, data], MIN_FREE_BYTES)
    if short:
        raise SystemExit(f"songnodes: cannot start: {disk_space_message(*short)}")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(own)
