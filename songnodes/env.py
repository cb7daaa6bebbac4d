"""Environment variables read as typed values: one parser per kind, unreadable values recorded.

Settings read every variable through one `Environment`. A value that cannot be read (a
misspelt boolean, a number with a unit) falls back to the default and is kept in `invalid`,
which the system checks report with the variable's name (songnodes.E008, E001 for rates)
instead of a stack trace at start-up or a silent default.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from dotenv import dotenv_values

T = TypeVar("T")

# What each kind of variable must be, as the system checks' messages say it.
KINDS = {
    "string": "a string",
    "boolean": "a boolean (true/false, yes/no, on/off, 1/0)",
    "integer": "a whole number",
    "number": "a number",
    "rate": "a positive number of requests per second",
    "list": "a comma-separated list",
    "path": "a path",
}
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


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


def parse_rate(text: str) -> float:
    """A finite positive number; ValueError for anything else (0, -1, nan, inf, "fast")."""
    rate = float(text)
    if not math.isfinite(rate) or rate <= 0:
        raise ValueError(text)
    return rate


class Environment:
    """Typed reads of a set of variables; an empty variable means its default."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values
        # Every variable read, with its kind (a key of KINDS), and those that could not be.
        self.kinds: dict[str, str] = {}
        self.invalid: dict[str, str] = {}
        # The default of every variable read (the documentation's defaults are checked on it).
        self.defaults: dict[str, object] = {}

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

    def string(self, name: str, default: str = "") -> str:
        """The trimmed text of a variable."""
        return self._read(name, "string", str, default)

    def boolean(self, name: str, default: bool = False) -> bool:
        """A boolean: 1/true/yes/on or 0/false/no/off, any case."""
        return self._read(name, "boolean", parse_boolean, default)

    def integer(self, name: str, default: int) -> int:
        """A whole number."""
        return self._read(name, "integer", int, default)

    def number(self, name: str, default: float) -> float:
        """A decimal number."""
        return self._read(name, "number", float, default)

    def rate(self, name: str, default: float) -> float:
        """A rate in requests per second: a finite number above zero."""
        return self._read(name, "rate", parse_rate, default)

    def strings(self, name: str, default: str = "") -> list[str]:
        """The items of a comma-separated variable (set but empty: no items, not the default)."""
        self.kinds[name] = "list"
        self.defaults[name] = default
        text = self._values.get(name, default)
        return [item.strip() for item in text.split(",") if item.strip()]

    def path(self, name: str, default: Path) -> Path:
        """An absolute path (a relative one is taken from the working directory)."""
        return self._read(name, "path", Path, default).resolve()
