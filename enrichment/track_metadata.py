"""The typed shape of `Track.metadata`, and the one writer for each thing kept in it.

The document stays one JSON object on the track row, so SQL, the partial "needs review" index
and the API read its keys as before. Every module reads it through the accessors below and
changes it only through the writers, which build each entry in its one canonical shape
(migration 0005 brought older rows to it). Writers change the track in memory; the caller
saves it, so an attempt still writes its row once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict, cast

from django.db.models import Q
from django.db.models.fields.json import KeyTransform

if TYPE_CHECKING:
    from enrichment.models import Track

# Provenance sources besides the providers (no provenance at all means: imported).
CURATOR = "curator"  # edited by hand on the track page
CURATOR_REVIEW = "curator-review"  # a candidate a curator accepted in review
# The document's keys that SQL readers (coverage counts, filters) look for.
REVIEW_KEY = "review"
TAGS_KEY = "lastfm_tags"
SOURCES_KEY = "enrichment_sources"
BPM_RAW_KEY = "bpm_raw"
OCTAVE_FLAG_KEY = "bpm_octave"  # present while sources disagree by x2 / x1.5 (a curator looks)


class Provenance(TypedDict):
    """Where one field's value came from, when, and how sure the match behind it was."""

    source: str  # a provider, CURATOR or CURATOR_REVIEW
    fetched_at: str | None  # ISO 8601 (None only for entries older than this shape)
    confidence: float | None  # 0..1, three decimals
    derived: NotRequired[bool]  # computed from another field (the key notations)
    provider: NotRequired[str]  # curator-review: whose candidate was accepted
    score: NotRequired[float]  # curator-review: that candidate's match score
    curator: NotRequired[str]  # curator, curator-review: who


class Decision(TypedDict):
    """A curator's decision on one provider's review."""

    decision: Literal["accepted", "rejected"]
    identifier: NotRequired[str]  # accepted
    identifiers: NotRequired[list[str]]  # rejected: every candidate shown
    by: str
    at: str  # ISO 8601


class DuplicateOf(TypedDict):
    """The track this one duplicates, and by what: an identifier it holds, or the same name."""

    track_id: str
    isrc: NotRequired[str]  # a provider's ISRC for this track, which the other one holds
    spotify_id: NotRequired[str]  # likewise a Spotify id (or both held it: migration 0006)
    artist_title: NotRequired[bool]  # the same normalised artist + title (migration 0006)


class OctaveFlag(TypedDict):
    """Two sources whose raw BPMs differ by an octave (x2) or 3:2 (x1.5): for a curator."""

    relation: str  # "x2" or "x1.5" (enrichment/bpm.py)
    lower: str  # the source that read the slower tempo
    higher: str
    raw: dict[str, float]  # those two sources' raw BPMs


class TrackMetadata(TypedDict, total=False):
    """Everything enrichment keeps about a track besides its typed columns."""

    provenance: dict[str, Provenance]  # field -> where its value came from
    review: dict[str, dict[str, Any]]  # provider -> MatchDecision.to_dict(), awaiting a curator
    reviewed: dict[str, Decision]  # provider -> the curator's last decision
    rejected: dict[str, list[str]]  # provider -> identifiers a curator refused (sorted)
    kept: dict[str, str]  # field -> why the latest attempt with refusals kept the old value
    enrichment_sources: list[str]  # providers that ever supplied data (sorted)
    lastfm_tags: list[str]
    bpm_raw: dict[str, float]  # provider -> the BPM it answered, before octave folding
    bpm_octave: OctaveFlag
    duplicate_of: DuplicateOf
    enriched_at: str  # ISO 8601, the latest attempt that merged


def document(track: Track) -> TrackMetadata:
    """The track's metadata, typed, for reading (a missing or unreadable one reads as empty)."""
    return cast(TrackMetadata, track.metadata) if isinstance(track.metadata, dict) else {}


def _writable(track: Track) -> TrackMetadata:
    """The track's metadata, typed, for changing in place (started afresh if unreadable)."""
    if not isinstance(track.metadata, dict):
        track.metadata = {}
    return cast(TrackMetadata, track.metadata)


# --- readers ------------------------------------------------------------------------------
def provenance(track: Track) -> dict[str, Provenance]:
    """Field -> where its value came from."""
    return document(track).get("provenance") or {}


def origin(track: Track, field: str) -> str | None:
    """The source of the field's value, or None when it came from the import."""
    entry = provenance(track).get(field)
    return entry.get("source") if isinstance(entry, dict) else None


def reviews(track: Track) -> dict[str, dict[str, Any]]:
    """Provider -> the candidates it kept for a curator."""
    return document(track).get("review") or {}


def reviewed(track: Track) -> dict[str, Decision]:
    """Provider -> the curator's last decision on its review."""
    return document(track).get("reviewed") or {}


def rejected(track: Track) -> dict[str, list[str]]:
    """Provider -> identifiers a curator refused for this track."""
    return document(track).get("rejected") or {}


def kept(track: Track) -> dict[str, str]:
    """Field -> why enrichment refused a newer value."""
    return document(track).get("kept") or {}


def sources(track: Track) -> list[str]:
    """Providers that supplied data, sorted."""
    return document(track).get("enrichment_sources") or []


def tags(track: Track) -> list[str]:
    """Last.fm's tags for the track."""
    return document(track).get("lastfm_tags") or []


