"""Fault injection: the --faults spec grammar and per-request, seeded fault decisions."""

# Grammar (items separated by commas; API is one of the simulated APIs, omitted = all):
#     error_rate=[API:]RATE        random 500/502/503 for a fraction RATE of requests
#     malformed=[API:]RATE         HTTP 200 whose body is truncated JSON or an HTML error page
#     slow=[API:]RATE:MS           delay a fraction RATE of responses by MS milliseconds
#     storm=API:START_S:DURATION_S 429-style rejections (with Retry-After) in that time span
#     down=API[+API...]            every request to that API answers 500
#     spotify_features_403         Spotify audio-features answer 403 (apps made after 2024-11-27)
#     seed=INT                     seed of the per-API random streams (default 0)
# Times count from when the faults were set (server start or POST /_sandbox/faults).

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox import apis

# The fault scopes: one per simulated upstream (an accounts service shares its API's).
APIS = tuple(dict.fromkeys(api.fault_scope for api in apis.APIS))
ALL = "*"


@dataclass(frozen=True)
class Storm:
    """A span of seconds during which one API rejects every request as rate limited."""

    api: str
    start_s: float
    duration_s: float


@dataclass(frozen=True)
class FaultSpec:
    """Parsed faults; rate tables are keyed by API name or "*" for all APIs."""

    error_rate: dict[str, float] = field(default_factory=dict)
    malformed: dict[str, float] = field(default_factory=dict)
    slow: dict[str, tuple[float, int]] = field(default_factory=dict)
    storms: tuple[Storm, ...] = ()
    down: frozenset[str] = frozenset()
    spotify_features_403: bool = False
    seed: int = 0

    def to_spec(self) -> str:
        """The canonical spec string (parse_faults(spec.to_spec()) == spec)."""
        items = [f"error_rate={_scoped(a)}{r}" for a, r in sorted(self.error_rate.items())]
        items += [f"malformed={_scoped(a)}{r}" for a, r in sorted(self.malformed.items())]
        items += [f"slow={_scoped(a)}{r}:{ms}" for a, (r, ms) in sorted(self.slow.items())]
        items += [f"storm={s.api}:{s.start_s:g}:{s.duration_s:g}" for s in self.storms]
        items += [f"down={api}" for api in sorted(self.down)]
        items += ["spotify_features_403"] if self.spotify_features_403 else []
        items += [f"seed={self.seed}"] if self.seed else []
        return ",".join(items)


def _scoped(api: str) -> str:
    return "" if api == ALL else f"{api}:"


def _api(name: str) -> str:
    if name not in APIS:
        raise ValueError(f"unknown API {name!r} in faults; known: {', '.join(APIS)}")
    return name


