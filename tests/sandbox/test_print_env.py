"""`sandbox --print-env` prints and exits: no embedded Postgres is created or started for it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from songnodes.database import stop_embedded

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = {
    "manage.py": [sys.executable, "manage.py", "sandbox", "--port", "9124", "--print-env"],
    "python -m sandbox": [sys.executable, "-m", "sandbox", "--port", "9124", "--print-env"],
}


def processes_mentioning(text: str) -> list[str]:
    """Command lines of the running processes that contain `text` (a postgres -D <dir>)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):  # gone meanwhile, or not a process
            continue
        if text in command:
            found.append(command)
    return found


def embedded_only_environment(data_dir: Path) -> dict[str, str]:
    """This environment without a DATABASE_URL (so the embedded Postgres is the database)."""
    skipped = {"DATABASE_URL", "PROMETHEUS_METRICS_DIR", "PROMETHEUS_MULTIPROC_DIR"}
    env = {name: value for name, value in os.environ.items() if name not in skipped}
    return env | {"SONGNODES_DATA_DIR": str(data_dir)}


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """An empty SONGNODES_DATA_DIR; a server wrongly started in it is stopped afterwards."""
    directory = tmp_path / "data"
    directory.mkdir()
    yield directory
    stop_embedded(directory)


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_print_env_neither_creates_nor_starts_a_database(
    command: list[str], data_dir: Path
) -> None:
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=embedded_only_environment(data_dir),
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard only
    )
    assert done.returncode == 0, done.stderr
    assert "_API_URL=http://127.0.0.1:9124/" in done.stdout
    assert not (data_dir / "pgdata").exists()
    assert processes_mentioning(str(data_dir)) == []
