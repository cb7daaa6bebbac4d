"""Write validated import rows in batches: two lookups, one INSERT ... SELECT, one status insert.

The row-by-row rules of importing.upsert hold unchanged (match by track id, ISRC, Spotify id,
then name; identifiers only fill gaps; a row whose identifiers belong to another song is a
reported conflict): they are applied in Python, in line order, to the batch's known tracks,
which a batch reads at once. A batch that meets something its lookups did not see (another
writer's row) is rolled back and imported row by row instead, so the outcome is always the
row-by-row one.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, connection, transaction

from enrichment.import_conflicts import identity_conflict
from enrichment.import_reading import RowError
from enrichment.models import as_uuid

if TYPE_CHECKING:
    from enrichment.importing import TrackRow

Outcome = str | RowError  # "created" | "updated" | "unchanged", or the row's error
NORMALISED = "lower(btrim(regexp_replace({}, '\\s+', ' ', 'g')))"  # as identity.Normalised
_KNOWN_COLUMNS = "id, external_id, artist_name, title, spotify_id, isrc, locked_fields, created_at"
_NAME_KEYS = (
    f"SELECT {NORMALISED.format('a')}, {NORMALISED.format('t')} "
    "FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS u(a, t, n) ORDER BY n"
)
_KNOWN = (
    f"SELECT {_KNOWN_COLUMNS}, {NORMALISED.format('artist_name')}, {NORMALISED.format('title')} "
    "FROM tracks WHERE id = ANY(%s::uuid[]) OR external_id = ANY(%s::text[]) "
    "OR isrc = ANY(%s::text[]) OR spotify_id = ANY(%s::text[]) "
    f"OR ({NORMALISED.format('artist_name')} = ANY(%s::text[]) "
    f"AND {NORMALISED.format('title')} = ANY(%s::text[]))"
)
_INSERT = (
    "INSERT INTO tracks (id, external_id, artist_name, title, spotify_id, isrc) "
    "SELECT * FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], %s::text[], "
    "%s::text[]) ON CONFLICT DO NOTHING RETURNING id"
)
_INSERT_STATUS = (
    "INSERT INTO enrichment_status (track_id) SELECT unnest(%s::uuid[]) ON CONFLICT DO NOTHING"
)
_UPDATE = (
    "UPDATE tracks SET spotify_id = %s, isrc = %s, external_id = %s, updated_at = now() "
    "WHERE id = %s"
)


class _Unseen(Exception):
    """A write met a row the batch's lookups did not see: redo the batch row by row."""


@dataclass(eq=False)
class Known:
    """A track as a batch sees it: read from the database, or planned by an earlier row."""

    pk: uuid.UUID
    external_id: str | None
    artist_name: str
    title: str
    spotify_id: str | None
    isrc: str | None
    locked_fields: list[str]
    created_at: datetime | None  # None: planned in this batch (newer than every stored track)
    name_key: tuple[str, str]
    changed: set[str] = field(default_factory=set)

    def is_named_by(self, track_id: str) -> bool:
        return track_id == self.external_id or as_uuid(track_id) == self.pk


class _Index:
    """The batch's known tracks by each identifier a row may name."""

    def __init__(self) -> None:
        self.by_pk: dict[uuid.UUID, Known] = {}
        self.by_external: dict[str, Known] = {}
        self.by_isrc: dict[str, list[Known]] = defaultdict(list)
        self.by_spotify: dict[str, list[Known]] = defaultdict(list)
        self.by_name: dict[tuple[str, str], list[Known]] = defaultdict(list)

    def add(self, track: Known) -> None:
        self.by_pk[track.pk] = track
        self.by_name[track.name_key].append(track)
        self.note("external_id", track)
        self.note("isrc", track)
        self.note("spotify_id", track)

    def note(self, name: str, track: Known) -> None:
        value = getattr(track, name)
        if value is None:
            return
        if name == "external_id":
            self.by_external[value] = track
        else:
            holders = (self.by_isrc if name == "isrc" else self.by_spotify)[value]
            if track not in holders:
                holders.append(track)

    def find(self, row: TrackRow, name_key: tuple[str, str]) -> Known | None:
        """importing.find_existing over the known tracks."""
        if row.track_id:
            pk = as_uuid(row.track_id)
            named = (self.by_pk.get(pk) if pk else None) or self.by_external.get(row.track_id)
            if named is not None:
                return named
        for value, holders in ((row.isrc, self.by_isrc), (row.spotify_id, self.by_spotify)):
            if value and holders.get(value):
                return _first(holders[value])
        named_alike = self.by_name.get(name_key)
        return min(named_alike, key=_age) if named_alike else None

    def holders(self, name: str, value: str) -> list[Known]:
        """The known tracks holding this ISRC or Spotify id, in the database's pk order."""
        found = (self.by_isrc if name == "isrc" else self.by_spotify).get(value, [])
        return sorted(found, key=lambda track: track.pk)


