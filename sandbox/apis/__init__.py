"""Registry of the simulated APIs: URL prefix, handler and how each answers overload/failure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sandbox.apis import deezer, discogs, lastfm, musicbrainz, reccobeats, spotify
from sandbox.base import Context, Request, Response


@dataclass(frozen=True)
class Api:
    """One simulated API; `name` keys its stats and limit, `fault_scope` its faults."""

    name: str
    prefix: str
    handle: Callable[[Request, str, Context], Response]
    too_many: Callable[[int], Response]
    failure: Callable[[int], Response]
    fault_scope: str
    rate_limited: bool = True
    headers: Callable[[Context], dict[str, str]] | None = None


APIS = (
    # The accounts service has its own limits upstream; here it is counted but not limited.
    Api(
        "spotify_accounts", "/spotify/accounts/api/token", spotify.handle_token,
        spotify.token_too_many, spotify.token_failure, "spotify", rate_limited=False,
    ),
    Api("spotify", "/spotify/v1", spotify.handle, spotify.too_many, spotify.failure, "spotify"),
    Api(
        "musicbrainz", "/musicbrainz/ws/2", musicbrainz.handle, musicbrainz.too_many,
        musicbrainz.failure, "musicbrainz",
    ),
    Api(
        "discogs", "/discogs", discogs.handle, discogs.too_many, discogs.failure, "discogs",
        headers=discogs.rate_headers,
    ),
    Api("lastfm", "/lastfm/2.0", lastfm.handle, lastfm.too_many, lastfm.failure, "lastfm"),
    Api("deezer", "/deezer", deezer.handle, deezer.too_many, deezer.failure, "deezer"),
    Api(
        "reccobeats", "/reccobeats/v1", reccobeats.handle, reccobeats.too_many,
        reccobeats.failure, "reccobeats",
    ),
)  # fmt: skip


def route(path: str) -> tuple[Api, str] | None:
    """The API serving `path` and the rest of the path after its prefix."""
    for api in APIS:
        if path == api.prefix or path.startswith(api.prefix + "/"):
            return api, path[len(api.prefix) :]
    return None
