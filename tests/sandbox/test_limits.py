"""Rate limits: token buckets per API, answered the way each real API answers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from sandbox.app import Sandbox
from sandbox.limits import DEFAULT_LIMITS, Limit, RateLimiter, TokenBucket, parse_limits
from sandbox.server import SandboxServer
from tests.sandbox.conftest import FakeClock, call, spotify_token

UA = {"User-Agent": "SongNodesTests/1.0 ( tests@example.org )"}


def test_limits_spec_overrides_defaults_with_optional_burst() -> None:
    limits = parse_limits("spotify=6, musicbrainz=2:4")
    assert limits["spotify"] == Limit(6.0) and limits["musicbrainz"] == Limit(2.0, 4.0)
    assert limits["deezer"] == Limit(DEFAULT_LIMITS["deezer"])


@pytest.mark.parametrize(
    "spec", ["napster=3", "spotify", "spotify=fast", "spotify=-1", "spotify=1:0"]
)
def test_bad_limits_specs_are_rejected(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_limits(spec)


def test_bucket_allows_a_burst_then_one_request_per_token(clock: FakeClock) -> None:
    bucket = TokenBucket(rate=2.0, capacity=2.0, clock=clock)
    assert [bucket.take()[0] for _ in range(3)] == [True, True, False]
    assert bucket.take()[1] == pytest.approx(0.5)
    clock.advance(0.5)
    assert bucket.take()[0] is True


def test_rate_scale_multiplies_limits_and_zero_disables_them(clock: FakeClock) -> None:
    limits = parse_limits(None)
    assert RateLimiter(limits, 2.0, clock).rate("spotify") == 6.0
    unlimited = RateLimiter(limits, 0.0, clock)
    assert all(unlimited.check("musicbrainz")[0] for _ in range(100))


def test_musicbrainz_answers_503_and_counts_the_violation(clock: FakeClock) -> None:
    sandbox = Sandbox(clock=clock)
    target = "/musicbrainz/ws/2/recording?query=isrc:GBAAA0000001&fmt=json"
    assert call(sandbox, "GET", target, UA).status == 200
    rejected = call(sandbox, "GET", target, UA)
    assert rejected.status == 503 and rejected.headers["Retry-After"] == "1"
    assert "rate limit" in rejected.json()["error"]
    clock.advance(1.0)
    assert call(sandbox, "GET", target, UA).status == 200
    stats = sandbox.snapshot()["apis"]["musicbrainz"]
    assert stats["limit_violations"] == 1 and stats["responses"] == {"200": 2, "503": 1}


@pytest.mark.parametrize(
    ("target", "status", "marker"),
    [
        ("/discogs/database/search?q=x&token=t", 429, "too quickly"),
        ("/lastfm/2.0/?method=track.getInfo&api_key=k&artist=a&track=b", 429, "29"),
        ("/deezer/track/1", 200, '"code":4'),
        ("/reccobeats/v1/audio-features?ids=x", 429, "Too Many"),
    ],
)
def test_each_api_answers_overload_its_own_way(
    clock: FakeClock, target: str, status: int, marker: str
) -> None:
    # One request at once for each (a rate alone would allow the API's own window of them).
    sandbox = Sandbox(clock=clock, limits="discogs=1:1,lastfm=1:1,deezer=1:1,reccobeats=1:1")
    call(sandbox, "GET", target)
    rejected = call(sandbox, "GET", target)
    assert rejected.status == status and marker in rejected.body.decode()
    assert sum(s["limit_violations"] for s in sandbox.snapshot()["apis"].values()) == 1


def test_spotify_burst_gets_429_with_retry_after(
    make_server: Callable[..., SandboxServer], http: requests.Session
) -> None:
    running = make_server(limits="spotify=3:3")
    http.headers["Authorization"] = f"Bearer {spotify_token(http, running.url)}"
    statuses = [http.get(f"{running.url}/spotify/v1/tracks/{'0' * 22}") for _ in range(6)]
    rejected = [r for r in statuses if r.status_code == 429]
    assert 2 <= len(rejected) <= 3  # a 3-token burst, plus at most one refill while sending
    assert int(rejected[0].headers["Retry-After"]) >= 1
    assert rejected[0].json() == {"error": {"status": 429, "message": "API rate limit exceeded"}}
    stats = http.get(f"{running.url}/_sandbox/stats").json()["apis"]["spotify"]
    assert stats["limit_violations"] == len(rejected) and stats["requests"] == 6
    assert stats["configured_limit_per_s"] == 3.0 and stats["burst"] == 3.0


def test_rate_scale_raises_the_enforced_limit(clock: FakeClock) -> None:
    sandbox = Sandbox(clock=clock, rate_scale=3.0)
    target = "/musicbrainz/ws/2/recording?query=isrc:GBAAA0000001&fmt=json"
    assert [call(sandbox, "GET", target, UA).status for _ in range(4)] == [200, 200, 200, 503]
    assert sandbox.snapshot()["apis"]["musicbrainz"]["enforced_limit_per_s"] == 3.0
