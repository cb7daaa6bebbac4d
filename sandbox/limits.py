"""Per-API rate limits enforced with pyrate-limiter, and the --limits spec parser."""

# An API's documented limit is a number of requests over its own window (Deezer 50 per 5 s,
# Discogs 60 per minute, Spotify's rolling 30 s window): a sliding-window log of that many
# requests over that window. `--limits api=RATE:BURST` asks for a token bucket instead (RATE
# per second, BURST requests at once): the benchmarks' strict check of a client's pacing.
# Acquiring never blocks: a request beyond the limit is answered as overloaded at once.

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pyrate_limiter import (
    AbstractBucket,
    AbstractClock,
    InMemoryBucket,
    Limiter,
    Rate,
    RateItem,
    SingleBucketFactory,
    StateBucket,
)
from pyrate_limiter import TokenBucket as TokenBucketAlgorithm

from sandbox.apis import APIS

# Requests per second before --rate-scale, as the real services allow them.
DEFAULT_LIMITS: dict[str, float] = {
    api.name: api.limit_per_s for api in APIS if api.limit_per_s is not None
}
# The window each real service states its limit over; stats report the peak rate over it too.
WINDOWS_S: dict[str, float] = {api.name: api.window_s for api in APIS}


@dataclass(frozen=True)
class Limit:
    """A configured limit: requests per second and an optional burst capacity."""

    rate: float
    burst: float | None = None


def parse_limits(spec: str | Mapping[str, float | Limit] | None) -> dict[str, Limit]:
    """Parse "API=RATE[:BURST],..." (e.g. "x=3,y=1:2") into limits merged over the defaults."""
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


_KEY = "request"  # the item name; one bucket per API, so one key suffices


class _Milliseconds(AbstractClock):
    """pyrate-limiter's clock (integer ms) read from the sandbox's clock (float seconds)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock

    def now(self) -> int:
        return math.floor(self.clock() * 1000)


class _WindowLog(InMemoryBucket):
    """The in-memory sliding-window log, on the sandbox's clock."""

    def __init__(self, rate: Rate, clock: _Milliseconds) -> None:
        super().__init__([rate])
        self._sandbox_clock = clock

    def now(self) -> int:
        return self._sandbox_clock.now()


class _Enforced:
    """One API's limit: a pyrate-limiter Limiter over one bucket, acquired without blocking."""

    rate: float  # average requests per second
    capacity: float  # requests admitted at once

    def __init__(self, bucket: AbstractBucket) -> None:
        self._bucket = bucket
        self._limiter = Limiter(SingleBucketFactory(bucket, schedule_leak=False))
        # The verdict and its wait are read in two calls; no other request may come between.
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, float]:
        """Admit one request: (True, 0) or (False, seconds until one would be admitted)."""
        with self._lock:
            self._bucket.leak(self._bucket.now())  # forget requests older than the window
            if self._limiter.try_acquire(_KEY, blocking=False):
                return True, 0.0
            wait_ms = self._bucket.waiting(RateItem(_KEY, self._bucket.now()))
        assert isinstance(wait_ms, int)
        return False, max(0, wait_ms) / 1000.0

    def refill(self) -> None:
        """Forget every admitted request (used by /_sandbox/reset)."""
        with self._lock:
            self._bucket.flush()


class SlidingWindow(_Enforced):
    """At most `capacity` requests in any `window_s` seconds (how the upstreams count)."""

    def __init__(self, rate: float, window_s: float, clock: Callable[[], float]) -> None:
        self.capacity = float(max(1, math.floor(rate * window_s + 1e-9)))
        self.rate = rate
        self.window_s = self.capacity / rate  # a limit below one per window stretches it
        # pyrate-limiter's window includes its lower bound; one millisecond less makes a
        # request exactly one window after another pass, as the stats count windows.
        interval_ms = max(1, round(self.window_s * 1000) - 1)
        super().__init__(_WindowLog(Rate(int(self.capacity), interval_ms), _Milliseconds(clock)))


class TokenBucket(_Enforced):
    """Token bucket: `rate` tokens per second up to `capacity` (whole requests); one each."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = float(max(1, math.floor(capacity)))
        # Tokens per 1000 s keeps sub-1/s rates whole; the emission interval is then exact
        # to the microsecond.
        per_kilosecond = Rate(max(1, round(rate * 1000)), 1_000_000, burst=int(self.capacity))
        algorithm = TokenBucketAlgorithm()
        super().__init__(StateBucket([per_kilosecond], algorithm, clock=_Milliseconds(clock)))

    @property
    def window_s(self) -> None:
        return None


class RateLimiter:
    """One limit per API at limit x rate_scale; scale 0 (or a 0 limit) disables it."""

    def __init__(
        self,
        limits: Mapping[str, Limit],
        rate_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = dict(limits)
        self.rate_scale = rate_scale
        self.buckets: dict[str, SlidingWindow | TokenBucket] = {}
        for api, limit in self.limits.items():
            rate = limit.rate * rate_scale
            if rate <= 0:
                continue
            if limit.burst is None:
                self.buckets[api] = SlidingWindow(rate, WINDOWS_S.get(api, 1.0), clock)
            else:
                self.buckets[api] = TokenBucket(rate, limit.burst, clock)

    def check(self, api: str) -> tuple[bool, int]:
        """Whether a request may pass, and the Retry-After (whole seconds, >= 1) when not."""
        bucket = self.buckets.get(api)
        if bucket is None:
            return True, 0
        allowed, wait_s = bucket.take()
        return allowed, 0 if allowed else max(1, math.ceil(wait_s - 1e-9))

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
            "enforced_window_s": bucket.window_s if bucket else None,
        }

    def reset(self) -> None:
        """Forget every admitted request."""
        for bucket in self.buckets.values():
            bucket.refill()
