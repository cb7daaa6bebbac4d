"""Write validated import rows in batches: one COPY, two lookups, one INSERT ... SELECT.

The row-by-row rules of importing.upsert hold unchanged (match by track id, ISRC, Spotify id,
then name; identifiers only fill gaps; a row whose identifiers belong to another song is a
reported conflict): they are applied in Python, in line order, to the batch's known tracks,
which a batch reads at once. A batch that meets something its lookups did not see (another
writer's row: a unique violation) is rolled back and imported row by row instead, so the
outcome is always the row-by-row one.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
# The staged rows' name keys are computed once, by the COPY (generated columns).
_STAGING = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS import_rows_staged (n integer, id uuid,"
    " external_id text, artist_name text, title text, spotify_id text, isrc text,"
    f" artist_key text GENERATED ALWAYS AS ({NORMALISED.format('artist_name')}) STORED,"
    f" title_key text GENERATED ALWAYS AS ({NORMALISED.format('title')}) STORED)"
    " ON COMMIT DELETE ROWS"
)
_COPY = (
    "COPY import_rows_staged (n, id, external_id, artist_name, title, spotify_id, isrc) FROM STDIN"
)
_NAME_KEYS = "SELECT artist_key, title_key FROM import_rows_staged ORDER BY n"
# created_at as epoch seconds: a float loads far faster than a timestamptz.
_SELECT_KNOWN = (
    "SELECT id, external_id, artist_name, title, spotify_id, isrc, locked_fields,"
    f" date_part('epoch', created_at), {NORMALISED.format('artist_name')} AS artist_key,"
    f" {NORMALISED.format('title')} AS title_key FROM tracks"
)
# Per staged row, one index scan per identifier and one by name (an OR would read the table;
# a join could be planned as a scan of every track per batch). Each track once.
_KNOWN = (
    "SELECT DISTINCT ON (known.id) known.* FROM import_rows_staged AS s CROSS JOIN LATERAL ("
    f"{_SELECT_KNOWN} WHERE id = s.id "
    f"UNION ALL {_SELECT_KNOWN} WHERE external_id = s.external_id "
    f"UNION ALL {_SELECT_KNOWN} WHERE isrc = s.isrc "
    f"UNION ALL {_SELECT_KNOWN} WHERE spotify_id = s.spotify_id "
    f"UNION ALL {_SELECT_KNOWN} WHERE {NORMALISED.format('artist_name')} = s.artist_key"
    f" AND {NORMALISED.format('title')} = s.title_key) AS known"
)
# The new tracks (staged rows by number; an id drawn here unless the batch needed it) and
# their pending status rows, in one statement. A plain INSERT: an identity another writer saved
# meanwhile is a unique violation, and the batch is then redone row by row.
_INSERT = (
    "WITH inserted AS (INSERT INTO tracks (id, external_id, artist_name, title, spotify_id, isrc)"
    " SELECT coalesce(new.id, s.id, gen_random_uuid()), s.external_id, s.artist_name, s.title,"
    " s.spotify_id, s.isrc FROM unnest(%s::integer[], %s::uuid[]) AS new (n, id)"
    " JOIN import_rows_staged AS s USING (n) RETURNING id) "
    "INSERT INTO enrichment_status (track_id) SELECT id FROM inserted"
)
_UPDATE = (
    "UPDATE tracks SET spotify_id = new.spotify_id, isrc = new.isrc,"
    " external_id = new.external_id, updated_at = now()"
    " FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[])"
    " AS new (id, spotify_id, isrc, external_id) WHERE tracks.id = new.id"
)
Staged = tuple[int, uuid.UUID | None, str | None, str, str, str | None, str | None]


def _stage(rows: Sequence[Staged]) -> None:
    """Put these rows (alone) in this connection's temporary staging table."""
    with connection.cursor() as cursor:
        cursor.execute(_STAGING)
        cursor.execute("TRUNCATE import_rows_staged")
        with cursor.cursor.copy(_COPY) as copy:
            for row in rows:
                copy.write_row(row)


def _pk(track_id: str) -> uuid.UUID | None:
    """as_uuid, without raising (slowly) for the ids that are too short to spell a UUID."""
    return as_uuid(track_id) if len(track_id) >= UUID_HEX_DIGITS else None


