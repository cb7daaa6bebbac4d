"""Environment variables read as typed values: one parser per kind, unreadable values recorded.

Settings read every variable through one `Environment`. A value that cannot be read (a
misspelt boolean, a number with a unit, a number outside the bounds declared with its read, a
throttle rate or cron schedule their libraries would refuse) falls back to the default and is
kept in `invalid`, which the system checks report with the variable's name and what it must be
(songnodes.E008, E001 for rates) instead of a stack trace at start-up, a failure in every job
or a silent default.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from croniter import croniter
from dotenv import dotenv_values

T = TypeVar("T")
Number = TypeVar("Number", int, float)

# What each kind of variable must be, as the system checks' messages say it.
KINDS = {
    "string": "a string",
    "boolean": "a boolean (true/false, yes/no, on/off, 1/0)",
    "integer": "a whole number",
    "number": "a number",
    "rate": "a positive number of requests per second",
    "list": "a comma-separated list",
    "path": "a path",
    "throttle": "a request rate such as 60/minute (a positive whole number per second, "
    "minute, hour or day)",
    "cron": "a cron schedule such as '*/5 * * * *' (5 columns, or 6 with seconds last)",
    "url": "an http:// or https:// URL",
    "networks": "a comma-separated list of networks in CIDR notation (e.g. 172.28.0.0/16)",
    "bpm_range": "a tempo range such as 78-155 (low-high, 0 < low < high < 1000)",
}
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
# The periods DRF's throttles understand (it reads the first letter only; we are stricter).
_THROTTLE = re.compile(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)s?")


@dataclass(frozen=True)
class Bounds:
    """The range a number must lie in (None leaves that side open)."""

    minimum: float | None = None  # at least this
    above: float | None = None  # strictly more than this
    maximum: float | None = None  # at most this

    def admit(self, value: float) -> bool:
        """Is the value inside?"""
        return not (
            (self.minimum is not None and value < self.minimum)
            or (self.above is not None and value <= self.above)
            or (self.maximum is not None and value > self.maximum)
        )

    def describe(self) -> str:
        """The range in words: 'of at least 1', 'above 0 and at most 3600', 'from 0 to 65535'."""
        low, high, above = self.minimum, self.maximum, self.above
        if low is not None and high is not None:
            return f"from {shown(low)} to {shown(high)}"
        parts = []
        if low is not None:
            parts.append(f"of at least {shown(low)}")
        if above is not None:
            parts.append(f"above {shown(above)}")
        if high is not None:
            parts.append(f"{'and ' if parts else 'of '}at most {shown(high)}")
        return " ".join(parts)


def shown(number: float) -> str:
    """A bound as people write it: 1000000, not 1e+06; 0.5 stays 0.5."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


# More than this many requests per second is no limit at all (and 1e308 breaks the limiter).
RATE_MAXIMUM = 1_000_000
RATE_BOUNDS = Bounds(above=0, maximum=RATE_MAXIMUM)


def expected(kind: str, bounds: Bounds | None = None) -> str:
    """What a variable of this kind (and bounds) must be, as messages say it."""
    text = KINDS.get(kind, "a number")
    return f"{text} {bounds.describe()}" if bounds else text


def process_environment(base_dir: Path) -> dict[str, str]:
    """This process's variables over those of `base_dir/.env` (read, not copied to os.environ)."""
    from_file = {k: v for k, v in dotenv_values(base_dir / ".env").items() if v is not None}
    return {**from_file, **os.environ}


def parse_boolean(text: str) -> bool:
    """True/false from the usual spellings; ValueError for anything else."""
    word = text.lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise ValueError(text)


def parse_number(text: str) -> float:
    """A finite decimal number; ValueError for anything else (nan, inf, "fast")."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def parse_rate(text: str) -> float:
    """A finite positive number up to RATE_MAXIMUM; ValueError otherwise (0, -1, nan, 1e308)."""
    rate = parse_number(text)
    if not RATE_BOUNDS.admit(rate):
        raise ValueError(text)
    return rate


def parse_throttle(text: str) -> str:
    """A DRF throttle rate, "N/period"; ValueError for anything DRF would fail on per request."""
    rate = text.replace(" ", "").lower()
    if not _THROTTLE.fullmatch(rate):
        raise ValueError(text)
    return rate


def parse_cron(text: str) -> str:
    """A cron schedule Procrastinate's periodic tasks accept (it builds a croniter of it)."""
    try:
        croniter(text).get_next(float)
    except (KeyError, IndexError, TypeError, OverflowError) as error:
        raise ValueError(text) from error  # croniter's own errors are ValueErrors
    return text


