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
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction

from enrichment.import_conflicts import identity_conflict
from enrichment.import_reading import RowError
from enrichment.models import as_uuid

if TYPE_CHECKING:
    from enrichment.importing import TrackRow


UUID_HEX_DIGITS = 32  # the shortest spelling of a UUID
Outcome = str | RowError  # "created" | "updated" | "unchanged", or the row's error
NORMALISED = "lower(btrim(regexp_replace({}, '\\s+', ' ', 'g')))"  # as identity.Normalised
_KNOWN_COLUMNS = "id, external_id, artist_name, title, spotify_id, isrc, locked_fields, created_at"
_STAGING = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS import_staging (n integer, id uuid, external_id text,"
    " artist_name text, title text, spotify_id text, isrc text) ON COMMIT DELETE ROWS"
)
_COPY = "COPY import_staging (n, id, external_id, artist_name, title, spotify_id, isrc) FROM STDIN"
_NAME_KEYS = (
    f"SELECT {NORMALISED.format('artist_name')}, {NORMALISED.format('title')} "
    "FROM import_staging ORDER BY n"
)
_SELECT_KNOWN = (
    f"SELECT {_KNOWN_COLUMNS}, {NORMALISED.format('artist_name')}, {NORMALISED.format('title')} "
    "FROM tracks"
)
# Per staged row, one index scan per identifier and one by name (an OR would read the table).
_KNOWN = (
    "SELECT known.* FROM import_staging AS s CROSS JOIN LATERAL ("
    f"{_SELECT_KNOWN} WHERE id = s.id "
    f"UNION ALL {_SELECT_KNOWN} WHERE external_id = s.external_id "
    f"UNION ALL {_SELECT_KNOWN} WHERE isrc = s.isrc "
    f"UNION ALL {_SELECT_KNOWN} WHERE spotify_id = s.spotify_id "
    f"UNION ALL {_SELECT_KNOWN} WHERE {NORMALISED.format('artist_name')} = "
    f"{NORMALISED.format('s.artist_name')} AND {NORMALISED.format('title')} = "
    f"{NORMALISED.format('s.title')}) AS known"
)
# The new tracks and their pending status rows, in one statement: its row count is how many
# tracks were inserted (fewer when another writer holds one of their identities now).
_INSERT = (
    "WITH inserted AS (INSERT INTO tracks (id, external_id, artist_name, title, spotify_id, isrc)"
    " SELECT id, external_id, artist_name, title, spotify_id, isrc FROM import_staging"
    " ON CONFLICT DO NOTHING RETURNING id) "
    "INSERT INTO enrichment_status (track_id) SELECT id FROM inserted ON CONFLICT DO NOTHING"
)
_UPDATE = (
    "UPDATE tracks SET spotify_id = %s, isrc = %s, external_id = %s, updated_at = now() "
    "WHERE id = %s"
)
Staged = tuple[int, uuid.UUID | None, str | None, str, str, str | None, str | None]


def _stage(rows: Sequence[Staged]) -> None:
    """Put these rows (alone) in this connection's temporary staging table."""
    with connection.cursor() as cursor:
        cursor.execute(_STAGING)
        cursor.execute("TRUNCATE import_staging")
        with cursor.cursor.copy(_COPY) as copy:
            for row in rows:
                copy.write_row(row)


def _pk(track_id: str) -> uuid.UUID | None:
    """as_uuid, without raising (slowly) for the ids that are too short to spell a UUID."""
    return as_uuid(track_id) if len(track_id) >= UUID_HEX_DIGITS else None


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
        return track_id == self.external_id or _pk(track_id) == self.pk


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
            pk = _pk(row.track_id)
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
    if any(row.dj for row in rows):  # DJ values (bpm, key, location, ...): the row-by-row path
        return [_one(row, one_by_one) for row in rows]
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
    _stage([_staged(n, row) for n, row in enumerate(rows)])
    keys = _name_keys()
    index = _Index()
    for track in _known():
        index.add(track)
    planned: list[Known] = []
    outcomes = [_plan(row, key, index, planned) for row, key in zip(rows, keys, strict=True)]
    _insert(planned)
    _update([track for track in index.by_pk.values() if track.changed and track.created_at])
    return outcomes


def _staged(n: int, row: TrackRow) -> Staged:
    pk = _pk(row.track_id) if row.track_id else None
    return (n, pk, row.track_id, row.artist_name, row.title, row.spotify_id, row.isrc)


def _name_keys() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(_NAME_KEYS)
        return [(artist, title) for artist, title in cursor.fetchall()]


def _known() -> list[Known]:
    with connection.cursor() as cursor:
        cursor.execute(_KNOWN)
        found = {row[0]: row for row in cursor.fetchall()}  # a track matched twice: once
    return [_known_track(row) for row in found.values()]


def _known_track(row: tuple[Any, ...]) -> Known:
    pk, external_id, artist_name, title, spotify_id, isrc, locked, created_at, *key = row
    return Known(
        pk, external_id, artist_name, title, spotify_id, isrc, locked, created_at, (key[0], key[1])
    )


def _plan(row: TrackRow, key: tuple[str, str], index: _Index, planned: list[Known]) -> Outcome:
    """What upsert(row, refuse_conflicts=True) does, applied to the known tracks."""
    track = index.find(row, key)
    conflict = identity_conflict(row, track, holders=index.holders)
    if conflict is not None:
        return conflict
    if track is None:
        new = Known(
            pk=(_pk(row.track_id) if row.track_id else None) or uuid.uuid4(),
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
    _stage(
        [
            (n, t.pk, t.external_id, t.artist_name, t.title, t.spotify_id, t.isrc)
            for n, t in enumerate(planned)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(_INSERT)
        if cursor.rowcount != len(planned):
            raise _Unseen  # another writer holds one of these identities now


def _update(changed: list[Known]) -> None:
    if not changed:
        return
    params = [(track.spotify_id, track.isrc, track.external_id, track.pk) for track in changed]
    with connection.cursor() as cursor:
        cursor.executemany(_UPDATE, params)
