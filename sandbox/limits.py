"""Per-API rate limits: thread-safe token buckets and the --limits spec parser."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# Requests per second before --rate-scale, as the real services allow them.
DEFAULT_LIMITS: dict[str, float] = {
    "spotify": 3.0,
    "musicbrainz": 1.0,
    "discogs": 1.0,
    "lastfm": 5.0,
    "deezer": 10.0,
    "reccobeats": 5.0,
}
# The window each real service states its limit over (Spotify: rolling 30 s; Discogs: per
# minute; Deezer: 50 per 5 s); stats report the peak rate over it as well as over 1 s.
WINDOWS_S: dict[str, float] = {
    "spotify": 30.0,
    "musicbrainz": 1.0,
    "discogs": 60.0,
    "lastfm": 1.0,
    "deezer": 5.0,
    "reccobeats": 1.0,
}


@dataclass(frozen=True)
class Limit:
    """A configured limit: requests per second and an optional burst capacity."""

    rate: float
    burst: float | None = None


def parse_limits(spec: str | Mapping[str, float | Limit] | None) -> dict[str, Limit]:
    """Parse "spotify=3,musicbrainz=1:2" (rate[:burst]) into limits merged over the defaults."""
    limits = {api: Limit(rate) for api, rate in DEFAULT_LIMITS.items()}
    if spec is None:
        return limits
    items = spec.items() if isinstance(spec, Mapping) else _spec_items(spec)
    for api, value in items:
        if api not in DEFAULT_LIMITS:
            raise ValueError(f"unknown API {api!r} in limits; known: {', '.join(DEFAULT_LIMITS)}")
        limits[api] = value if isinstance(value, Limit) else _limit(str(value))
    return limits


def _spec_items(spec: str) -> list[tuple[str, str]]:
    items = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        api, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"limit {item!r} is not API=RATE[:BURST]")
        items.append((api.strip(), value.strip()))
    return items


def _limit(value: str) -> Limit:
    rate, _, burst = value.partition(":")
    try:
        parsed = Limit(float(rate), float(burst) if burst else None)
    except ValueError:
        raise ValueError(f"limit value {value!r} is not RATE[:BURST]") from None
    if parsed.rate < 0 or (parsed.burst is not None and parsed.burst < 1):
        raise ValueError(f"limit value {value!r}: rate must be >= 0 and burst >= 1")
    return parsed


class TokenBucket:
    """Classic token bucket: `rate` tokens per second up to `capacity`; one per request."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = capacity
        self.clock = clock
        self._tokens = capacity
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, float]:
        """Take a token: (True, 0) or (False, seconds until one is available)."""
        with self._lock:
            now = self.clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True, 0.0
            return False, (1.0 - self._tokens) / self.rate

    def refill(self) -> None:
        """Fill the bucket to capacity (used by /_sandbox/reset)."""
        with self._lock:
            self._tokens, self._updated = self.capacity, self.clock()


class RateLimiter:
    """One bucket per API at limit x rate_scale; scale 0 (or a 0 limit) disables it."""

    def __init__(
        self,
        limits: Mapping[str, Limit],
        rate_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = dict(limits)
        self.rate_scale = rate_scale
        self.buckets: dict[str, TokenBucket] = {}
        for api, limit in self.limits.items():
            rate = limit.rate * rate_scale
            if rate > 0:
                capacity = limit.burst if limit.burst is not None else max(1.0, rate)
                self.buckets[api] = TokenBucket(rate, capacity, clock)

    def check(self, api: str) -> tuple[bool, int]:
        """Whether a request may pass, and the Retry-After (whole seconds, >= 1) when not."""
        bucket = self.buckets.get(api)
        if bucket is None:
            return True, 0
        allowed, wait_s = bucket.take()
        return allowed, 0 if allowed else max(1, math.ceil(wait_s))

    def rate(self, api: str) -> float | None:
        """The enforced rate in requests per second, or None when unlimited."""
        bucket = self.buckets.get(api)
        return bucket.rate if bucket else None

    def describe(self, api: str) -> dict[str, float | None]:
        """Configured and enforced limit of an API, for the stats endpoint."""
        limit = self.limits.get(api)
        bucket = self.buckets.get(api)
        return {
            "configured_limit_per_s": limit.rate if limit else None,
            "enforced_limit_per_s": bucket.rate if bucket else None,
            "burst": bucket.capacity if bucket else None,
        }

    def reset(self) -> None:
        """Refill every bucket."""
        for bucket in self.buckets.values():
            bucket.refill()
