"""Point the sources at a sandbox running in this process (tests and benchmarks)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings

from enrichment.sources import breaker, cache
from sandbox import server

SOURCE_URL_VARIABLES = {
    "spotify": "SPOTIFY_API_URL",
    "musicbrainz": "MUSICBRAINZ_API_URL",
    "discogs": "DISCOGS_API_URL",
    "lastfm": "LASTFM_API_URL",
    "deezer": "DEEZER_API_URL",
    "reccobeats": "RECCOBEATS_API_URL",
}


def sandbox_settings(base_url: str, rate: float | None = None) -> dict[str, Any]:
    """Django settings that send every source to the sandbox, with its fake credentials."""
    lines = dict(line.split("=", 1) for line in server.env_lines(base_url))
    sources = {
        name: {**config, "api_url": lines[SOURCE_URL_VARIABLES[name]]}
        | ({"rate_limit": float(rate)} if rate else {})
        for name, config in settings.SOURCES.items()
    }
    return {
        "SOURCES": sources,
        "SPOTIFY_AUTH_URL": lines["SPOTIFY_AUTH_URL"],
        "SPOTIFY_CLIENT_ID": lines["SPOTIFY_CLIENT_ID"],
        "SPOTIFY_CLIENT_SECRET": lines["SPOTIFY_CLIENT_SECRET"],
        "DISCOGS_TOKEN": lines["DISCOGS_TOKEN"],
        "LASTFM_API_KEY": lines["LASTFM_API_KEY"],
        "MUSICBRAINZ_USER_AGENT": lines["MUSICBRAINZ_USER_AGENT"],
    }


@contextmanager
def running_sandbox(django_settings: Any, **options: Any) -> Iterator[Any]:
    """A sandbox in a background thread with every source pointed at it."""
    sandbox = server.start(0, **options)
    try:
        for name, value in sandbox_settings(sandbox.url, rate=1000).items():
            setattr(django_settings, name, value)
        cache.reset_caches()
        breaker._breakers.clear()
        yield sandbox
    finally:
        sandbox.stop()
        cache.reset_caches()
