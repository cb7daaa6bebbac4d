"""Typed results shared by the adapters, and the small helpers that read JSON into them.

Adapters parse upstream JSON only through these helpers, inside `parsing(...)`, so a missing
key or a wrong type becomes `MalformedResponse` naming the endpoint, never a KeyError.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from enrichment.fields import UNIT_FEATURES
from enrichment.models import ISRC_REGEX, SPOTIFY_ID_REGEX, TIDAL_ID_REGEX
from enrichment.redaction import redact
from enrichment.sources.errors import MalformedResponse

logger = logging.getLogger(__name__)

PRECISIONS = ("year", "month", "day")  # least to most detailed
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_ISRC = re.compile(ISRC_REGEX)
_SPOTIFY_ID = re.compile(SPOTIFY_ID_REGEX)
_TIDAL_ID = re.compile(TIDAL_ID_REGEX)
_MAX_DURATION_MS = 2_147_483_647  # the column is a PositiveIntegerField


class PayloadError(ValueError):
    """A required key is missing or a value has the wrong type."""


@contextlib.contextmanager
def parsing(source: str, endpoint: str) -> Iterator[None]:
    """Turn any surprise while reading a payload into MalformedResponse naming the endpoint."""
    try:
        yield
    except (PayloadError, KeyError, TypeError, ValueError, AttributeError) as error:
        # The error may quote a body value, and an upstream may echo what it was sent.
        message = f"{endpoint}: unexpected body: {redact(str(error))}"
        raise MalformedResponse(source, message) from error


# --- reading JSON --------------------------------------------------------------------------
def as_dict(value: Any, what: str) -> dict[str, Any]:
    """The value as a JSON object, or PayloadError."""
    if not isinstance(value, dict):
        raise PayloadError(f"{what} should be an object, got {type(value).__name__}")
    return value


def get_str(obj: Mapping[str, Any], key: str) -> str:
    """A required string."""
    value = obj.get(key)
    if not isinstance(value, str):
        raise PayloadError(f"{key!r} should be a string, got {type(value).__name__}")
    return value


def opt_str(obj: Mapping[str, Any], key: str) -> str | None:
    """An optional string; missing, null or blank is None."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{key!r} should be a string, got {type(value).__name__}")
    return value.strip() or None


def get_int(obj: Mapping[str, Any], key: str) -> int:
    """A required integer (Last.fm and Discogs send numbers as strings)."""
    value = opt_int(obj, key)
    if value is None:
        raise PayloadError(f"{key!r} is missing")
    return value


def opt_int(obj: Mapping[str, Any], key: str) -> int | None:
    """An optional integer; a digit string counts, blank is None."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PayloadError(f"{key!r} should be an integer, got {type(value).__name__}")
    try:
        return int(value)
    except ValueError as error:
        raise PayloadError(f"{key!r} should be an integer, got {value!r}") from error


def opt_float(obj: Mapping[str, Any], key: str) -> float | None:
    """An optional number."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"{key!r} should be a number, got {type(value).__name__}")
    return float(value)


def opt_dict(obj: Mapping[str, Any], key: str) -> dict[str, Any]:
    """An optional object; missing or null is {}."""
    value = obj.get(key)
    return {} if value is None else as_dict(value, repr(key))


def dicts(obj: Mapping[str, Any], key: str, *, required: bool = False) -> list[dict[str, Any]]:
    """A list of objects (nulls skipped); missing is [] unless required."""
    value = obj.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{key!r} should be a list, got {type(value).__name__}")
    return [as_dict(item, f"an item of {key!r}") for item in value if item is not None]


