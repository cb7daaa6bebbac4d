"""The stats endpoint: per-API counts, violations, peak observed rates, reset."""

from __future__ import annotations

from collections.abc import Callable

import requests

from sandbox.app import Sandbox
from sandbox.server import SandboxServer
from sandbox.stats import Stats
from tests.sandbox.conftest import FakeClock, call


def test_peaks_count_the_busiest_second_and_window(clock: FakeClock) -> None:
    stats = Stats({"deezer": 5.0}, clock)
    for _ in range(3):
        stats.arrive("deezer")
        clock.advance(0.1)
    clock.advance(2.0)
    for _ in range(2):
        stats.arrive("deezer")
    snapshot = stats.snapshot(lambda api: {})["apis"]["deezer"]
    assert snapshot["requests"] == 5 and snapshot["peak_rate_1s"] == 3
    assert snapshot["peak_requests_in_window"] == 5 and snapshot["peak_rate_window"] == 1.0


def test_snapshot_lists_every_api_with_its_limit(clock: FakeClock) -> None:
    sandbox = Sandbox(clock=clock, limits="deezer=2")
    call(sandbox, "GET", "/deezer/track/1")
    snapshot = sandbox.snapshot()
    assert set(snapshot["apis"]) == {
        "spotify_accounts", "spotify", "musicbrainz", "discogs", "lastfm", "deezer", "reccobeats",
        "tidal_auth", "tidal",
    }  # fmt: skip
    deezer = snapshot["apis"]["deezer"]
    assert deezer["responses"] == {"200": 1} and deezer["configured_limit_per_s"] == 2.0
    assert snapshot["uptime_s"] >= 0 and snapshot["config"]["catalogue_size"] == 3000


def test_reset_clears_counters_over_http(
    make_server: Callable[..., SandboxServer], http: requests.Session
) -> None:
    running = make_server(rate_scale=0)
    http.get(f"{running.url}/deezer/track/1")
    stats = http.get(f"{running.url}/_sandbox/stats").json()
    assert stats["apis"]["deezer"]["requests"] == 1
    assert http.post(f"{running.url}/_sandbox/reset").json() == {"reset": True}
    assert http.get(f"{running.url}/_sandbox/stats").json()["apis"]["deezer"]["requests"] == 0