def _first(tracks: list[Known]) -> Known:
    return min(tracks, key=lambda track: track.pk)


def _age(track: Known) -> tuple[int, float, uuid.UUID]:
    if track.created_at is None:
        return (1, 0.0, track.pk)
    return (0, track.created_at.timestamp(), track.pk)


def write_batch(rows: Sequence[TrackRow], one_by_one: Callable[[TrackRow], str]) -> list[Outcome]:
    """Import `rows` (validated, in line order); each row's outcome, as upsert would give it.

    `one_by_one` imports a single row (the row-by-row path) when the batch must be redone.
    """
    if not rows:
        return []
    try:
        with transaction.atomic():
            return _write(rows)
    except (_Unseen, IntegrityError):
        return [_one(row, one_by_one) for row in rows]


def _one(row: TrackRow, one_by_one: Callable[[TrackRow], str]) -> Outcome:
    try:
        return one_by_one(row)
    except RowError as error:
        return error


def _write(rows: Sequence[TrackRow]) -> list[Outcome]:
    keys = _name_keys(rows)
    index = _Index()
    for track in _known(rows, keys):
        index.add(track)
    planned: list[Known] = []
    outcomes = [_plan(row, key, index, planned) for row, key in zip(rows, keys, strict=True)]
    _insert(planned)
    _update([track for track in index.by_pk.values() if track.changed and track.created_at])
    return outcomes


def _name_keys(rows: Sequence[TrackRow]) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(_NAME_KEYS, [[row.artist_name for row in rows], [row.title for row in rows]])
        return [(artist, title) for artist, title in cursor.fetchall()]


def _known(rows: Sequence[TrackRow], keys: list[tuple[str, str]]) -> list[Known]:
    ids = [row.track_id for row in rows if row.track_id]
    params = [
        [pk for pk in map(as_uuid, ids) if pk],
        ids,
        [row.isrc for row in rows if row.isrc],
        [row.spotify_id for row in rows if row.spotify_id],
        sorted({artist for artist, _ in keys}),
        sorted({title for _, title in keys}),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_KNOWN, params)
        return [Known(*found[:8], name_key=(found[8], found[9])) for found in cursor.fetchall()]


def _plan(row: TrackRow, key: tuple[str, str], index: _Index, planned: list[Known]) -> Outcome:
    """What upsert(row, refuse_conflicts=True) does, applied to the known tracks."""
    track = index.find(row, key)
    conflict = identity_conflict(row, track, holders=index.holders)
    if conflict is not None:
        return conflict
    if track is None:
        new = Known(
            pk=(as_uuid(row.track_id) if row.track_id else None) or uuid.uuid4(),
            external_id=row.track_id,
            artist_name=row.artist_name,
            title=row.title,
            spotify_id=row.spotify_id,
            isrc=row.isrc,
            locked_fields=[],
            created_at=None,
            name_key=key,
        )
        index.add(new)
        planned.append(new)
        return "created"
    changed = [
        name
        for name in ("spotify_id", "isrc")
        if getattr(row, name) and not getattr(track, name) and name not in track.locked_fields
    ]
    if row.track_id and track.external_id is None and not track.is_named_by(row.track_id):
        changed.append("external_id")
    for name in changed:
        setattr(track, name, getattr(row, "track_id" if name == "external_id" else name))
        index.note(name, track)
    track.changed.update(changed)
    return "updated" if changed else "unchanged"


def _insert(planned: list[Known]) -> None:
    if not planned:
        return
    columns = ("pk", "external_id", "artist_name", "title", "spotify_id", "isrc")
    params = [[getattr(track, name) for track in planned] for name in columns]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, params)
        inserted = [found for (found,) in cursor.fetchall()]
        if len(inserted) != len(planned):
            raise _Unseen  # another writer holds one of these identities now
        cursor.execute(_INSERT_STATUS, [inserted])


def _update(changed: list[Known]) -> None:
    if not changed:
        return
    params = [(track.spotify_id, track.isrc, track.external_id, track.pk) for track in changed]
    with connection.cursor() as cursor:
        cursor.executemany(_UPDATE, params)
