"""Fault injection: spec grammar, seeded decisions, effects, runtime switching."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests

from sandbox.app import Sandbox
from sandbox.faults import Faults, Storm, parse_faults, spec_from_json
from sandbox.server import SandboxServer
from tests.sandbox.conftest import FakeClock, call

SPEC = (
    "error_rate=0.05,error_rate=musicbrainz:0.5,storm=spotify:10:5,malformed=0.02,"
    "slow=0.01:2000,down=discogs,spotify_features_403,seed=9"
)


def test_full_spec_parses() -> None:
    spec = parse_faults(SPEC)
    assert spec.error_rate == {"*": 0.05, "musicbrainz": 0.5}
    assert spec.storms == (Storm("spotify", 10, 5),)
    assert spec.malformed == {"*": 0.02} and spec.slow == {"*": (0.01, 2000)}
    assert spec.down == {"discogs"} and spec.spotify_features_403 and spec.seed == 9
    assert parse_faults(spec.to_spec()) == spec


@pytest.mark.parametrize(
    "bad", ["error_rate=2", "down=napster", "storm=spotify:10", "slow=0.1", "explode", "seed=x"]
)
def test_bad_specs_are_rejected_with_a_reason(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_faults(bad)


def test_json_bodies_accept_a_spec_or_keys() -> None:
    assert spec_from_json({"spec": "down=deezer"}).down == {"deezer"}
    spec = spec_from_json({"down": ["deezer", "lastfm"], "spotify_features_403": True})
    assert spec.down == {"deezer", "lastfm"} and spec.spotify_features_403


def test_decisions_are_the_same_for_the_same_seed() -> None:
    spec = parse_faults("error_rate=0.3,malformed=0.2,seed=4")
    first, second = Faults(spec), Faults(spec)
    assert [first.decide("deezer") for _ in range(50)] == [
        second.decide("deezer") for _ in range(50)
    ]
    actions = {first.decide("deezer").action for _ in range(200)}
    assert actions == {"", "error", "malformed"}


def test_down_api_answers_500_and_others_still_work(clock: FakeClock) -> None:
    sandbox = Sandbox(clock=clock, faults="down=deezer", rate_scale=0)
    assert call(sandbox, "GET", "/deezer/track/1").status == 500
    assert call(sandbox, "GET", "/reccobeats/v1/audio-features?ids=x").status == 200
    assert sandbox.snapshot()["apis"]["deezer"]["faults_injected"] == {"down": 1}


def test_storm_rejects_only_inside_its_window(clock: FakeClock) -> None:
    sandbox = Sandbox(clock=clock, faults="storm=reccobeats:10:5", rate_scale=0)
    target = "/reccobeats/v1/audio-features?ids=x"
    assert call(sandbox, "GET", target).status == 200
    clock.advance(11)
    stormy = call(sandbox, "GET", target)
    assert stormy.status == 429 and stormy.headers["Retry-After"] == "4"
    clock.advance(5)
    assert call(sandbox, "GET", target).status == 200
    assert sandbox.snapshot()["apis"]["reccobeats"]["limit_violations"] == 0


def test_scoped_error_rate_and_malformed_bodies(clock: FakeClock) -> None:
    sandbox = Sandbox(
        clock=clock, faults="error_rate=deezer:1.0,malformed=reccobeats:1.0", rate_scale=0
    )
    assert call(sandbox, "GET", "/deezer/track/1").status in (500, 502, 503)
    bodies = [call(sandbox, "GET", "/reccobeats/v1/audio-features?ids=x") for _ in range(6)]
    assert all(b.status == 200 for b in bodies)
    for body in bodies:
        with pytest.raises(ValueError):
            json.loads(body.body)
    assert {b.headers["Content-Type"].split(";")[0] for b in bodies} == {
        "text/html",
        "application/json",
    }


def test_slow_responses_and_latency_add_delay(clock: FakeClock) -> None:
    sandbox = Sandbox(clock=clock, faults="slow=deezer:1.0:250", latency_ms=40, rate_scale=0)
    assert call(sandbox, "GET", "/deezer/track/1").delay_s == pytest.approx(0.29)


def test_features_403_simulates_a_post_2024_app(
    make_server: Callable[..., SandboxServer], http: requests.Session
) -> None:
    running = make_server(rate_scale=0, faults="spotify_features_403")
    token = http.post(
        f"{running.url}/spotify/accounts/api/token",
        data={"grant_type": "client_credentials"},
        auth=("id", "secret"),
    ).json()["access_token"]
    response = http.get(
        f"{running.url}/spotify/v1/audio-features?ids={'0' * 22}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403 and response.json()["error"]["status"] == 403


def test_faults_switch_at_runtime_without_restart(
    make_server: Callable[..., SandboxServer], http: requests.Session
) -> None:
    running = make_server(rate_scale=0)
    track = f"{running.url}/deezer/track/1"
    assert http.get(track).status_code == 200
    switched = http.post(f"{running.url}/_sandbox/faults", json={"spec": "down=deezer"})
    assert switched.json()["spec"] == "down=deezer"
    assert http.get(track).status_code == 500
    http.post(f"{running.url}/_sandbox/faults", json={"spec": ""})
    assert http.get(track).status_code == 200
    rejected = http.post(f"{running.url}/_sandbox/faults", json={"spec": "down=napster"})
    assert rejected.status_code == 400 and "napster" in rejected.json()["error"]
    assert http.get(f"{running.url}/_sandbox/faults").json()["spec"] == ""
