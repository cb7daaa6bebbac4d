"""Merge what each source found into a track, by one explicit precedence table per field.

Rules: a field a curator locked is never touched; a value that came from outside enrichment
(import or hand edit: it has no provenance) is never replaced; a source never overwrites a
value from a source ranked above it for that field; derived fields (key name, Camelot, Open
Key) follow the pitch class and mode they come from. Every written field records its
provenance: source, fetched_at and the confidence of the match that led to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from enrichment.camelot import harmonic_key
from enrichment.models import UNIT_FEATURES
from enrichment.track_metadata import Provenance, derived_from, provenance_entry

# Providers are the sources plus "spotify_features" (Spotify's audio-features endpoint, ranked
# apart from its track lookup). Earlier in a tuple = preferred.
AUDIO_ANALYSIS = ("spotify_features", "reccobeats")
PRECEDENCE: dict[str, tuple[str, ...]] = {
    "spotify_id": ("spotify",),
    "isrc": ("spotify", "musicbrainz", "deezer"),
    "musicbrainz_id": ("musicbrainz",),
    "discogs_id": ("discogs",),
    "deezer_id": ("deezer",),
    # Deezer's bpm is a fallback: coarser, and 0 means unknown (adapters drop it).
    "bpm": (*AUDIO_ANALYSIS, "deezer"),
    "key_pitch_class": AUDIO_ANALYSIS,
    **{feature: AUDIO_ANALYSIS for feature in UNIT_FEATURES},
    "loudness": AUDIO_ANALYSIS,
    "time_signature": AUDIO_ANALYSIS,
    "duration_ms": ("spotify", "musicbrainz", "deezer", *AUDIO_ANALYSIS),
    # Discogs knows labels and catalog numbers best; MusicBrainz next.
    "label": ("discogs", "musicbrainz", "spotify"),
    "catalog_number": ("discogs", "musicbrainz"),
    # MusicBrainz's first release date is the original; Spotify's may be a reissue's.
    "release_date": ("musicbrainz", "spotify", "deezer", "discogs"),
    "release_country": ("musicbrainz", "discogs"),
    "spotify_popularity": ("spotify",),
    "lastfm_playcount": ("lastfm",),
    "lastfm_listeners": ("lastfm",),
}
PROVIDERS = frozenset(provider for order in PRECEDENCE.values() for provider in order)
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


def merge(
    current: Mapping[str, Any],
    provenance: Mapping[str, Mapping[str, Any]],
    locked: set[str],
    found: Mapping[str, Found],
    fetched_at: datetime,
) -> MergeResult:
    """Decide, field by field, which provider's value the track should hold."""
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
    return result


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
    if current.get(name) in (None, ""):
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
