"""Fixtures for the sandbox tests: real servers on free ports, fake clocks, recorded samples."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.app import Sandbox
from sandbox.base import Request, Response
from sandbox.catalogue import Catalogue, catalogue
from sandbox.server import SandboxServer, start

SAMPLES = Path(
    os.environ.get(
        "SONGNODES_UPSTREAM_SAMPLES",
        Path(__file__).resolve().parents[3] / "shared" / "upstream-samples",
    )
)
USER_AGENT = "SongNodesTests/1.0 ( tests@example.org )"


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def sample(name: str) -> Any:
    """A recorded real response from ../shared/upstream-samples (skip when absent)."""
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"recorded sample {path} is not available")
    return json.loads(path.read_text(encoding="utf-8"))


def missing_keys(real: Any, ours: Any, path: str = "") -> list[str]:
    """Keys present in the real payload but absent from ours (dicts, first list items)."""
    if isinstance(real, dict) and isinstance(ours, dict):
        found = []
        for key, value in real.items():
            if key not in ours:
                found.append(f"{path}.{key}")
            else:
                found += missing_keys(value, ours[key], f"{path}.{key}")
        return found
    if isinstance(real, list) and isinstance(ours, list) and real and ours:
        return missing_keys(real[0], ours[0], f"{path}[0]")
    return []


def call(sandbox: Sandbox, method: str, target: str, headers: dict[str, str] | None = None,
         body: bytes = b"") -> Response:  # fmt: skip
    """Send one request straight to the app, without sockets."""
    return sandbox.handle(Request.build(method, target, headers, body))


def basic_auth(client_id: str = "id", secret: str = "secret") -> dict[str, str]:
    """An HTTP Basic Authorization header."""
    token = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture(scope="session")
def data() -> Catalogue:
    """The default catalogue."""
    return catalogue()


@pytest.fixture(scope="session")
def server() -> Iterator[SandboxServer]:
    """One shared server without rate limits, for payload tests."""
    running = start(0, rate_scale=0)
    yield running
    running.stop()


@pytest.fixture
def make_server() -> Iterator[Callable[..., SandboxServer]]:
    """Start servers with specific settings; all stopped after the test."""
    started: list[SandboxServer] = []

    def make(**settings: Any) -> SandboxServer:
        started.append(start(0, **settings))
        return started[-1]

    yield make
    for running in started:
        running.stop()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A requests session with a meaningful User-Agent."""
    with requests.Session() as session:
        session.headers["User-Agent"] = USER_AGENT
        yield session


def spotify_token(session: requests.Session, base_url: str) -> str:
    """A Spotify access token from the sandbox's accounts endpoint."""
    response = session.post(
        f"{base_url}/spotify/accounts/api/token",
        data={"grant_type": "client_credentials"},
        auth=("id", "secret"),
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


@pytest.fixture
def spotify(server: SandboxServer, http: requests.Session) -> requests.Session:
    """A session already holding a valid Spotify Bearer token."""
    http.headers["Authorization"] = f"Bearer {spotify_token(http, server.url)}"
    return http


@pytest.fixture
def clock() -> FakeClock:
    """A fake monotonic clock."""
    return FakeClock()
