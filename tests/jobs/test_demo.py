"""manage.py demo as a real process: it checks its ports first and leaves nothing behind."""

from __future__ import annotations

import csv
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from django.core.management import CommandError, call_command

from enrichment.models import Track
from sandbox.catalogue import catalogue
from sandbox.records import Recording
from tests.jobs import workers as w
from tests.subprocesses import ROOT, child_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    """A port nothing listens on (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else already listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def tiny_sample(directory: Path, recordings: list[Recording] | None = None) -> Path:
    """A three-track catalogue sample (or these recordings), so the demo's run is short."""
    path = directory / "sample.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["artist_name", "track_title", "isrc"])
        for recording in recordings or catalogue().recordings[140:143]:
            writer.writerow([recording.artist.name, recording.spotify_name, recording.isrc])
    return path


def octave_cases(count: int) -> list[Recording]:
    """Plain recordings every tempo source knows, whose Deezer tempo is at another octave."""
    wanted = {"deezer", "reccobeats", "musicbrainz"}
    return [
        recording
        for recording in catalogue().hard_cases["deezer_bpm_octave"]
        if wanted <= recording.sources and recording.hard_cases == {"deezer_bpm_octave"}
    ][:count]


def start_demo(
    directory: Path,
    web_port: int,
    sandbox_port: int,
    *extra: str,
    recordings: list[Recording] | None = None,
) -> subprocess.Popen[str]:
    """`manage.py demo` on the test database, its output in files under directory."""
    metrics = directory / "prometheus"
    sample = tiny_sample(directory, recordings)
    command = [sys.executable, "manage.py", "demo", "--sample", str(sample), *extra]
    command += ["--port", str(web_port), "--sandbox-port", str(sandbox_port)]
    command += ["--processes", "1", "--rate-scale", "1000"]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=child_env(
            SONGNODES_DATA_DIR=str(directory / "data"),
            PROMETHEUS_METRICS_DIR=str(metrics),
            PROMETHEUS_MULTIPROC_DIR=str(metrics / "demo"),
        ),
        stdout=(directory / "demo.out").open("w"),
        stderr=(directory / "demo.err").open("w"),
        text=True,
        start_new_session=True,
    )


def listening(port: int) -> bool:
    """Does something accept connections on this port?"""
    with socket.socket() as client:
        return client.connect_ex(("127.0.0.1", port)) == 0


def test_a_sigterm_to_the_demo_stops_every_process_it_started(tmp_path: Path) -> None:
    web_port = free_port()
    demo = start_demo(tmp_path, web_port, free_port())
    started: list[psutil.Process] = []
    try:
        w.wait_for(lambda: listening(web_port) or demo.poll() is not None, 300, "the admin")
        assert demo.poll() is None, (tmp_path / "demo.err").read_text()
        started = psutil.Process(demo.pid).children(recursive=True)
        assert len(started) >= 4  # sandbox, supervisor, a worker, web server
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=120)  # a hang guard
    finally:
        _gone, alive = psutil.wait_procs(started, timeout=60)
        for process in alive:
            process.kill()
        if demo.poll() is None:
            demo.kill()
    assert alive == [], f"left behind: {[process.pid for process in alive]}"
    assert not listening(web_port)


def test_the_demo_reports_genre_and_bpm_coverage_and_octave_flags(tmp_path: Path) -> None:
    cases = octave_cases(2)
    assert len(cases) == 2
    demo = start_demo(tmp_path, free_port(), free_port(), "--no-serve", recordings=cases)
    try:
        assert demo.wait(timeout=600) == 0, (tmp_path / "demo.err").read_text()
    finally:
        if demo.poll() is None:
            demo.kill()
    report = (tmp_path / "demo.out").read_text()
    assert re.search(r"^genre coverage: \d+ of 2 tracks", report, re.MULTILINE), report
    assert "reconciled BPM: 2 of 2 tracks (100.0%)" in report
    assert "BPM octave flags (sources disagree by x2/x1.5): 2" in report


@pytest.mark.parametrize("taken", ["web", "sandbox"])
def test_the_demo_refuses_at_once_a_port_that_is_taken(
    tmp_path: Path, taken_port: int, taken: str
) -> None:
    ports = {"web": free_port(), "sandbox": free_port()} | {taken: taken_port}
    demo = start_demo(tmp_path, ports["web"], ports["sandbox"])
    try:
        assert demo.wait(timeout=300) != 0  # a hang guard
    finally:
        if demo.poll() is None:
            demo.kill()
    error = (tmp_path / "demo.err").read_text()
    assert f"port {taken_port} is already in use" in error
    assert "Traceback" not in error
    assert Track.objects.count() == 0  # it stopped before importing anything


def test_the_demo_refuses_one_port_for_both_web_and_sandbox() -> None:
    port = free_port()
    with pytest.raises(CommandError, match=f"both {port}"):
        call_command("demo", "--port", str(port), "--sandbox-port", str(port))
    assert Track.objects.count() == 0
