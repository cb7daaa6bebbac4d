"""Merge what each source found into a track, by one precedence table per field (the registry's).

Rules: a field a curator locked is never touched; a value that came from outside enrichment
(import or hand edit: it has no provenance) is never replaced; a source never overwrites a
value from a source ranked above it for that field; derived fields (key name, Camelot, Open
Key) follow the pitch class and mode they come from. Every written field records its
provenance: source, fetched_at and the confidence of the match that led to it.

BPM: every provider's raw tempo is kept (`bpm_raw`); the winner's is folded by octaves into
the range of the track's primary genre (enrichment/bpm.py), and raw tempos apart by x2 or x1.5
raise a flag for a curator (none while a curator holds the field locked).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from enrichment import bpm
from enrichment.camelot import harmonic_key
from enrichment.sources import registry
from enrichment.track_metadata import OctaveFlag, Provenance, derived_from, provenance_entry

# Field -> the providers that may supply it, most trusted first (each entry's `supplies`).
PRECEDENCE: dict[str, tuple[str, ...]] = registry.precedence()
PROVIDERS = frozenset(registry.PROVIDERS_BY_NAME)
# Fields that travel with another: taken from the same provider, or not at all.
COMPANIONS = {"release_date": ("release_date_precision",), "key_pitch_class": ("key_mode",)}
DERIVED_KEY_FIELDS = ("key", "camelot_key", "open_key")


@dataclass
class Found:
    """What one provider returned for a track, and how sure we are it is the same track."""

    provider: str
    values: dict[str, Any]
    confidence: float = 1.0


@dataclass
class MergeResult:
    """The column changes to write and the provenance entries that explain them."""

    changes: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Provenance] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)  # field -> why a new value was refused
    bpm_raw: dict[str, float] = field(default_factory=dict)  # provider -> its unfolded BPM
    octave: OctaveFlag | None = None  # raw BPMs apart by x2 / x1.5 (with bpm_raw: recomputed)


def merge(
    current: Mapping[str, Any],
    provenance: Mapping[str, Mapping[str, Any]],
    locked: set[str],
    found: Mapping[str, Found],
    fetched_at: datetime,
    bpm_raw: Mapping[str, float] | None = None,
) -> MergeResult:
    """Decide, field by field, which provider's value the track should hold.

    `bpm_raw`: the raw BPMs providers gave before (those not asked again still count).
    """
    result = MergeResult()
    for name, order in PRECEDENCE.items():
        winner = next((found[p] for p in order if p in found and name in found[p].values), None)
        if winner is None:
            continue
        refusal = _refusal(name, current, provenance, locked, order, winner)
        if refusal:
            result.kept[name] = refusal
            continue
        for column in (name, *COMPANIONS.get(name, ())):
            value = winner.values.get(column)
            if current.get(column) != value:
                result.changes[column] = value
            result.provenance[column] = provenance_entry(
                winner.provider, fetched_at, winner.confidence
            )
    _derive_key(current, locked, result)
    _reconcile_bpm(current, provenance, locked, found, bpm_raw or {}, result)
    return result


def _reconcile_bpm(
    current: Mapping[str, Any],
    provenance: Mapping[str, Mapping[str, Any]],
    locked: set[str],
    found: Mapping[str, Found],
    previous: Mapping[str, float],
    result: MergeResult,
) -> None:
    """Keep every raw BPM, fold the written one into its genre's range, flag octave splits."""
    fresh = {p: float(f.values["bpm"]) for p, f in found.items() if "bpm" in f.values}
    if fresh:  # the flag is decided afresh with every new raw tempo
        order = PRECEDENCE["bpm"]
        merged = {**previous, **fresh}
        result.bpm_raw = dict(sorted(merged.items(), key=lambda item: _rank(order, item[0])))
        disagreement = bpm.disagreement(result.bpm_raw)
        if disagreement is not None and "bpm" not in locked:
            result.octave = cast(OctaveFlag, disagreement.to_dict(result.bpm_raw))
    raw = result.bpm_raw or previous
    genre = result.changes.get("genre", current.get("genre"))
    source: str | None
    if "bpm" in result.provenance:
        source = result.provenance["bpm"]["source"]
    elif "genre" in result.changes and "bpm" not in locked:
        source = provenance.get("bpm", {}).get("source")  # a new genre: refold the old winner's
    else:
        return
    if source is None or source not in raw:
        return
    folded = bpm.reconcile(raw[source], genre)
    result.changes.pop("bpm", None)
    if current.get("bpm") != folded:
        result.changes["bpm"] = folded


def _rank(order: tuple[str, ...], provider: str) -> int:
    return order.index(provider) if provider in order else len(order)


def _refusal(
    name: str,
    current: Mapping[str, Any],
    provenance: Mapping[str, Mapping[str, Any]],
    locked: set[str],
    order: tuple[str, ...],
    winner: Found,
) -> str | None:
    """Why the winner may not write this field, or None when it may."""
    if name in locked:
        return "locked by a curator"
    if current.get(name) in (None, "", []):
        return None
    origin = provenance.get(name, {}).get("source")
    if origin is None or origin not in PROVIDERS:  # import, a curator's edit or review
        if current.get(name) == winner.values[name]:
            return None  # the same value, now confirmed by a source
        return f"set outside enrichment ({origin or 'import'})"
    if origin in order and order.index(origin) < order.index(winner.provider):
        return f"held by {origin}, which ranks above {winner.provider}"
    return None


def _derive_key(current: Mapping[str, Any], locked: set[str], result: MergeResult) -> None:
    """Key name, Camelot and Open Key from the (possibly new) pitch class and mode."""
    if "key_pitch_class" not in result.provenance:
        return
    pitch = result.changes.get("key_pitch_class", current.get("key_pitch_class"))
    mode = result.changes.get("key_mode", current.get("key_mode"))
    harmonic = harmonic_key(pitch, mode)
    if harmonic is None:
        return
    derived = {"key": harmonic.name, "camelot_key": harmonic.camelot, "open_key": harmonic.open_key}
    for column, value in derived.items():
        if column in locked:
            result.kept[column] = "locked by a curator"
            continue
        if current.get(column) != value:
            result.changes[column] = value
        result.provenance[column] = derived_from(result.provenance["key_pitch_class"])
