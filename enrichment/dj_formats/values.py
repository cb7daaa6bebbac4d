"""The DJ values an import row may carry (BPM, key, genre, label, duration, file location).

They come in as imported values: they fill gaps only (never overwrite what enrichment or a
curator set), get provenance "import" (which enrichment never replaces, see merge.py) and the
file location is kept in the track's metadata so that export can write it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from enrichment import track_metadata
from enrichment.camelot import HarmonicKey
from enrichment.dj_formats.keys import parse_key
from enrichment.import_reading import RowError, text_problem

if TYPE_CHECKING:
    from enrichment.models import Track

DJ_COLUMNS = ("bpm", "key", "genre", "label", "duration_ms", "location")
LABEL_KEY = "entry_label"  # how a DJ file names the entry (TrackID ...), for error messages
MAX_LOCATION = 2000
KEY_COLUMNS = ("key", "key_pitch_class", "key_mode", "camelot_key", "open_key")


@dataclass(frozen=True)
class DjValues:
    """Validated DJ values of one row (None: not given)."""

    bpm: float | None = None
    key: HarmonicKey | None = None
    genre: str | None = None
    label: str | None = None
    duration_ms: int | None = None
    location: str | None = None


def _number(number: int, raw: dict[str, Any], name: str) -> Decimal | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise RowError(number, name, "must be a number")
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise RowError(number, name, f"{value!r} is not a number") from error
    if not parsed.is_finite() or parsed <= 0:
        raise RowError(number, name, f"{value!r} is not a positive number")
    return parsed


def _text(number: int, raw: dict[str, Any], name: str, limit: int) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RowError(number, name, "must be a string")
    value = value.strip()
    problem = text_problem(value)
    if problem:
        raise RowError(number, name, problem)
    if len(value) > limit:
        raise RowError(number, name, f"longer than {limit} characters")
    return value or None


def validate_dj(number: int, raw: dict[str, Any]) -> DjValues | None:
    """The row's DJ values, typed, or RowError naming the field; None when it has none."""
    if not any(raw.get(name) not in (None, "") for name in DJ_COLUMNS):
        return None
    bpm = _number(number, raw, "bpm")
    if bpm is not None and not bpm < 1000:
        raise RowError(number, "bpm", f"{raw['bpm']!r} is not a tempo (0 < BPM < 1000)")
    duration = _number(number, raw, "duration_ms")
    if duration is not None and duration >= 2**31:
        raise RowError(number, "duration_ms", "too large")
    key_text = _text(number, raw, "key", 16)
    key = parse_key(key_text) if key_text else None
    if key_text and key is None:
        raise RowError(number, "key", f"{key_text!r} is not a key (8A, 1m, Am, A minor)")
    return DjValues(
        bpm=float(bpm) if bpm is not None else None,
        key=key,
        genre=_text(number, raw, "genre", 100),
        label=_text(number, raw, "label", 255),
        duration_ms=int(duration) if duration is not None else None,
        location=_text(number, raw, "location", MAX_LOCATION),
    )


def _columns(values: DjValues) -> dict[str, Any]:
    columns: dict[str, Any] = {
        "bpm": values.bpm,
        "genre": values.genre,
        "label": values.label,
        "duration_ms": values.duration_ms,
    }
    if values.key is not None:
        columns.update(
            key=values.key.name,
            key_pitch_class=values.key.pitch_class,
            key_mode=values.key.mode,
            camelot_key=values.key.camelot,
            open_key=values.key.open_key,
        )
    return {name: value for name, value in columns.items() if value is not None}


def apply_dj(track: Track, values: DjValues | None, now: datetime | None = None) -> list[str]:
    """Fill the track's unknown DJ fields from the row; the names of the columns changed."""
    if values is None:
        return []
    entry = track_metadata.provenance_entry(track_metadata.IMPORT, now or timezone.now())
    changed: list[str] = []
    # A key is the five key columns together: filled only when none is known or locked.
    key_taken = any(
        getattr(track, name) not in (None, "") or name in track.locked_fields
        for name in KEY_COLUMNS
    )
    for name, value in _columns(values).items():
        taken = key_taken if name in KEY_COLUMNS else getattr(track, name) not in (None, "")
        if taken or name in track.locked_fields:
            continue
        setattr(track, name, value)
        track_metadata.record_provenance(track, name, entry)
        changed.append(name)
    if values.location and track_metadata.location(track) != values.location:
        track_metadata.set_location(track, values.location)
        changed.append("metadata")
    if changed and "metadata" not in changed:
        changed.append("metadata")
    return changed
