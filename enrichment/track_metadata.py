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
IMPORT = "import"  # read from an imported file (DJ library, CSV): never replaced by enrichment
# The document's keys that SQL readers (coverage counts, filters) look for.
REVIEW_KEY = "review"
TAGS_KEY = "lastfm_tags"
SOURCES_KEY = "enrichment_sources"
NOTES_KEY = "notes"
# What a curator note can say about a track's identifiers (kind -> the admin's label).
NOTE_KINDS: dict[str, str] = {
    "text_disagrees": "text disagrees with identifier",
    "isrc_conflict": "ISRC conflict",
    "isrc_mismatch": "ISRC mismatch (features refused)",
}
CATALOGUE = "catalogue"  # a note's source when another track of ours raised it
BPM_RAW_KEY = "bpm_raw"
OCTAVE_FLAG_KEY = "bpm_octave"  # present while sources disagree by x2 / x1.5 (a curator looks)


class Provenance(TypedDict):
    """Where one field's value came from, when, and how sure the match behind it was."""

    source: str  # a provider, CURATOR, CURATOR_REVIEW or IMPORT
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


class CuratorNote(TypedDict):
    """A disagreement about an identifier that a curator should see (never a dropped match)."""

    identifier: str  # what the note is about: an ISRC or a provider's id
    found_by: str  # the track column the identifier belongs in (isrc, spotify_id, ...)
    details: list[str]  # readable lines: how the text differs, the recordings in conflict
    at: str  # ISO 8601
    holder: NotRequired[str]  # isrc_conflict in the catalogue: the track holding the ISRC


class Resolution(TypedDict):
    """A curator's decision on a note (a settled note is not raised again)."""

    kind: str
    source: str
    identifier: str
    decision: Literal["kept", "dismissed"]
    by: str
    at: str  # ISO 8601


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
    # A copy of the musicbrainz_id column as of the latest attempt: the original service's SQL
    # reads metadata->>'musicbrainz_id' (its /stats and due selection).
    musicbrainz_id: str
    notes: dict[str, dict[str, CuratorNote]]  # kind -> provider (or CATALOGUE) -> note
    resolved_notes: list[Resolution]  # a curator's decisions on notes, oldest first
    location: str  # the audio file's path, as an imported DJ library gave it (for export)


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


def location(track: Track) -> str | None:
    """The audio file's path an imported DJ library gave, or None."""
    return document(track).get("location") or None


def tags(track: Track) -> list[str]:
    """Last.fm's tags for the track."""
    return document(track).get("lastfm_tags") or []


def notes(track: Track) -> dict[str, dict[str, CuratorNote]]:
    """Kind -> source -> the curator note it raised."""
    return document(track).get("notes") or {}


def resolved_notes(track: Track) -> list[Resolution]:
    """A curator's decisions on notes, oldest first."""
    return document(track).get("resolved_notes") or []


def resolved_before(track: Track, kind: str, source: str, identifier: str) -> bool:
    """Did a curator settle this very note (same kind, source and identifier) before?"""
    return any(
        (done["kind"], done["source"], done["identifier"]) == (kind, source, identifier)
        for done in resolved_notes(track)
    )


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


def set_location(track: Track, path: str) -> None:
    """Keep the audio file's path (from an imported DJ library) for export."""
    _writable(track)["location"] = path


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


def add_note(
    track: Track,
    kind: str,
    source: str,
    note: CuratorNote,
) -> bool:
    """Raise a note (replacing the source's earlier one of that kind); False when a curator
    settled the same note before (kept or dismissed: it is not raised again)."""
    if kind not in NOTE_KINDS:
        raise ValueError(f"note kind {kind!r} is not one of {sorted(NOTE_KINDS)}")
    if resolved_before(track, kind, source, note["identifier"]):
        return False
    _writable(track).setdefault("notes", {}).setdefault(kind, {})[source] = note
    return True


def note_entry(
    identifier: str,
    found_by: str,
    details: Sequence[str],
    at: datetime,
    *,
    holder: uuid.UUID | str | None = None,
) -> CuratorNote:
    """The one shape of a curator note."""
    entry: CuratorNote = {
        "identifier": identifier,
        "found_by": found_by,
        "details": list(details),
        "at": at.isoformat(),
    }
    if holder is not None:
        entry["holder"] = str(holder)
    return entry


def clear_notes(track: Track, source: str, kinds: Iterable[str] = NOTE_KINDS) -> None:
    """Drop the source's notes of these kinds; empty kinds and the empty key go too."""
    metadata = _writable(track)
    for kind in kinds:
        metadata.get("notes", {}).get(kind, {}).pop(source, None)
        if not metadata.get("notes", {}).get(kind, True):
            metadata["notes"].pop(kind)
    if not metadata.get("notes", True):
        metadata.pop("notes")


def resolve_note(
    track: Track,
    kind: str,
    source: str,
    *,
    decision: Literal["kept", "dismissed"],
    curator: str,
    at: datetime,
) -> CuratorNote:
    """Close a note with a curator's decision; KeyError when there is no such note."""
    note = notes(track)[kind][source]
    clear_notes(track, source, [kind])
    resolution: Resolution = {
        "kind": kind,
        "source": source,
        "identifier": note["identifier"],
        "decision": decision,
        "by": curator,
        "at": at.isoformat(),
    }
    _writable(track).setdefault("resolved_notes", []).append(resolution)
    return note


def mark_enriched(track: Track, at: datetime) -> None:
    """Note when an attempt last merged into the track (and the MusicBrainz id it holds then)."""
    metadata = _writable(track)
    metadata["enriched_at"] = at.isoformat()
    if track.musicbrainz_id is not None:
        metadata["musicbrainz_id"] = str(track.musicbrainz_id)
    else:
        metadata.pop("musicbrainz_id", None)


# --- queries over the document ------------------------------------------------------------
def has_key(key: str) -> Q:
    """Tracks whose document holds the key (read by the key's partial index where one exists)."""
    return Q(metadata__has_key=key)


def awaiting_review(provider: str | None = None) -> Q:
    """Tracks with candidates waiting for a curator (from that provider, when given)."""
    if provider is None:
        return has_key(REVIEW_KEY)
    return Q(metadata__review__has_key=provider)


def has_note(kind: str | None = None) -> Q:
    """Tracks with a curator note (of that kind, when given)."""
    if kind is None:
        return has_key(NOTES_KEY)
    return Q(metadata__notes__has_key=kind)


def octave_flagged() -> Q:
    """Tracks whose sources disagree on the BPM by x2 or x1.5."""
    return has_key(OCTAVE_FLAG_KEY)


def with_data_from(provider: str) -> Q:
    """Tracks the provider supplied data for."""
    return Q(metadata__contains={SOURCES_KEY: [provider]})


def sources_used() -> KeyTransform:
    """The providers that supplied data, read from the document (for an annotation)."""
    return KeyTransform(SOURCES_KEY, "metadata")