@dataclass(eq=False, slots=True)
class Known:
    """A track as a batch sees it: read from the database, or planned by an earlier row."""

    id: uuid.UUID | None  # None: a planned track whose id nobody asked for yet
    external_id: str | None
    artist_name: str
    title: str
    spotify_id: str | None
    isrc: str | None
    locked_fields: Sequence[str]
    created: float | None  # epoch seconds; None: planned in this batch (newer than any stored)
    name_key: tuple[str, str]
    staged: int = -1  # a planned track: the staged row that creates it
    changed: set[str] | None = None

    @property
    def pk(self) -> uuid.UUID:
        """The track's id (drawn now for a planned track that has none yet)."""
        if self.id is None:
            self.id = uuid.uuid4()
        return self.id

    def is_named_by(self, track_id: str) -> bool:
        if track_id == self.external_id:
            return True
        pk = _pk(track_id)
        return pk is not None and pk == self.pk


class _Index:
    """The batch's known tracks by each identifier a row may name."""

    def __init__(self) -> None:
        self.tracks: list[Known] = []
        self.by_pk: dict[uuid.UUID, Known] = {}
        self.by_external: dict[str, Known] = {}
        self.by_isrc: dict[str, list[Known]] = defaultdict(list)
        self.by_spotify: dict[str, list[Known]] = defaultdict(list)
        self.by_name: dict[tuple[str, str], list[Known]] = defaultdict(list)

    def add(self, track: Known) -> None:
        self.tracks.append(track)
        if track.id is not None:  # a drawn id names no row of the file
            self.by_pk[track.id] = track
        self.by_name[track.name_key].append(track)
        if track.external_id is not None:
            self.by_external[track.external_id] = track
        if track.isrc is not None:
            self.by_isrc[track.isrc].append(track)
        if track.spotify_id is not None:
            self.by_spotify[track.spotify_id].append(track)

    def note(self, name: str, track: Known) -> None:
        """The track took this identifier (it had none)."""
        value = getattr(track, name)
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
            if value and (found := holders.get(value)):
                return _first(found)
        named_alike = self.by_name.get(name_key)
        return min(named_alike, key=_age) if named_alike else None

    def holders(self, name: str, value: str) -> list[Known]:
        """The known tracks holding this ISRC or Spotify id, in the database's pk order."""
        found = (self.by_isrc if name == "isrc" else self.by_spotify).get(value)
        if not found:
            return []
        return sorted(found, key=_by_pk) if len(found) > 1 else list(found)


def _by_pk(track: Known) -> uuid.UUID:
    return track.pk


def _first(tracks: list[Known]) -> Known:
    return tracks[0] if len(tracks) == 1 else min(tracks, key=_by_pk)


def _age(track: Known) -> tuple[int, float, uuid.UUID]:
    if track.created is None:
        return (1, 0.0, track.pk)
    return (0, track.created, track.pk)


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
    except IntegrityError:  # another writer saved one of these identities meanwhile
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
    outcomes = [
        _plan(n, row, key, index, planned)
        for n, (row, key) in enumerate(zip(rows, keys, strict=True))
    ]
    # Read before the insert: a planned track that changed is updated by the id drawn here.
    updates = _update_columns([track for track in index.tracks if track.changed])
    _insert(planned)
    if updates[0]:
        with connection.cursor() as cursor:
            cursor.execute(_UPDATE, updates)
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
        return [_known_track(row) for row in cursor.fetchall()]


def _known_track(row: tuple[Any, ...]) -> Known:
    pk, external_id, artist_name, title, spotify_id, isrc, locked, created, *key = row
    return Known(
        pk, external_id, artist_name, title, spotify_id, isrc, locked, created, (key[0], key[1])
    )


def _plan(
    n: int, row: TrackRow, key: tuple[str, str], index: _Index, planned: list[Known]
) -> Outcome:
    """What upsert(row, refuse_conflicts=True) does, applied to the known tracks."""
    track = index.find(row, key)
    conflict = identity_conflict(row, track, holders=index.holders)
    if conflict is not None:
        return conflict
    if track is None:
        pk = _pk(row.track_id) if row.track_id else None
        new = Known(
            pk, row.track_id, row.artist_name, row.title, row.spotify_id, row.isrc, (), None, key, n
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
    if not changed:
        return "unchanged"
    for name in changed:
        setattr(track, name, getattr(row, "track_id" if name == "external_id" else name))
        index.note(name, track)
    track.changed = (track.changed or set()) | set(changed)
    return "updated"


def _insert(planned: list[Known]) -> None:
    if not planned:
        return
    numbers = [track.staged for track in planned]
    ids = [track.id for track in planned]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [numbers, ids])


def _update_columns(changed: list[Known]) -> list[list[Any]]:
    """_UPDATE's arrays: id, spotify_id, isrc, external_id of each changed track."""
    return [
        [track.pk for track in changed],
        [track.spotify_id for track in changed],
        [track.isrc for track in changed],
        [track.external_id for track in changed],
    ]
