"""One track per identity however many processes, imports and requests create it at once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from enrichment.models import Track
from enrichment.tokens import issue_token
from tests.subprocesses import ROOT, child_env, start_snippet

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PROCESSES = 4
IDENTITIES = 30
HANG_GUARD = 120

# Each child waits for the go file, then creates-or-gets the same tracks in the same order,
# so the processes race on every one of them.
CREATE_OR_GET = """
    import os, pathlib, time
    from enrichment.importing import upsert_one
    pathlib.Path(os.environ["READY_FILE"]).touch()
    while not os.path.exists(os.environ["GO_FILE"]):
        time.sleep(0.001)
    for number in range(int(os.environ["IDENTITIES"])):
        upsert_one({"artist_name": "Race Artist", "track_title": f"Race Title {number}"})
    print("[]")
"""


def _wait_until(condition: Any, what: str) -> None:
    """Poll until condition() holds; a hang guard, not a speed assertion."""
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _finish(processes: list[subprocess.Popen[str]]) -> None:
    """Wait for every child; fail with its stderr if one failed."""
    for process in processes:
        _, stderr = process.communicate(timeout=HANG_GUARD)
        assert process.returncode == 0, stderr


def test_concurrent_processes_creating_the_same_tracks_create_each_once(tmp_path: Path) -> None:
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{index}" for index in range(PROCESSES)]
    children = [
        start_snippet(
            CREATE_OR_GET,
            READY_FILE=str(path),
            GO_FILE=str(go),
            IDENTITIES=str(IDENTITIES),
        )
        for path in ready
    ]
    _wait_until(lambda: all(path.exists() for path in ready), "the children to be ready")
    go.touch()
    _finish(children)
    assert Track.objects.count() == IDENTITIES
    assert Track.objects.filter(title="Race Title 0").count() == 1


def test_two_concurrent_imports_of_one_file_create_each_track_once(tmp_path: Path) -> None:
    rows = 200
    path = tmp_path / "tracks.csv"
    lines = [f"Import Artist {number % 7},Import Title {number}" for number in range(rows)]
    path.write_text("artist_name,track_title\n" + "\n".join(lines) + "\n", encoding="utf-8")
    command = [sys.executable, "manage.py", "import_tracks", str(path), "--quiet-progress"]
    imports = [
        subprocess.Popen(
            command,
            cwd=ROOT,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    _finish(imports)
    assert Track.objects.count() == rows


def _post_at_once(path: str, bodies: list[Any]) -> list[int]:
    """POST each body from its own thread (own connection), all released together; codes."""
    user = User.objects.create(username="race-client")
    key = issue_token(user)
    start = threading.Barrier(len(bodies))
    codes: list[int] = []

    def post(body: Any) -> None:
        try:
            start.wait(timeout=HANG_GUARD)
            response = Client().post(
                path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
            )
            codes.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=HANG_GUARD)
    return codes


def test_concurrent_enrich_requests_for_one_song_create_one_track() -> None:
    body = {"artist_name": "Race Artist", "track_title": "Strobe", "sync": False}
    assert _post_at_once("/enrich", [body] * 16) == [202] * 16
    assert Track.objects.filter(title="Strobe").count() == 1


def test_concurrent_batches_of_the_same_songs_in_any_order_create_each_once() -> None:
    songs = [{"artist_name": "Race Artist", "track_title": f"Song {n}"} for n in range(20)]
    batches = [songs, songs[::-1], songs[::2] + songs[1::2], songs[::-1]]
    assert _post_at_once("/enrich/batch", batches) == [202] * len(batches)
    assert Track.objects.count() == len(songs)
