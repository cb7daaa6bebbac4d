"""What every simulated API declares, and helpers they share: paging and error bodies."""

# Each sandbox/apis/<name>.py ends with one `SIMULATED = Simulated(...)`: its endpoints (URL
# prefix from the provider registry, handler, overload and failure answers, documented rate
# limit and window), how the catalogue decides a recording is known to it, and its hard cases.
# sandbox/apis/__init__.py collects them; nothing else in the sandbox names an API.

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from enrichment.sources import registry
from sandbox.base import Context, Request, Response, json_response
from sandbox.records import AudioFeatures, Recording, Release

# Whether a new recording is known to an API: may draw from the catalogue's random stream.
Presence = Callable[[random.Random, Release, AudioFeatures | None], bool]


@dataclass(frozen=True)
class Api:
    """One simulated endpoint family; `name` keys its stats and limit, `fault_scope` its faults."""

    name: str
    prefix: str
    handle: Callable[[Request, str, Context], Response]
    too_many: Callable[[int], Response]
    failure: Callable[[int], Response]
    fault_scope: str
    limit_per_s: float | None = None  # the documented rate; None: counted, never limited
    window_s: float = 1.0  # the window the upstream states its limit over
    headers: Callable[[Context], dict[str, str]] | None = None

    @property
    def rate_limited(self) -> bool:
        return self.limit_per_s is not None


class HardCase(NamedTuple):
    """A tag for recordings that exercise matching or a fallback, and who gets it."""

    description: str
    applies: Callable[[Recording], bool]


@dataclass(frozen=True)
class Simulated:
    """One upstream as the sandbox simulates it: endpoints, catalogue presence, hard cases.

    `position` orders the APIs everywhere (stats, listings) and, above all, the order in
    which the catalogue generator draws sampled presences: changing it changes every seed's
    catalogue.
    """

    name: str
    position: int
    apis: tuple[Api, ...]
    presence: Presence
    hard_cases: Mapping[str, HardCase] = field(default_factory=dict)


def always(rng: random.Random, release: Release, features: AudioFeatures | None) -> bool:
    """Every recording is known (draws nothing)."""
    return True


def sampled(share: float) -> Presence:
    """Known to a random `share` of recordings (one draw per recording)."""

    def presence(rng: random.Random, release: Release, features: AudioFeatures | None) -> bool:
        return rng.random() < share

    return presence


def sandbox_path(name: str, variable: str = "") -> str:
    """The path the registry points `variable` (default <NAME>_API_URL) at, as a prefix."""
    entry = registry.provider(name)
    return entry.sandbox_paths[variable or entry.api_url_variable].rstrip("/")


def issuer(id_field: str) -> str:
    """The API that issues the identifier a track keeps in column `id_field`."""
    return next(entry.name for entry in registry.APIS if entry.id_field == id_field)


def int_param(value: str, default: int, low: int, high: int) -> int | None:
    """Parse a numeric query parameter; None when it is not a number in [low, high]."""
    if value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        return None
    return number if low <= number <= high else None


def html_error_page(status: int = 502) -> bytes:
    """The kind of HTML a proxy sends when the service behind it fails."""
    return (
        f"<html><head><title>{status} Bad Gateway</title></head><body>"
        f"<center><h1>{status} Bad Gateway</h1></center><hr><center>nginx</center>"
        "</body></html>"
    ).encode()


def malformed(response: Response, html: bool) -> Response:
    """A 200 whose body cannot be parsed: an HTML error page or the JSON cut in half."""
    if html:
        return Response(200, html_error_page(), {"Content-Type": "text/html"}, response.delay_s)
    cut = response.body[: max(1, len(response.body) // 2)]
    return Response(200, cut, dict(response.headers), response.delay_s)


def method_not_allowed() -> Response:
    """405 for a method the simulated endpoint does not serve."""
    return json_response(405, {"error": {"status": 405, "message": "Method not allowed"}})
