"""Curator decisions on a track's notes (track_metadata.NOTE_KINDS).

Every note can be dismissed. An ISRC conflict can also be resolved by keeping the ISRC on
this track: it is written here with curator provenance (taken from the track of ours that held
it, if any) and locked on both tracks, so no later enrichment moves it back. Either way the
same note (kind, source, identifier) is not raised again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from enrichment import track_metadata
from enrichment.isrc_conflicts import ISRC_CONFLICT
from enrichment.models import Track

Decision = Literal["kept", "dismissed"]
DECISIONS: tuple[Decision, ...] = ("kept", "dismissed")


class NoteGone(Exception):
    """The note is not there any more (resolved elsewhere, or cleared by a re-run)."""


@dataclass(frozen=True)
class NoteRow:
    """One note on the track page."""

    kind: str
    label: str
    source: str
    note: track_metadata.CuratorNote

    @property
    def at(self) -> datetime | None:
        return parse_datetime(self.note["at"])

    @property
    def keepable(self) -> bool:
        """Can a curator settle it by keeping the ISRC on this track?"""
        return self.kind == ISRC_CONFLICT and self.note["found_by"] == "isrc"


def note_rows(track: Track) -> list[NoteRow]:
    """The track's notes, kind by kind in NOTE_KINDS order, then by source."""
    notes = track_metadata.notes(track)
    return [
        NoteRow(kind, label, source, note)
        for kind, label in track_metadata.NOTE_KINDS.items()
        for source, note in sorted(notes.get(kind, {}).items())
    ]


def resolve(
    track_id: uuid.UUID | str, kind: str, source: str, decision: Decision, curator: str
) -> track_metadata.CuratorNote:
    """Close one note with a curator's decision (NoteGone when it is not there)."""
    now = timezone.now()
    with transaction.atomic():
        track = Track.objects.select_for_update().get(pk=track_id)
        note = track_metadata.notes(track).get(kind, {}).get(source)
        if note is None:
            raise NoteGone(f"no {track_metadata.NOTE_KINDS.get(kind, kind)} note from {source}")
        if decision == "kept":
            if not NoteRow(kind, "", source, note).keepable:
                raise ValueError("only an ISRC conflict can be kept on the track")
            _keep_isrc(track, note["identifier"], curator, now)
        track_metadata.resolve_note(track, kind, source, decision=decision, curator=curator, at=now)
        track.save()
    return note


def _keep_isrc(track: Track, isrc: str, curator: str, now: datetime) -> None:
    """Move the ISRC to this track, locked here and on the track that gave it up."""
    entry = track_metadata.provenance_entry(track_metadata.CURATOR, now, curator=curator)
    for holder in Track.objects.select_for_update().filter(isrc=isrc).exclude(pk=track.pk):
        holder.isrc = None
        holder.locked_fields = sorted({*holder.locked_fields, "isrc"})
        track_metadata.record_provenance(holder, "isrc", entry)
        holder.save(update_fields=["isrc", "locked_fields", "metadata", "updated_at"])
    track.isrc = isrc
    track.locked_fields = sorted({*track.locked_fields, "isrc"})
    track_metadata.record_provenance(track, "isrc", entry)