def parse_url(text: str) -> str:
    """An http(s) URL with a host (a bare host or a typo would fail every request)."""
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(text)
    return text


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# More networks than this is a mistake (a pasted address list), not a configuration.
MAX_NETWORKS = 100


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs (a bare address is a /32 or /128); ValueError for anything else."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if len(items) > MAX_NETWORKS:
        raise ValueError(text)
    return tuple(ipaddress.ip_network(item, strict=True) for item in items)


def parse_bpm_range(text: str) -> tuple[float, float]:
    """A range such as "78-155" as (78.0, 155.0): two finite numbers, 0 < low < high < 1000."""
    low_text, separator, high_text = text.partition("-")
    if not separator:
        raise ValueError(text)
    low, high = parse_number(low_text.strip()), parse_number(high_text.strip())
    if not 0 < low < high < 1000:
        raise ValueError(text)
    return low, high


def bounded(parse: Callable[[str], Number], bounds: Bounds) -> Callable[[str], Number]:
    """`parse`, refusing values outside `bounds`."""

    def parse_bounded(text: str) -> Number:
        value = parse(text)
        if not bounds.admit(value):
            raise ValueError(text)
        return value

    return parse_bounded


class Environment:
    """Typed reads of a set of variables; an empty variable means its default."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values
        # Every variable read, with its kind (a key of KINDS), and those that could not be.
        self.kinds: dict[str, str] = {}
        self.invalid: dict[str, str] = {}
        # The default of every variable read (the documentation's defaults are checked on it).
        self.defaults: dict[str, object] = {}
        # The bounds declared for a number (its value must lie inside, or it is invalid).
        self.bounds: dict[str, Bounds] = {}

    def _read(self, name: str, kind: str, parse: Callable[[str], T], default: T) -> T:
        self.kinds[name] = kind
        self.defaults[name] = default
        text = self._values.get(name, "").strip()
        if not text:
            return default
        try:
            return parse(text)
        except ValueError:
            self.invalid[name] = text
            return default

    def given(self, name: str) -> bool:
        """Whether the variable is set to something (an empty one means its default)."""
        return bool(self._values.get(name, "").strip())

    def string(self, name: str, default: str = "") -> str:
        """The trimmed text of a variable."""
        return self._read(name, "string", str, default)

    def boolean(self, name: str, default: bool = False) -> bool:
        """A boolean: 1/true/yes/on or 0/false/no/off, any case."""
        return self._read(name, "boolean", parse_boolean, default)

    def integer(
        self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        """A whole number, within the bounds given."""
        bounds = self._bounds(name, Bounds(minimum=minimum, maximum=maximum))
        return self._read(name, "integer", bounded(int, bounds), default)

    def number(
        self,
        name: str,
        default: float,
        *,
        minimum: float | None = None,
        above: float | None = None,
        maximum: float | None = None,
    ) -> float:
        """A finite decimal number, within the bounds given."""
        bounds = self._bounds(name, Bounds(minimum=minimum, above=above, maximum=maximum))
        return self._read(name, "number", bounded(parse_number, bounds), default)

    def _bounds(self, name: str, bounds: Bounds) -> Bounds:
        if bounds != Bounds():
            self.bounds[name] = bounds
        return bounds

    def rate(self, name: str, default: float) -> float:
        """A rate in requests per second: a finite number above zero, at most RATE_MAXIMUM."""
        return self._read(name, "rate", parse_rate, default)

    def throttle(self, name: str, default: str) -> str:
        """A DRF throttle rate such as 60/minute."""
        return self._read(name, "throttle", parse_throttle, default)

    def cron(self, name: str, default: str) -> str:
        """A cron schedule for a periodic task."""
        return self._read(name, "cron", parse_cron, default)

    def url(self, name: str, default: str) -> str:
        """An http(s) URL."""
        return self._read(name, "url", parse_url, default)

    def networks(self, name: str) -> tuple[Network, ...]:
        """Networks in CIDR notation (none by default); host bits set make it invalid."""
        none: tuple[Network, ...] = ()
        networks = self._read(name, "networks", parse_networks, none)
        self.defaults[name] = ""  # as the documentation writes "none"
        return networks

    def bpm_range(self, name: str, default: str) -> tuple[float, float]:
        """A tempo range "low-high" (the default is written the same way)."""
        self.kinds[name] = "bpm_range"
        self.defaults[name] = default
        text = self._values.get(name, "").strip()
        try:
            return parse_bpm_range(text or default)
        except ValueError:
            self.invalid[name] = text
            return parse_bpm_range(default)

    def strings(self, name: str, default: str = "") -> list[str]:
        """The items of a comma-separated variable (set but empty: no items, not the default)."""
        self.kinds[name] = "list"
        self.defaults[name] = default
        text = self._values.get(name, default)
        return [item.strip() for item in text.split(",") if item.strip()]

    def path(self, name: str, default: Path) -> Path:
        """An absolute path (a relative one is taken from the working directory)."""
        return self._read(name, "path", Path, default).resolve()
