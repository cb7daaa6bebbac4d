"""An identifier a provider gives for a track that another track of ours already holds.

Track.isrc and Track.spotify_id are unique, so such a value is never written twice. When the
holder is the same recording (same base title, version and artist), this track is its
duplicate (`duplicate_of`, as before); when the holder is a different title or version, the
ISRC is in conflict: a curator note on this track (source CATALOGUE) names the holder, and
nothing spreads. A curator resolves the note: keep the ISRC on this track (it moves here from
the holder, locked on both so no enrichment moves it back) or dismiss it (never raised again).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.db import transaction
from django.utils import timezone

from enrichment import track_metadata
from enrichment.models import Track
from enrichment.titles import normalise, parse_title

ISRC_CONFLICT = "isrc_conflict"


class NoteGone(Exception):
    """The note is not there any more (resolved elsewhere, or cleared by a re-run)."""


def same_recording(first: tuple[str, str], second: tuple[str, str]) -> bool:
    """Do two (artist, title) pairs name one recording: base title, version and artist?"""
    (artist, title), (other_artist, other_title) = first, second
    parsed, other = parse_title(title), parse_title(other_title)
    return (
        normalise(artist) == normalise(other_artist)
        and parsed.base == other.base
        and (parsed.version.kinds, parsed.version.credit)
        == (other.version.kinds, other.version.credit)
    )


def without_held_identifiers(
    track: Track, changes: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The changes without an ISRC or Spotify id another track holds (noted on this track)."""
    for name in ("isrc", "spotify_id"):
        value = changes.get(name)
        if not value:
            continue
        holders = Track.objects.filter(**{name: value}).exclude(pk=track.pk)
        holder = holders.values_list("pk", "artist_name", "title").first()
        if holder is None:
            continue
        changes = {key: found for key, found in changes.items() if key != name}
        pk, artist, title = holder
        if name == "spotify_id":
            track_metadata.mark_duplicate(track, None, pk, spotify_id=value)
        elif same_recording((track.artist_name, track.title), (artist, title)):
            track_metadata.mark_duplicate(track, value, pk)
        else:
            details = [f"held by '{title}' by {artist} (track {pk})"]
            note = track_metadata.note_entry(value, "isrc", details, now, holder=pk)
            track_metadata.add_note(track, ISRC_CONFLICT, track_metadata.CATALOGUE, note)
    return changes


def resolve(
    track_id: uuid.UUID,
    source: str,
    decision: Literal["kept", "dismissed"],
    curator: str,
) -> track_metadata.CuratorNote:
    """A curator's decision on an ISRC conflict note of this track.

    kept: the ISRC is this track's: written here (taken from the holder in our catalogue,
    if one holds it) and locked on both tracks; dismissed: the track keeps what it has, and
    the same conflict is not noted again.
    """
    now = timezone.now()
    with transaction.atomic():
        track = Track.objects.select_for_update().get(pk=track_id)
        note = track_metadata.notes(track).get(ISRC_CONFLICT, {}).get(source)
        if note is None:
            raise NoteGone(f"no ISRC conflict from {source} on this track")
        if decision == "kept":
            _keep_isrc(track, note["identifier"], curator, now)
        track_metadata.resolve_note(
            track, ISRC_CONFLICT, source, decision=decision, curator=curator, at=now
        )
        track.save()
    return note


def _keep_isrc(track: Track, isrc: str, curator: str, now: datetime) -> None:
    """Move the ISRC to this track and lock it there and on the track that gave it up."""
    entry = track_metadata.provenance_entry(track_metadata.CURATOR, now, curator=curator)
    for holder in Track.objects.select_for_update().filter(isrc=isrc).exclude(pk=track.pk):
        holder.isrc = None
        holder.locked_fields = sorted({*holder.locked_fields, "isrc"})
        track_metadata.record_provenance(holder, "isrc", entry)
        holder.save(update_fields=["isrc", "locked_fields", "metadata", "updated_at"])
    track.isrc = isrc
    track.locked_fields = sorted({*track.locked_fields, "isrc"})
    track_metadata.record_provenance(track, "isrc", entry)
