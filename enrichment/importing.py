"""Validate track rows and upsert them idempotently (reading files: import_reading.py)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from enrichment import identity
from enrichment.dj_formats.values import DJ_COLUMNS, LABEL_KEY, DjValues, apply_dj, validate_dj
from enrichment.import_batches import write_batch
from enrichment.import_conflicts import identity_conflict
from enrichment.import_reading import FileError, RowError, text_problem
from enrichment.models import ISRC_REGEX, SPOTIFY_ID_REGEX, Track, as_uuid, track_id_problem

COLUMNS = ("artist_name", "track_title", "track_id", "spotify_id", "isrc", *DJ_COLUMNS)
MAX_TEXT = 500
BATCH_SIZE = 2000  # rows per write: two lookups and one INSERT ... SELECT each


@dataclass(frozen=True)
class TrackRow:
    """One validated input row."""

    line: int
    artist_name: str
    title: str
    track_id: str | None = None  # the caller's id: our pk, or their own (external_id)
    spotify_id: str | None = None
    isrc: str | None = None
    dj: DjValues | None = None  # BPM, key, genre, label, location (enrichment/dj_formats/)


@dataclass
class ImportReport:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: RowError | None = None  # reading stopped there
    interrupted: bool = False  # stopped on request (Ctrl-C) before the end of the file
    last_line: int = 0  # the last line handled


def validate_row(number: int, raw: dict[str, Any]) -> TrackRow:
    """Check one raw row and return it typed, or raise RowError naming the field (and entry)."""
    label = raw.pop(LABEL_KEY, None)
    try:
        return _validate_row(number, raw)
    except RowError as error:
        if label:  # a DJ library entry: named as its file names it (TrackID, artist - title)
            message = str(error).removeprefix(f"line {number}: {error.field_name}: ")
            error.args = (f"entry {number} ({label}): {error.field_name}: {message}",)
        raise


def _validate_row(number: int, raw: dict[str, Any]) -> TrackRow:
    unknown = set(raw) - set(COLUMNS) - {None}
    if unknown:
        raise RowError(number, ",".join(sorted(map(str, unknown))), "unknown column")
    artist = _text(number, raw, "artist_name", required=True)
    title = _text(number, raw, "track_title", required=True)
    track_id = _text(number, raw, "track_id")
    problem = track_id_problem(track_id) if track_id else None
    if problem:
        raise RowError(number, "track_id", f"{track_id!r} {problem}")
    spotify_id = _text(number, raw, "spotify_id")
    isrc = (_text(number, raw, "isrc") or "").replace("-", "").upper() or None
    if isrc and not re.match(ISRC_REGEX, isrc):
        raise RowError(number, "isrc", f"{isrc!r} is not an ISRC (CC-XXX-YY-NNNNN)")
    if spotify_id and not re.match(SPOTIFY_ID_REGEX, spotify_id):
        raise RowError(number, "spotify_id", f"{spotify_id!r} is not a 22-character Spotify id")
    dj = validate_dj(number, raw)
    return TrackRow(number, str(artist), str(title), track_id, spotify_id, isrc, dj)


def _text(number: int, raw: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise RowError(number, name, "must be a string")
    value = (value or "").strip()
    if required and not value:
        raise RowError(number, name, "is required")
    problem = text_problem(value)
    if problem:
        raise RowError(number, name, problem)
    if len(value) > MAX_TEXT:
        raise RowError(number, name, f"longer than {MAX_TEXT} characters")
    return value or None


def find_existing(row: TrackRow) -> Track | None:
    """The track this row describes, matched by id, ISRC, Spotify id, then artist + title."""
    if row.track_id and (named_by_id := Track.objects.by_track_id(row.track_id)) is not None:
        return named_by_id
    lookups: list[dict[str, Any]] = []
    if row.isrc:
        lookups.append({"isrc": row.isrc})
    if row.spotify_id:
        lookups.append({"spotify_id": row.spotify_id})
    for lookup in lookups:
        track = Track.objects.filter(**lookup).first()
        if track is not None:
            return track
    # The oldest of a name is the canonical one (migration 0006 marked the others).
    named = identity.with_name(Track.objects.all(), row.artist_name, row.title)
    return named.order_by("created_at", "pk").first()


def upsert(row: TrackRow, *, refuse_conflicts: bool = False) -> tuple[str, Track]:
    """Create or fill in one track: ("created" | "updated" | "unchanged", the track).

    With refuse_conflicts, a row whose identifiers belong to another song raises its RowError
    instead of being merged into that song.
    """
    with transaction.atomic():
        track = find_existing(row)
        if refuse_conflicts and (conflict := identity_conflict(row, track)) is not None:
            raise conflict
        if track is None:
            new = Track(
                # A caller's UUID keeps serving as our pk too (as before external ids).
                id=(as_uuid(row.track_id) if row.track_id else None) or uuid.uuid4(),
                external_id=row.track_id,
                artist_name=row.artist_name,
                title=row.title,
                spotify_id=row.spotify_id,
                isrc=row.isrc,
            )
            # Another process may create it between the lookup and the insert: then use theirs.
            track, created = identity.insert_or_find(new, lambda: find_existing(row))
            if created:
                if dj_changed := apply_dj(track, row.dj):
                    track.save(update_fields=dj_changed)
                return "created", track
        # Identifiers only fill gaps: an import never overwrites what enrichment or a curator set.
        changed = [
            name
            for name in ("spotify_id", "isrc")
            if getattr(row, name) and not getattr(track, name) and name not in track.locked_fields
        ]
        if _adopts_track_id(row, track):
            changed.append("external_id")
        for name in changed:
            setattr(track, name, getattr(row, "track_id" if name == "external_id" else name))
        changed += apply_dj(track, row.dj)
        if changed:
            track.save(update_fields=[*changed, "updated_at"])
        return ("updated" if changed else "unchanged"), track


def _adopts_track_id(row: TrackRow, track: Track) -> bool:
    """Does the track (found by another identifier) take the row's id as its external id?"""
    return (
        bool(row.track_id)
        and track.external_id is None
        and not track.is_named_by(str(row.track_id))
    )


