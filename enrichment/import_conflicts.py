"""A row whose identifiers belong to a different song: a reported conflict, never a merge."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from enrichment.import_reading import RowError
from enrichment.models import Track
from enrichment.titles import normalise

if TYPE_CHECKING:
    from enrichment.importing import TrackRow

IDENTIFIERS = ("isrc", "spotify_id")


class KnownTrack(Protocol):
    """A stored track as the conflict rules read it (a Track, or a batch's view of one)."""

    @property
    def pk(self) -> Any: ...
    @property
    def artist_name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def isrc(self) -> str | None: ...
    @property
    def spotify_id(self) -> str | None: ...
    def is_named_by(self, track_id: str) -> bool: ...


Holders = Callable[[str, str], Sequence[KnownTrack]]


def stored_holders(field: str, value: str) -> list[Track]:
    """The stored tracks holding this identifier, in pk order."""
    return list(Track.objects.filter(**{field: value}).order_by("pk"))


def identity_conflict(
    row: TrackRow, target: KnownTrack | None, holders: Holders = stored_holders
) -> RowError | None:
    """Why `row` cannot land on `target` (the track it matched, if any), or None."""
    if target is not None and not same_song(row, target):
        field = matched_by(row, target)
        value = row.track_id if field == "track_id" else getattr(row, field)
        message = (
            f"{value} already belongs to {_song(target)}, not {_song(row)} (track {target.pk})"
        )
        return RowError(row.line, field, message)
    for field in IDENTIFIERS:
        value = getattr(row, field)
        if not value:
            continue
        others = [held for held in holders(field, value) if target is None or held.pk != target.pk]
        if others:
            holder = others[0]
            message = (
                f"{value} already belongs to another track, {_song(holder)} (track {holder.pk})"
            )
            return RowError(row.line, field, message)
    return None


def same_song(row: TrackRow, track: KnownTrack) -> bool:
    """Do the row and the track name the same artist and title (case, accents, spacing aside)?"""
    if row.artist_name == track.artist_name and row.title == track.title:
        return True  # the common case (a re-import), without normalising
    return normalise(row.artist_name) == normalise(track.artist_name) and normalise(
        row.title
    ) == normalise(track.title)


def matched_by(row: TrackRow, track: KnownTrack) -> str:
    """The row's field that made it match `track`."""
    if row.track_id and track.is_named_by(row.track_id):
        return "track_id"
    for field in IDENTIFIERS:
        value = getattr(row, field)
        if value is not None and value == getattr(track, field):
            return field
    return "artist_name,track_title"


def _song(item: TrackRow | KnownTrack) -> str:
    return f"'{item.title}' by {item.artist_name}"
