"""Key text in DJ files: read Camelot, Open Key, musical names and Traktor's 0..23 numbers."""

from __future__ import annotations

import re
from typing import Literal

from enrichment.camelot import (
    CAMELOT_PATTERN,
    MAJOR,
    MINOR,
    OPEN_KEY_PATTERN,
    PITCH_NAMES,
    HarmonicKey,
    harmonic_key,
    parse_key_name,
)

Notation = Literal["camelot", "open-key", "musical"]
NOTATIONS: tuple[Notation, ...] = ("camelot", "open-key", "musical")
# Traktor's MUSICAL_KEY VALUE: 0..11 are C..B major, 12..23 are C..B minor.
TRAKTOR_MINOR_OFFSET = 12


def _by_code(code: str, pattern: str) -> HarmonicKey | None:
    if not re.match(pattern, code):
        return None
    for pitch_class in range(12):
        for mode in (MAJOR, MINOR):
            key = harmonic_key(pitch_class, mode)
            if key is not None and code in (key.camelot, key.open_key):
                return key
    return None


def parse_key(text: str) -> HarmonicKey | None:
    """A key written as "8A", "1m" or "Am" / "A minor" / "F#"; None when unreadable."""
    text = text.strip()
    if not text:
        return None
    code = text.upper() if text[-1:] in ("a", "b") else text
    key = _by_code(code, CAMELOT_PATTERN) or _by_code(text.lower(), OPEN_KEY_PATTERN)
    if key is not None:
        return key
    parsed = parse_key_name(text)
    return harmonic_key(*parsed) if parsed else None


def from_traktor(value: int) -> HarmonicKey | None:
    """Traktor's MUSICAL_KEY VALUE (0..23) as a key."""
    if not 0 <= value <= 23:
        return None
    minor = value >= TRAKTOR_MINOR_OFFSET
    return harmonic_key(value % 12, MINOR if minor else MAJOR)


def to_traktor(pitch_class: int, mode: int) -> int:
    """The key as Traktor's MUSICAL_KEY VALUE."""
    return pitch_class + (TRAKTOR_MINOR_OFFSET if mode == MINOR else 0)


def written(key: HarmonicKey | None, notation: Notation) -> str:
    """The key in the chosen notation: "8A", "1m" or "Am" ("" when unknown)."""
    if key is None:
        return ""
    if notation == "camelot":
        return key.camelot
    if notation == "open-key":
        return key.open_key
    return PITCH_NAMES[key.pitch_class] + ("m" if key.mode == MINOR else "")
