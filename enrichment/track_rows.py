"""A track and its status row in one plain statement, built into model instances.

An attempt claims its track and reads it (`claim`: one UPDATE ... RETURNING joined to the
track), then reads it again locked, to merge (`load`). Through the ORM each read
compiled a select_related query, a tenth of an attempt's CPU time; this statement is built
once per process and its values go through the same converters the ORM applies.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Field, Model

from enrichment.models import EnrichmentStatus, Track

Converter = Callable[[Any, Any, Any], Any]


def load(track_id: uuid.UUID | str, *, lock: bool = False) -> Track:
    """The track with its `enrichment_status` in place; with `lock`, both rows locked (FOR
    UPDATE) until the transaction ends. Track.DoesNotExist without the track;
    EnrichmentStatus.DoesNotExist with `lock` when it has no status row (a track without
    one otherwise reads it from the database on first use, as the ORM does)."""
    with connection.cursor() as cursor:
        cursor.execute(_sql(lock), [_uuid(track_id)])
        row = cursor.fetchone()
    if row is None:
        missing = EnrichmentStatus if lock else Track
        raise missing.DoesNotExist(f"no {missing._meta.db_table} row for track {track_id}")
    width = len(_fields(Track))
    if row[width] is None:  # no status row (the LEFT JOIN's NULLs)
        track: Track = _instance(Track, row[:width])
        return track
    return _track_with_status(row)


def claim(
    track_id: uuid.UUID | str, *, status: str, now: datetime, stale: datetime
) -> Track | None:
    """Set the track's status row to `status` (claimed now) unless it already is and was
    claimed at or after `stale`; the track with that updated row in place, or None when
    nothing was claimed (the claim is held, or there is no status row)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _claim_sql(), {"id": _uuid(track_id), "status": status, "now": now, "stale": stale}
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return _track_with_status(row)


def _track_with_status(row: tuple[Any, ...]) -> Track:
    width = len(_fields(Track))
    track: Track = _instance(Track, row[:width])
    status = _instance(EnrichmentStatus, row[width:])
    track._state.fields_cache["enrichment_status"] = status
    status._state.fields_cache["track"] = track
    return track


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _instance(model: type[Model], values: tuple[Any, ...]) -> Any:
    converted = []
    for value, (column, chain) in zip(values, _converters(model), strict=True):
        for convert in chain:
            value = convert(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in _fields(model)], converted)


@functools.cache
def _fields(model: type[Model]) -> tuple[Field[Any, Any], ...]:
    return tuple(model._meta.concrete_fields)


@functools.cache
def _converters(model: type[Model]) -> tuple[tuple[Any, tuple[Converter, ...]], ...]:
    """Per column, its expression and the backend's and field's converters (what the ORM's
    compiler runs on each value it reads)."""
    chains = []
    for field in _fields(model):
        column = field.get_col(model._meta.db_table)
        chain = (*connection.ops.get_db_converters(column), *column.get_db_converters(connection))
        chains.append((column, chain))
    return tuple(chains)


@functools.cache
def _sql(lock: bool) -> str:
    tracks, statuses = Track._meta.db_table, EnrichmentStatus._meta.db_table
    columns = [f't."{f.column}"' for f in _fields(Track)]
    columns += [f's."{f.column}"' for f in _fields(EnrichmentStatus)]
    on = f's."{EnrichmentStatus._meta.get_field("track").column}" = t."{Track._meta.pk.column}"'
    join = "JOIN" if lock else "LEFT JOIN"
    sql = (
        f'SELECT {", ".join(columns)} FROM "{tracks}" AS t {join} "{statuses}" AS s ON {on}'
        f' WHERE t."{Track._meta.pk.column}" = %s'
    )
    return sql + (" FOR UPDATE OF t, s" if lock else "")


@functools.cache
def _claim_sql() -> str:
    tracks, statuses = Track._meta.db_table, EnrichmentStatus._meta.db_table
    column = {name: _column(EnrichmentStatus, name) for name in CLAIM_FIELDS}
    track_id, pk = column["track"], Track._meta.pk.column
    columns = [f't."{f.column}"' for f in _fields(Track)]
    columns += [f'c."{f.column}"' for f in _fields(EnrichmentStatus)]
    return (
        f'WITH c AS (UPDATE "{statuses}" SET "{column["status"]}" = %(status)s,'
        f' "{column["claimed_at"]}" = %(now)s, "{column["last_attempt"]}" = %(now)s'
        f' WHERE "{track_id}" = %(id)s'
        f' AND ("{column["status"]}" <> %(status)s OR "{column["claimed_at"]}" < %(stale)s)'
        " RETURNING *)"
        f' SELECT {", ".join(columns)} FROM c JOIN "{tracks}" AS t ON t."{pk}" = c."{track_id}"'
    )


CLAIM_FIELDS = ("track", "status", "claimed_at", "last_attempt")


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return str(field.column)
