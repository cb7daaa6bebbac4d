"""Real worker processes for tests: started against the test database and a sandbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from procrastinate.contrib.django.models import ProcrastinateJob

from enrichment.models import EnrichmentStatus
from sandbox import server
from tests.subprocesses import ROOT, child_env

FAST_RECOVERY = {
    "WORKER_HEARTBEAT_SECONDS": "1",
    "STALLED_AFTER_SECONDS": "4",
    "RECOVER_STALLED_CRON": "* * * * * */2",  # every 2 s (seconds are the 6th column)
}
RATES = {
    f"{name.upper()}_RATE_LIMIT": "1000"
    for name in ("spotify", "musicbrainz", "discogs", "lastfm", "deezer", "reccobeats")
}


def sandbox_env(sandbox_url: str) -> dict[str, str]:
    """Environment sending a child's sources to the sandbox, limits out of the way."""
    return dict(line.split("=", 1) for line in server.env_lines(sandbox_url)) | RATES


def start(args: list[str], sandbox_url: str, **env: str) -> subprocess.Popen[str]:
    """Start `manage.py <args>` as a real process (own session, so it can be killed alone)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=child_env(**sandbox_env(sandbox_url), **FAST_RECOVERY, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def worker(sandbox_url: str, concurrency: int = 4, **env: str) -> subprocess.Popen[str]:
    """One bare Procrastinate worker."""
    args = ["procrastinate", "worker", "--concurrency", str(concurrency)]
    return start(args, sandbox_url, **env)


def supervisor(sandbox_url: str, processes: int = 2, **env: str) -> subprocess.Popen[str]:
    """`run_workers`: supervised workers."""
    args = ["run_workers", "--processes", str(processes), "--concurrency", "4", "--grace", "30"]
    return start(args, sandbox_url, **env)


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll until condition() is truthy; fail with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    jobs = list(
        ProcrastinateJob.objects.filter(task_name="enrichment.enrich_track").values_list(
            "id", "status", "attempts", "worker_id", "args"
        )
    )
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; jobs: {jobs[-20:]}")


def enrichment_jobs(*statuses: str) -> int:
    """How many enrichment jobs are in these statuses."""
    return ProcrastinateJob.objects.filter(
        task_name="enrichment.enrich_track", status__in=statuses
    ).count()


def unfinished_tracks() -> int:
    """Tracks not in a terminal status (pending or in_progress)."""
    return EnrichmentStatus.objects.filter(status__in=["pending", "in_progress"]).count()


def stop(process: subprocess.Popen[str], timeout: float = 40) -> int:
    """SIGTERM and wait; the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


def kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL the process (and nothing else)."""
    process.send_signal(signal.SIGKILL)
    process.wait()
