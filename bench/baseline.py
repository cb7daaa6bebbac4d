"""A baseline checkout of the project, run side by side with ours in one benchmark run.

`checkout(commit)` extracts the commit's tree (`git archive`, no worktree bookkeeping) into
`bench/output/baseline-<sha>/`; `run_end_to_end(...)` runs that checkout's own
`bench.overhead.end_to_end` (part A) in a child process, with its own embedded Postgres under
its own `bench/output/`, and returns its result dict. The checkout runs on our virtualenv
(our requirements are a superset of an older main's).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import OUTPUT, ROOT, say

DEFAULT_COMMIT = "d3f0c06"  # main on 2026-12-02, before any issue-14 work
_MARK = "BASELINE-RESULT "
# Run in the checkout: its part A against its own sandbox, the result as one JSON line.
_DRIVER = f"""
import json, sys
from bench.common import Sandbox
from bench.overhead import end_to_end
tracks, processes, concurrency = (int(a) for a in sys.argv[1:4])
with Sandbox("--no-limits", "--latency-ms", "0") as sandbox:
    result = end_to_end(sandbox, tracks, processes, concurrency)
print({_MARK!r} + json.dumps(result, default=str), flush=True)
"""


def commit_wanted(option: str | None) -> str:
    """--baseline, else BENCH_BASELINE, else the default commit."""
    return option or os.environ.get("BENCH_BASELINE") or DEFAULT_COMMIT


def checkout(commit: str) -> Path:
    """The commit's tree under bench/output/baseline-<sha> (extracted once, then reused)."""
    sha = _git("rev-parse", "--verify", f"{commit}^{{commit}}").strip()
    directory = OUTPUT / f"baseline-{sha[:12]}"
    if not (directory / "manage.py").exists():
        directory.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", "--format=tar", sha], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(directory)], input=archive, check=True)
        say(f"baseline {sha[:12]} extracted into {directory.relative_to(ROOT)}")
    return directory


def known_apis(directory: Path, apis: tuple[str, ...]) -> list[str]:
    """Those of our APIs the checkout has an adapter for (enrichment/sources/<api>.py)."""
    return [api for api in apis if (directory / "enrichment" / "sources" / f"{api}.py").exists()]


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def _environment(directory: Path) -> dict[str, str]:
    """Our environment minus what points at our database or code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "PROMETHEUS_"))}
    for name in ("DATABASE_URL", "SONGNODES_DATA_DIR", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    env["PYTHONPATH"] = str(directory)
    return env


def run_end_to_end(
    directory: Path, tracks: int, processes: int, concurrency: int
) -> dict[str, Any]:
    """The checkout's part A with these numbers; its result (tracks_per_cpu_s_ours, ...)."""
    command = [sys.executable, "-c", _DRIVER, str(tracks), str(processes), str(concurrency)]
    process = subprocess.Popen(
        command,
        cwd=directory,
        env=_environment(directory),
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    result: dict[str, Any] | None = None
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(_MARK):
            result = json.loads(line[len(_MARK) :])
        else:
            say("   [baseline] " + line.rstrip())
    if process.wait() != 0 or result is None:
        raise SystemExit(f"the baseline's part A failed (exit {process.returncode})")
    return result


def stop_database(directory: Path) -> None:
    """Stop the checkout's embedded Postgres (it outlives the child that started it)."""
    env = {**_environment(directory), "SONGNODES_DATA_DIR": str(directory / "bench/output/data")}
    subprocess.run(
        [sys.executable, "-m", "songnodes.database", "stop"],
        cwd=directory,
        env=env,
        check=False,
        capture_output=True,
    )
