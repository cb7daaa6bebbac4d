"""Key name, Camelot and Open Key notation from a Spotify-style pitch class and mode."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Check-constraint patterns for the stored notations (e.g. "8A", "12B"; "1d", "10m").
CAMELOT_PATTERN = r"^(1[0-2]|[1-9])[AB]$"
OPEN_KEY_PATTERN = r"^(1[0-2]|[1-9])[dm]$"

MAJOR = 1
MINOR = 0

# Spotify's pitch class notation: 0 = C, 1 = C#/Db, ... 11 = B. Names use sharps.
PITCH_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

_LETTER_PITCH = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTAL_SHIFT = {"": 0, "#": 1, "♯": 1, "b": -1, "♭": -1}
_MODE_WORDS = {"major": MAJOR, "maj": MAJOR, "minor": MINOR, "min": MINOR}
# Letter, optional accidental, optional mode. "m" is minor and "M" major (chord-symbol habit),
# so the mode group is matched case-sensitively for single letters only (see _mode_of).
_KEY_NAME = re.compile(r"^\s*([A-Ga-g])\s*([#♯b♭]?)\s*([A-Za-z]*)\s*$")


@dataclass(frozen=True)
class HarmonicKey:
    """A musical key with its DJ notations."""

    pitch_class: int
    mode: int
    name: str  # e.g. "A minor", "F# major"
    camelot: str  # e.g. "8A"
    open_key: str  # e.g. "1m"


def harmonic_key(pitch_class: int | None, mode: int | None) -> HarmonicKey | None:
    """Build the key for a pitch class (0..11) and mode (1 major, 0 minor); None when unknown."""
    # bool is an int subclass, but True/False are never a meaningful pitch class or mode.
    if isinstance(pitch_class, bool) or isinstance(mode, bool):
        return None
    if not isinstance(pitch_class, int) or not isinstance(mode, int):
        return None
    # Spotify reports key -1 when no key was detected: unknown, never B (PITCH_NAMES[-1]).
    if not 0 <= pitch_class <= 11 or mode not in (MAJOR, MINOR):
        return None
    return HarmonicKey(
        pitch_class=pitch_class,
        mode=mode,
        name=f"{PITCH_NAMES[pitch_class]} {'major' if mode == MAJOR else 'minor'}",
        camelot=camelot(pitch_class, mode),
        open_key=open_key(pitch_class, mode),
    )


def camelot(pitch_class: int, mode: int) -> str:
    """Camelot code: the circle of fifths numbered so that C major is 8B and A minor is 8A."""
    # Stepping a fifth (7 semitones) moves one position round the wheel.
    if mode == MAJOR:
        return f"{(7 * pitch_class + 7) % 12 + 1}B"
    return f"{(7 * pitch_class + 4) % 12 + 1}A"


def open_key(pitch_class: int, mode: int) -> str:
    """Open Key code: the same circle numbered so that C major is 1d and A minor is 1m."""
    if mode == MAJOR:
        return f"{(7 * pitch_class) % 12 + 1}d"
    return f"{(7 * pitch_class + 9) % 12 + 1}m"


def parse_key_name(name: str) -> tuple[int, int] | None:
    """Parse "A minor", "Am", "F# major", "Gb", "Bbm" to (pitch_class, mode); None if unreadable."""
    match = _KEY_NAME.match(name)
    if match is None:
        return None
    letter, accidental, mode_text = match.groups()
    mode = _mode_of(mode_text)
    if mode is None:
        return None
    pitch_class = (_LETTER_PITCH[letter.upper()] + _ACCIDENTAL_SHIFT[accidental]) % 12
    return pitch_class, mode


def _mode_of(text: str) -> int | None:
    """Mode from its written form; no mode word means major, as in chord symbols."""
    if text in ("", "M"):
        return MAJOR
    if text == "m":
        return MINOR
    return _MODE_WORDS.get(text.lower())