def bpm_raw(track: Track) -> dict[str, float]:
    """Provider -> the BPM it answered (before folding into the range)."""
    return document(track).get("bpm_raw") or {}


def octave_flag(track: Track) -> OctaveFlag | None:
    """The sources' octave disagreement a curator should look at, if any."""
    return document(track).get("bpm_octave")


# --- writers (the only code that changes the document) ------------------------------------
def provenance_entry(
    source: str,
    fetched_at: datetime,
    confidence: float = 1.0,
    *,
    curator: str | None = None,
    provider: str | None = None,
    score: float | None = None,
) -> Provenance:
    """The one shape of a provenance entry (numbers to three decimals)."""
    entry: Provenance = {
        "source": source,
        "fetched_at": fetched_at.isoformat(),
        "confidence": round(confidence, 3),
    }
    if provider is not None:
        entry["provider"] = provider
    if score is not None:
        entry["score"] = round(score, 3)
    if curator is not None:
        entry["curator"] = curator
    return entry


def derived_from(entry: Provenance) -> Provenance:
    """The provenance of a value computed from the field `entry` describes."""
    derived = entry.copy()
    derived["derived"] = True
    return derived


def record_provenance(track: Track, field: str, entry: Provenance) -> None:
    """Note where the field's (new) value came from."""
    _writable(track).setdefault("provenance", {})[field] = entry


def add_sources(track: Track, providers: Iterable[str]) -> None:
    """Count these providers among those that supplied data."""
    metadata = _writable(track)
    metadata["enrichment_sources"] = sorted(set(sources(track)) | set(providers))


def set_tags(track: Track, new_tags: Sequence[str]) -> None:
    """Replace Last.fm's tags."""
    _writable(track)["lastfm_tags"] = list(new_tags)


def set_bpm_raw(track: Track, raw: Mapping[str, float]) -> None:
    """Replace the per-provider raw BPMs."""
    if raw:
        _writable(track)["bpm_raw"] = dict(raw)


def set_octave_flag(track: Track, flag: OctaveFlag | None) -> None:
    """Flag an octave disagreement for a curator (None clears it: resolved, or none now)."""
    metadata = _writable(track)
    if flag is None:
        metadata.pop("bpm_octave", None)
    else:
        metadata["bpm_octave"] = flag


def set_review(track: Track, provider: str, decision: Mapping[str, Any]) -> None:
    """Keep a provider's candidates for a curator (MatchDecision.to_dict())."""
    _writable(track).setdefault("review", {})[provider] = dict(decision)


def clear_review(track: Track, provider: str) -> None:
    """Drop a provider's review; with the last one goes the key (the "needs review" flag)."""
    metadata = _writable(track)
    metadata.get("review", {}).pop(provider, None)
    if not metadata.get("review"):
        metadata.pop("review", None)


def record_decision(
    track: Track,
    provider: str,
    *,
    curator: str,
    at: datetime,
    accepted: str | None = None,
    rejected: Sequence[str] = (),
) -> None:
    """Close the provider's review, noting who accepted one candidate or rejected them all.

    Rejected identifiers are remembered, so later attempts never offer them again.
    """
    metadata = _writable(track)
    clear_review(track, provider)
    when = at.isoformat()
    decision: Decision
    if accepted is not None:
        decision = {"decision": "accepted", "identifier": accepted, "by": curator, "at": when}
    else:
        refused = metadata.setdefault("rejected", {})
        refused[provider] = sorted(set(refused.get(provider, [])) | set(rejected))
        shown = list(rejected)
        decision = {"decision": "rejected", "identifiers": shown, "by": curator, "at": when}
    metadata.setdefault("reviewed", {})[provider] = decision


def set_kept(track: Track, refusals: Mapping[str, str]) -> None:
    """Note why an attempt kept old values (an attempt that refused nothing leaves the last)."""
    if refusals:
        _writable(track)["kept"] = dict(refusals)


def mark_duplicate(
    track: Track, isrc: str | None, holder_id: uuid.UUID | str, *, spotify_id: str | None = None
) -> None:
    """Note that a provider's ISRC (or Spotify id) for this track belongs to another track."""
    entry: DuplicateOf = {"track_id": str(holder_id)}
    if isrc is not None:
        entry["isrc"] = isrc
    if spotify_id is not None:
        entry["spotify_id"] = spotify_id
    _writable(track)["duplicate_of"] = entry


def mark_enriched(track: Track, at: datetime) -> None:
    """Note when an attempt last merged into the track."""
    _writable(track)["enriched_at"] = at.isoformat()


# --- queries over the document ------------------------------------------------------------
def has_key(key: str) -> Q:
    """Tracks whose document holds the key (read by the key's partial index where one exists)."""
    return Q(metadata__has_key=key)


def awaiting_review(provider: str | None = None) -> Q:
    """Tracks with candidates waiting for a curator (from that provider, when given)."""
    if provider is None:
        return has_key(REVIEW_KEY)
    return Q(metadata__review__has_key=provider)


def octave_flagged() -> Q:
    """Tracks whose sources disagree on the BPM by x2 or x1.5."""
    return has_key(OCTAVE_FLAG_KEY)


def with_data_from(provider: str) -> Q:
    """Tracks the provider supplied data for."""
    return Q(metadata__contains={SOURCES_KEY: [provider]})


def sources_used() -> KeyTransform:
    """The providers that supplied data, read from the document (for an annotation)."""
    return KeyTransform(SOURCES_KEY, "metadata")
