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
from enrichment.import_ahead import Batch, ReadAhead
from enrichment.import_batches import write_batch
from enrichment.import_conflicts import identity_conflict
from enrichment.import_reading import RowError, text_problem
from enrichment.models import ISRC_REGEX, SPOTIFY_ID_REGEX, Track, as_uuid, track_id_problem

COLUMNS = ("artist_name", "track_title", "track_id", "spotify_id", "isrc", *DJ_COLUMNS)
MAX_TEXT = 500
BATCH_SIZE = 10_000  # rows per write (one COPY, two lookups, one INSERT ... SELECT): fewer commits
_KNOWN_COLUMNS = frozenset([*COLUMNS, None])  # None: csv.DictReader's key for extra values
_ISRC = re.compile(ISRC_REGEX)
_SPOTIFY_ID = re.compile(SPOTIFY_ID_REGEX)


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
    if not raw.keys() <= _KNOWN_COLUMNS:
        unknown = set(raw) - _KNOWN_COLUMNS
        raise RowError(number, ",".join(sorted(map(str, unknown))), "unknown column")
    artist = _text(number, raw, "artist_name", required=True)
    title = _text(number, raw, "track_title", required=True)
    track_id = _text(number, raw, "track_id")
    problem = track_id_problem(track_id) if track_id else None
    if problem:
        raise RowError(number, "track_id", f"{track_id!r} {problem}")
    spotify_id = _text(number, raw, "spotify_id")
    isrc = _text(number, raw, "isrc")
    if isrc:
        isrc = isrc.replace("-", "").upper() or None
    if isrc and not _ISRC.match(isrc):
        raise RowError(number, "isrc", f"{isrc!r} is not an ISRC (CC-XXX-YY-NNNNN)")
    if spotify_id and not _SPOTIFY_ID.match(spotify_id):
        raise RowError(number, "spotify_id", f"{spotify_id!r} is not a 22-character Spotify id")
    dj = None if raw.keys().isdisjoint(DJ_COLUMNS) else validate_dj(number, raw)
    return TrackRow(number, str(artist), str(title), track_id, spotify_id, isrc, dj)


def _text(number: int, raw: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise RowError(number, name, "must be a string")
    value = value.strip() if value else ""
    if required and not value:
        raise RowError(number, name, "is required")
    # ASCII text can only be refused for a NUL (checked without encoding it).
    problem = text_problem(value) if not value.isascii() or "\x00" in value else None
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
    A thread reads and validates the rows (import_ahead.py) while valid rows are written
    `batch_size` at a time (import_batches.write_batch).
    """
    report = report if report is not None else ImportReport()
    # Stopped or not, the rows read are written (a second Ctrl-C rolls back only this batch).
    with ReadAhead(rows, _validated, stop, batch_size, report.last_line) as batches:
        for batch in batches:
            _flush(batch, report)
    return report


def _validated(number: int, raw: dict[str, Any] | RowError) -> TrackRow | RowError:
    if isinstance(raw, RowError):
        return raw
    try:
        return validate_row(number, raw)
    except RowError as error:
        return error


def _flush(batch: Batch[TrackRow], report: ImportReport) -> None:
    """Write the batch's rows and report them and its errors."""
    report.errors.extend(batch.errors)
    for outcome in write_batch(batch.rows, _import_row):
        if isinstance(outcome, RowError):
            report.errors.append(outcome)
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
    report.errors.sort(key=lambda error: error.line)  # in line order, as read
    report.last_line = max(report.last_line, batch.last_line)
    report.interrupted = report.interrupted or batch.stopped
    report.file_error = batch.file_error or report.file_error


def _import_row(row: TrackRow) -> str:
    try:
        outcome, _ = upsert(row, refuse_conflicts=True)
    except IntegrityError as error:  # another import saved the same identifier meanwhile
        raise RowError(row.line, "line", "conflicts with a track saved meanwhile") from error
    return outcome