def _rate(text: str, item: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"fault {item!r}: {text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"fault {item!r}: rate must be between 0 and 1")
    return value


def _scope(parts: list[str], needed: int) -> tuple[str, list[str]]:
    """Split an optional leading API name off `parts`, which must leave `needed` values."""
    if len(parts) == needed + 1:
        return _api(parts[0]), parts[1:]
    if len(parts) != needed:
        raise ValueError(f"expected {needed} value(s) after an optional API in {':'.join(parts)!r}")
    return ALL, parts


def parse_faults(spec: str | Iterable[str] | None) -> FaultSpec:
    """Parse a faults spec (see the module docstring); raises ValueError with the reason."""
    items = spec.split(",") if isinstance(spec, str) else list(spec or [])
    tables: dict[str, Any] = {"error_rate": {}, "malformed": {}, "slow": {}}
    storms: list[Storm] = []
    down: set[str] = set()
    flags = {"spotify_features_403": False, "seed": 0}
    for item in (i.strip() for i in items):
        if not item:
            continue
        name, _, value = item.partition("=")
        parts = value.split(":")
        if name in ("error_rate", "malformed"):
            api, (rate,) = _scope(parts, 1)
            tables[name][api] = _rate(rate, item)
        elif name == "slow":
            api, (rate, ms) = _scope(parts, 2)
            tables["slow"][api] = (_rate(rate, item), _int(ms, item))
        elif name == "storm" and len(parts) == 3:
            storms.append(Storm(_api(parts[0]), _int(parts[1], item), _int(parts[2], item)))
        elif name == "down" and value:
            down |= {_api(a) for a in value.split("+")}
        elif name == "spotify_features_403" and value in ("", "1", "true", "yes"):
            flags["spotify_features_403"] = True
        elif name == "seed" and value:
            flags["seed"] = _int(value, item)
        else:
            raise ValueError(f"unknown or malformed fault {item!r}")
    return FaultSpec(
        tables["error_rate"], tables["malformed"], tables["slow"], tuple(storms),
        frozenset(down), bool(flags["spotify_features_403"]), int(flags["seed"]),
    )  # fmt: skip


def _int(text: str, item: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"fault {item!r}: {text!r} is not a whole number") from None


def spec_from_json(payload: Any) -> FaultSpec:
    """Faults from a JSON body: {"spec": "down=API"} or {"down": "API", ...}."""
    if not isinstance(payload, dict):
        raise ValueError(f'faults body must be a JSON object such as {{"spec": "down={APIS[-1]}"}}')
    if "spec" in payload:
        return parse_faults(str(payload["spec"] or ""))
    items: list[str] = []
    for key, value in payload.items():
        values = value if isinstance(value, list) else [value]
        for one in values:
            if one is True:
                items.append(key)
            elif one not in (False, None):
                items.append(f"{key}={one}")
    return parse_faults(items)


@dataclass(frozen=True)
class Decision:
    """What to do to one request: "" (nothing), "down", "storm", "error" or "malformed"."""

    action: str = ""
    status: int = 0
    retry_after: int = 0
    delay_s: float = 0.0
    html: bool = False


class Faults:
    """The active fault spec, replaceable at runtime; decisions are seeded per API."""

    def __init__(self, spec: FaultSpec | None = None, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._lock = threading.Lock()
        self.replace(spec or FaultSpec())

    def replace(self, spec: FaultSpec) -> None:
        """Install new faults, restarting storm clocks and random streams."""
        with self._lock:
            self.spec = spec
            self.epoch = self.clock()
            # String seeds are hashed deterministically (not by PYTHONHASHSEED).
            self._streams = {api: random.Random(f"{spec.seed}:{api}") for api in APIS}

    def decide(self, api: str) -> Decision:
        """The fault for the next request to `api` (the n-th request always gets the same)."""
        spec, elapsed = self.spec, self.clock() - self.epoch
        with self._lock:
            error_roll, malformed_roll, slow_roll, pick = (
                self._streams[api].random() for _ in "1234"
            )
        slow_rate, slow_ms = spec.slow.get(api, spec.slow.get(ALL, (0.0, 0)))
        delay_s = slow_ms / 1000.0 if slow_roll < slow_rate else 0.0
        if api in spec.down:
            return Decision("down", 500, delay_s=delay_s)
        for storm in spec.storms:
            if storm.api == api and storm.start_s <= elapsed < storm.start_s + storm.duration_s:
                left = math.ceil(storm.start_s + storm.duration_s - elapsed)
                return Decision("storm", 429, retry_after=max(1, left), delay_s=delay_s)
        if error_roll < spec.error_rate.get(api, spec.error_rate.get(ALL, 0.0)):
            return Decision("error", (500, 502, 503)[int(pick * 3)], delay_s=delay_s)
        if malformed_roll < spec.malformed.get(api, spec.malformed.get(ALL, 0.0)):
            return Decision("malformed", 200, delay_s=delay_s, html=pick < 0.5)
        return Decision(delay_s=delay_s)

    def describe(self) -> dict[str, Any]:
        """The active spec and its age, for GET /_sandbox/faults."""
        return {
            "spec": self.spec.to_spec(),
            "since_s": round(self.clock() - self.epoch, 3),
            "spotify_features_403": self.spec.spotify_features_403,
        }
