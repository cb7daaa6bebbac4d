"""Run Django code in a separate process against the test database (real processes, real DB)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """A DATABASE_URL for the database this test session uses."""
    config = connection.settings_dict
    host = config["HOST"]
    user = quote(config["USER"] or "")
    password = quote(config["PASSWORD"] or "")
    if host.startswith("/"):
        return f"postgresql://{user}:{password}@/{config['NAME']}?host={host}"
    return f"postgresql://{user}:{password}@{host}:{config['PORT'] or 5432}/{config['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: the test database plus overrides."""
    env = dict(os.environ)
    env.update(
        {"DATABASE_URL": test_database_url(), "DJANGO_SETTINGS_MODULE": "songnodes.settings"}
    )
    env.update(extra)
    return env


def start_snippet(code: str, **env: str) -> subprocess.Popen[str]:
    """Start a Python process with Django set up that runs `code`."""
    program = "from songnodes.bootstrap import prepare\nprepare()\n"
    program += "import django\ndjango.setup()\n" + textwrap.dedent(code)
    return subprocess.Popen(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=child_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_snippet(code: str, *, timeout: float = 120, **env: str) -> Any:
    """Run `code` in a child process; it prints one JSON value last, which is returned."""
    process = start_snippet(code, **env)
    stdout, stderr = process.communicate(timeout=timeout)
    if process.returncode != 0:
        raise AssertionError(f"child failed ({process.returncode}):\n{stderr}")
    return json.loads(stdout.strip().splitlines()[-1])
