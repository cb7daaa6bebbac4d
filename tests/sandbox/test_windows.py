"""Each upstream's own window (Deezer 50 per 5 s, Discogs 60 per minute, Spotify's rolling 30 s)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from sandbox.app import Sandbox
from sandbox.catalogue import Catalogue
from sandbox.limits import RateLimiter, SlidingWindow, parse_limits
from tests.sandbox.conftest import FakeClock, basic_auth, call

QUOTA = '"code":4'


def _deezer_track(data: Catalogue) -> str:
    return f"/deezer/track/{next(r for r in data.recordings if r.on('deezer')).deezer_id}"


def test_deezer_answers_its_51st_request_within_5_s_with_error_4(
    clock: FakeClock, data: Catalogue
) -> None:
    sandbox, target = Sandbox(clock=clock), _deezer_track(data)
    answers = []
    for _ in range(50):  # spread over 4.9 s: more than 10 in some seconds, 50 in the window
        answers.append(call(sandbox, "GET", target))
        clock.advance(0.098)
    assert all(a.status == 200 and QUOTA not in a.body.decode() for a in answers)
    assert QUOTA in call(sandbox, "GET", target).body.decode()
    stats = sandbox.snapshot()["apis"]["deezer"]
    assert stats["limit_violations"] == 1 and stats["burst"] == 50.0
    assert stats["enforced_window_s"] == 5.0


def test_deezer_admits_again_once_the_first_request_leaves_the_window(
    clock: FakeClock, data: Catalogue
) -> None:
    sandbox, target = Sandbox(clock=clock), _deezer_track(data)
    for _ in range(50):
        call(sandbox, "GET", target)
    clock.advance(4.999)
    assert QUOTA in call(sandbox, "GET", target).body.decode()
    clock.advance(0.001)  # exactly 5 s after the first fifty
    assert QUOTA not in call(sandbox, "GET", target).body.decode()
    assert sandbox.snapshot()["apis"]["deezer"]["limit_violations"] == 1


def test_discogs_allows_sixty_requests_in_a_minute_then_429(clock: FakeClock) -> None:
    sandbox, target = Sandbox(clock=clock), "/discogs/database/search?q=x&token=t"
    assert [call(sandbox, "GET", target).status for _ in range(60)] == [200] * 60
    rejected = call(sandbox, "GET", target)
    assert rejected.status == 429 and rejected.headers["X-Discogs-Ratelimit"] == "60"
    clock.advance(60.0)
    assert call(sandbox, "GET", target).status == 200


def test_spotify_rolls_its_30_s_window_and_says_when_room_returns(clock: FakeClock) -> None:
    sandbox = Sandbox(clock=clock)
    token = call(
        sandbox, "POST", "/spotify/accounts/api/token", basic_auth(),
        b"grant_type=client_credentials",
    ).json()["access_token"]  # fmt: skip
    bearer, target = {"Authorization": f"Bearer {token}"}, f"/spotify/v1/tracks/{'0' * 22}"
    for _ in range(90):  # 90 = 3/s x 30 s, sent over 18 s
        assert call(sandbox, "GET", target, bearer).status == 404
        clock.advance(0.2)
    rejected = call(sandbox, "GET", target, bearer)
    assert rejected.status == 429 and rejected.headers["Retry-After"] == "12"
    clock.advance(12.0)
    assert call(sandbox, "GET", target, bearer).status == 404
    assert sandbox.snapshot()["apis"]["spotify"]["limit_violations"] == 1


def test_a_rate_below_one_per_window_stretches_the_window(clock: FakeClock) -> None:
    window = SlidingWindow(rate=0.5, window_s=1.0, clock=clock)
    assert window.capacity == 1.0 and window.window_s == 2.0
    assert window.take() == (True, 0.0) and window.take() == (False, 2.0)
    clock.advance(2.0)
    assert window.take() == (True, 0.0)


def test_rate_scale_multiplies_the_requests_each_window_admits(clock: FakeClock) -> None:
    limiter = RateLimiter(parse_limits(None), 2.0, clock)
    assert limiter.describe("deezer") == {
        "configured_limit_per_s": 10.0,
        "enforced_limit_per_s": 20.0,
        "burst": 100.0,
        "enforced_window_s": 5.0,
    }
    assert sum(limiter.check("deezer")[0] for _ in range(101)) == 100


def test_reset_forgets_the_requests_in_every_window(clock: FakeClock) -> None:
    limiter = RateLimiter(parse_limits(None), 1.0, clock)
    assert [limiter.check("discogs")[0] for _ in range(61)][-1] is False
    limiter.reset()
    assert limiter.check("discogs") == (True, 0)


def test_a_full_window_never_makes_the_request_wait(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"the limiter slept {seconds} s")

    monkeypatch.setattr("pyrate_limiter.limiter.sleep", no_sleep)
    limiter = RateLimiter(parse_limits("musicbrainz=1"), 1.0, clock)
    assert [limiter.check("musicbrainz") for _ in range(3)] == [(True, 0), (False, 1), (False, 1)]


def test_concurrent_requests_never_overfill_a_window(clock: FakeClock) -> None:
    limiter = RateLimiter(parse_limits(None), 1.0, clock)
    with ThreadPoolExecutor(max_workers=8) as pool:
        admitted = list(pool.map(lambda _: limiter.check("deezer")[0], range(400)))
    assert sum(admitted) == 50
