"""A (nearly) full disk under the metrics files is a clear message, never a silent SIGBUS."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from django.core.checks import run_checks

from songnodes import bootstrap

ROOT = Path(__file__).resolve().parents[2]
MiB = 2**20


class Usage(NamedTuple):
    total: int
    used: int
    free: int


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (needs root), unmounted afterwards."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter of this project."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard only
    )


def test_filling_the_disk_with_metrics_is_an_error_naming_it_not_a_sigbus(
    tiny_disk: Path,
) -> None:
    done = run_python(
        """
        from enrichment.metrics_files import install
        install()
        from prometheus_client import Counter
        calls = Counter("drill_calls", "", ["api"])
        for i in range(200_000):
            calls.labels(api=f"api-{i}").inc()
        """,
        PROMETHEUS_MULTIPROC_DIR=str(tiny_disk),
    )
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])  # SIGBUS would be -7
    assert "DiskFullError" in done.stderr
    assert "free space on that disk, or point PROMETHEUS_METRICS_DIR" in done.stderr


def test_a_process_refuses_to_start_on_a_full_metrics_disk(tiny_disk: Path, tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if name != "PROMETHEUS_MULTIPROC_DIR"}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env
        | {"PROMETHEUS_METRICS_DIR": str(tiny_disk)}
        | {"SONGNODES_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and done.returncode != -7
    assert f"cannot start: only 1 MiB free in {tiny_disk}/" in done.stderr
    assert "PROMETHEUS_METRICS_DIR" in done.stderr


def test_prepare_stops_with_a_message_when_the_disk_is_almost_full(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SONGNODES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PROMETHEUS_METRICS_DIR", str(tmp_path / "metrics"))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")  # restored afterwards
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10 * MiB, 9 * MiB, 1 * MiB))
    with pytest.raises(SystemExit, match=r"only 1 MiB free in .*metrics"):
        bootstrap.prepare()


def test_the_system_check_warns_while_there_is_still_room(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**12, 10**12, 100 * MiB))
    [warning] = [m for m in run_checks() if m.id == "songnodes.W010"]
    assert "100 MiB free" in warning.msg and str(settings.PROMETHEUS_MULTIPROC_DIR) in warning.msg
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**12, 0, 10**12))
    assert not [m for m in run_checks() if m.id == "songnodes.W010"]