def upsert_one(raw: dict[str, Any]) -> uuid.UUID:
    """Validate and upsert one track given as a raw mapping; its id (RowError if invalid)."""
    _, track = upsert(validate_row(1, raw))
    return track.pk


def _never() -> bool:
    return False


def import_rows(
    rows: Iterable[tuple[int, dict[str, Any] | RowError]],
    report: ImportReport | None = None,
    stop: Callable[[], bool] = _never,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Validate and upsert every row (until `stop()`); bad rows are reported, never dropped.

    Any reader plugs in here: it yields (line number, raw mapping or that line's RowError).
    Valid rows are written `batch_size` at a time (import_batches.write_batch).
    """
    report = report if report is not None else ImportReport()
    batch: list[TrackRow] = []
    number = report.last_line
    try:
        for number, raw in rows:
            if stop():
                report.interrupted = True
                break
            row = _validated(number, raw, report)
            if row is not None:
                batch.append(row)
            if len(batch) >= batch_size or not batch:
                _flush(batch, report, number)
    except FileError as error:
        report.file_error = error
    # Stopped or not, the rows read are written (a second Ctrl-C rolls back only this batch).
    _flush(batch, report, number if report.interrupted is False else report.last_line)
    return report


def _validated(
    number: int, raw: dict[str, Any] | RowError, report: ImportReport
) -> TrackRow | None:
    try:
        if isinstance(raw, RowError):
            raise raw
        return validate_row(number, raw)
    except RowError as error:
        report.errors.append(error)
        return None


def _flush(batch: list[TrackRow], report: ImportReport, read_through: int) -> None:
    """Write the batch; every line up to `read_through` is then handled."""
    if not batch:
        report.last_line = max(report.last_line, read_through)
        return
    outcomes = write_batch(batch, _import_row)
    for outcome in outcomes:
        if isinstance(outcome, RowError):
            report.errors.append(outcome)
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
    report.errors.sort(key=lambda error: error.line)  # in line order, as read
    report.last_line = max(report.last_line, read_through, batch[-1].line)
    batch.clear()


def _import_row(row: TrackRow) -> str:
    try:
        outcome, _ = upsert(row, refuse_conflicts=True)
    except IntegrityError as error:  # another import saved the same identifier meanwhile
        raise RowError(row.line, "line", "conflicts with a track saved meanwhile") from error
    return outcome