def strings(obj: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """A list of strings (blanks dropped); a single string counts as a list of one."""
    value = obj.get(key)
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise PayloadError(f"{key!r} should be a list of strings")
    return tuple(item.strip() for item in items if item.strip())


def partial_date(text: str | None, precision: str | None = None) -> tuple[date, str] | None:
    """("1987", None) -> (1987-01-01, "year"); "1987-07" -> month; garbage or year 0 -> None."""
    match = _PARTIAL_DATE.match(text.strip()) if text else None
    if match is None:
        return None
    year, month, day = (int(part) if part else 0 for part in match.groups())
    inferred = "day" if day else "month" if month else "year"
    if precision in PRECISIONS:  # never claim more detail than either side has
        inferred = min(inferred, precision, key=PRECISIONS.index)
    detail = PRECISIONS.index(inferred)
    try:
        value = date(year, month if detail >= 1 else 1, day if detail >= 2 else 1)
    except ValueError:
        return None
    return value, inferred


def normalise_isrc(text: str | None) -> str | None:
    """Upper case without separators ("us-um7-24-09273" -> "USUM72409273")."""
    if not text:
        return None
    return re.sub(r"[\s-]", "", text).upper() or None


def unique(items: Iterator[str] | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Items in first-seen order without repeats."""
    return tuple(dict.fromkeys(items))


# --- what may be written ---------------------------------------------------------------------
def _between(low: float, high: float) -> Callable[[Any], bool]:
    return lambda value: low <= value <= high


def _length(limit: int) -> Callable[[Any], bool]:
    return lambda value: 0 < len(value) <= limit


# The documented range of every field a source may supply (and the column's check constraint).
VALID: dict[str, Callable[[Any], bool]] = {
    **{feature: _between(0.0, 1.0) for feature in UNIT_FEATURES},
    "spotify_id": lambda value: bool(_SPOTIFY_ID.match(value)),
    "isrc": lambda value: bool(_ISRC.match(value)),
    "discogs_id": lambda value: value > 0,
    "deezer_id": lambda value: value > 0,
    "tidal_id": lambda value: bool(_TIDAL_ID.match(value)),
    "bpm": lambda value: 0 < value < 1000,
    "key_pitch_class": _between(0, 11),
    "key_mode": lambda value: value in (0, 1),
    "loudness": _between(-100.0, 20.0),
    "time_signature": _between(3, 7),  # Spotify: "ranges from 3 to 7"
    "duration_ms": _between(1, _MAX_DURATION_MS),
    "label": _length(255),
    "catalog_number": _length(100),
    "release_country": _length(64),
    "genre": _length(100),
    "genres": lambda value: all(0 < len(genre) <= 100 for genre in value),
    "spotify_popularity": _between(0, 100),
    "lastfm_playcount": lambda value: value >= 0,
    "lastfm_listeners": lambda value: value >= 0,
}


class Supplies:
    """Mixin for results: `fields()` gives the Track columns it supplies, in range only."""

    def supplied(self) -> dict[str, Any]:
        """Every column this result has a value for, before range checks."""
        raise NotImplementedError

    def fields(self) -> dict[str, Any]:
        """Non-None values keyed by Track column; out-of-range values are dropped and logged."""
        kept, notes = _checked(self.supplied())
        for note in notes:
            logger.warning("%s: %s", type(self).__name__, note)
        return kept

    def notes(self) -> tuple[str, ...]:
        """Why values were left out of fields() (out of their documented range)."""
        return _checked(self.supplied())[1]


def _checked(values: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    kept: dict[str, Any] = {}
    notes: list[str] = []
    for column, value in values.items():
        if value is None or value == () or value == []:
            continue
        valid = VALID.get(column)
        if valid is None or valid(value):
            kept[column] = value
        else:
            notes.append(f"{column}={value!r} is out of its documented range: not written")
    if "release_date" not in kept:  # a date and its precision come together or not at all
        kept.pop("release_date_precision", None)
    return kept, tuple(notes)


@dataclass(frozen=True)
class AudioFeatures(Supplies):
    """Spotify-style audio features (from Spotify itself or from ReccoBeats)."""

    spotify_id: str
    tempo: float | None = None
    key: int | None = None  # pitch class 0..11; Spotify's -1 ("no key detected") is None
    mode: int | None = None  # 1 major, 0 minor
    energy: float | None = None
    danceability: float | None = None
    valence: float | None = None
    acousticness: float | None = None
    instrumentalness: float | None = None
    liveness: float | None = None
    speechiness: float | None = None
    loudness: float | None = None
    time_signature: int | None = None  # ReccoBeats does not send it
    duration_ms: int | None = None
    isrc: str | None = None  # the analysed recording's ISRC (ReccoBeats rows): a check only

    def supplied(self) -> dict[str, Any]:
        """Audio feature columns (key and mode only together)."""
        has_key = self.key is not None and self.mode is not None
        return {
            "bpm": self.tempo,
            "key_pitch_class": self.key if has_key else None,
            "key_mode": self.mode if has_key else None,
            **{feature: getattr(self, feature) for feature in UNIT_FEATURES},
            "loudness": self.loudness,
            "time_signature": self.time_signature,
            "duration_ms": self.duration_ms,
        }


def audio_features_from(item: Mapping[str, Any], spotify_id: str) -> AudioFeatures:
    """Read one Spotify-shaped audio-features object."""
    key = opt_int(item, "key")
    return AudioFeatures(
        spotify_id=spotify_id,
        tempo=opt_float(item, "tempo"),
        key=None if key == -1 else key,
        mode=opt_int(item, "mode"),
        energy=opt_float(item, "energy"),
        danceability=opt_float(item, "danceability"),
        valence=opt_float(item, "valence"),
        acousticness=opt_float(item, "acousticness"),
        instrumentalness=opt_float(item, "instrumentalness"),
        liveness=opt_float(item, "liveness"),
        speechiness=opt_float(item, "speechiness"),
        loudness=opt_float(item, "loudness"),
        time_signature=opt_int(item, "time_signature"),
        duration_ms=opt_int(item, "duration_ms"),
        isrc=normalise_isrc(opt_str(item, "isrc")),
    )


def as_uuid(text: str | None) -> uuid.UUID | None:
    """A UUID from text, or None when blank or not a UUID."""
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


def id_batch(ids: Iterable[str], limit: int) -> list[str]:
    """Distinct ids, sorted (the same set is the same cache entry), at most `limit` of them."""
    batch = sorted(set(ids))
    if len(batch) > limit:
        raise ValueError(f"at most {limit} ids per call, got {len(batch)}")
    return batch
