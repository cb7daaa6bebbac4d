"""Ctrl-C during an import stops after the current row with a summary, in a real process."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from enrichment.models import Track
from tests.subprocesses import ROOT, child_env

pytestmark = pytest.mark.django_db(transaction=True)  # the child commits; we read its rows

ROWS = 200_000  # many batches: the signal comes long before the last one


def wait_for_tracks(process: subprocess.Popen[str], minimum: int) -> None:
    """Wait until the child imported `minimum` tracks (the deadline is a hang guard only)."""
    deadline = time.monotonic() + 300
    while Track.objects.count() < minimum:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the import never started"
        time.sleep(0.2)


def test_ctrl_c_stops_the_import_with_a_summary_and_a_nonzero_exit(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = "".join(f"Artist {number},Title {number}\n" for number in range(ROWS))
    path.write_text("artist_name,track_title\n" + rows)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_tracks", str(path), "--quiet-progress"],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_tracks(process, 50)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted" in stderr
    created = re.search(r"created (\d+), updated 0, unchanged 0, rejected 0", stdout)
    assert created, stdout
    assert int(created.group(1)) == Track.objects.count() < ROWS
