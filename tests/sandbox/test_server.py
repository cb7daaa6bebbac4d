"""The HTTP server and command line: env printing, argument errors, concurrency, routing."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from sandbox.server import SandboxServer, env_lines, main


def test_print_env_points_every_source_at_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "9123", "--print-env"]) == 0
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert lines["SPOTIFY_API_URL"] == "http://127.0.0.1:9123/spotify/v1"
    assert lines["SPOTIFY_AUTH_URL"] == "http://127.0.0.1:9123/spotify/accounts/api/token"
    assert lines["MUSICBRAINZ_API_URL"] == "http://127.0.0.1:9123/musicbrainz/ws/2"
    assert lines["DISCOGS_API_URL"] == "http://127.0.0.1:9123/discogs"
    assert lines["LASTFM_API_URL"] == "http://127.0.0.1:9123/lastfm/2.0/"
    assert lines["DEEZER_API_URL"] == "http://127.0.0.1:9123/deezer"
    assert lines["RECCOBEATS_API_URL"] == "http://127.0.0.1:9123/reccobeats/v1"
    for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "DISCOGS_TOKEN", "LASTFM_API_KEY"):
        assert lines[name]
    assert "@" in lines["MUSICBRAINZ_USER_AGENT"]


def test_env_lines_use_the_base_url_given() -> None:
    assert env_lines("http://sandbox:80/")[0] == "SPOTIFY_API_URL=http://sandbox:80/spotify/v1"


@pytest.mark.parametrize("argv", [["--faults", "down=napster"], ["--limits", "spotify=x"]])
def test_bad_arguments_exit_with_a_usage_error(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


def test_unknown_paths_list_the_prefixes(server: SandboxServer, http: requests.Session) -> None:
    response = http.get(f"{server.url}/napster/v1/tracks/1")
    assert response.status_code == 404 and response.json()["apis"]["deezer"] == "/deezer"


def test_serves_many_concurrent_clients(server: SandboxServer) -> None:
    def fetch(index: int) -> int:
        with requests.Session() as session:
            return sum(
                session.get(f"{server.url}/deezer/track/{index * 10 + n}").status_code
                for n in range(10)
            )

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert list(pool.map(fetch, range(32))) == [2000] * 32


def test_latency_delays_every_response(
    make_server: Callable[..., SandboxServer], http: requests.Session
) -> None:
    running = make_server(rate_scale=0, latency_ms=150)
    started = time.perf_counter()
    http.get(f"{running.url}/deezer/track/1")
    assert time.perf_counter() - started >= 0.15
