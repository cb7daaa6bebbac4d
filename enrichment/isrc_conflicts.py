"""An identifier a provider gives for a track that another track of ours already holds.

Track.isrc and Track.spotify_id are unique, so such a value is never written twice. When the
holder is the same recording (same base title, version and artist), this track is its
duplicate (`duplicate_of`, as before); when the holder is a different title or version, the
ISRC is in conflict: a curator note on this track (source CATALOGUE) names the holder, and
nothing spreads. A curator resolves the note in the admin (enrichment/admin/notes.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection

from enrichment import track_metadata
from enrichment.models import Track
from enrichment.titles import normalise, parse_title

ISRC_CONFLICT = "isrc_conflict"


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
    first_holders = _first_holders(track, changes)
    for name in ("isrc", "spotify_id"):
        value = changes.get(name)
        if not value:
            continue
        holder = first_holders.get(name)
        if holder is None:
            if name == "isrc":  # written now: an earlier conflict over it is over
                _clear_settled_conflict(track, value)
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


# The other tracks holding a new ISRC or Spotify id (a column not changed is matched against
# NULL: nothing), by pk. Plain SQL: through the ORM, building this query was a twentieth of an
# attempt's CPU time.
_HOLDERS = f"""
SELECT id, artist_name, title, isrc, spotify_id
  FROM {Track._meta.db_table}
 WHERE (isrc = %(isrc)s OR spotify_id = %(spotify_id)s) AND id <> %(id)s
 ORDER BY id
"""


def _first_holders(track: Track, changes: dict[str, Any]) -> dict[str, tuple[Any, str, str]]:
    """Per identifier column changed, the first other track (by pk) holding the new value:
    (pk, artist, title). One query for both columns."""
    wanted = {name: changes[name] for name in ("isrc", "spotify_id") if changes.get(name)}
    if not wanted:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            _HOLDERS,
            {"isrc": wanted.get("isrc"), "spotify_id": wanted.get("spotify_id"), "id": track.pk},
        )
        rows = cursor.fetchall()
    first: dict[str, tuple[Any, str, str]] = {}
    for pk, artist, title, isrc, spotify_id in rows:
        for name, value in (("isrc", isrc), ("spotify_id", spotify_id)):
            if name in wanted and value == wanted[name]:
                first.setdefault(name, (pk, artist, title))
    return first


def _clear_settled_conflict(track: Track, isrc: str) -> None:
    """Drop the catalogue's conflict note about this ISRC (no other track holds it now)."""
    note = track_metadata.notes(track).get(ISRC_CONFLICT, {}).get(track_metadata.CATALOGUE)
    if note is not None and note["identifier"] == isrc:
        track_metadata.clear_notes(track, track_metadata.CATALOGUE, [ISRC_CONFLICT])
