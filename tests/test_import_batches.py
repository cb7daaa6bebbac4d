"""Rows written in batches give the outcomes rows imported one by one would give."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrichment import import_batches
from enrichment.import_reading import RowError
from enrichment.importing import ImportReport, TrackRow, import_rows
from enrichment.models import EnrichmentStatus, Track
from tests.factories import make_track

pytestmark = pytest.mark.django_db


def rows(*raws: dict[str, Any]) -> list[tuple[int, dict[str, Any] | RowError]]:
    return [(number, raw) for number, raw in enumerate(raws, start=2)]


def song(title: str, **extra: str) -> dict[str, Any]:
    return {"artist_name": "Deadmau5", "track_title": title, **extra}


def test_a_batch_of_new_rows_creates_tracks_with_pending_status_rows() -> None:
    report = import_rows(
        rows(song("Strobe", track_id="cat-1"), song("Ghosts", isrc="USUS11000356"))
    )
    assert (report.created, report.errors) == (2, [])
    strobe = Track.objects.by_track_id("cat-1")
    assert strobe is not None and strobe.title == "Strobe"
    statuses = set(EnrichmentStatus.objects.values_list("status", flat=True))
    assert EnrichmentStatus.objects.count() == 2 and statuses == {"pending"}


def test_a_later_row_of_the_same_song_in_one_batch_fills_the_new_tracks_gaps() -> None:
    report = import_rows(rows(song("Strobe"), song(" strobe ", isrc="CAB391000001")))
    assert (report.created, report.updated) == (1, 1)
    assert Track.objects.get().isrc == "CAB391000001"


def test_a_conflict_between_two_rows_of_one_batch_is_reported_on_the_later_line() -> None:
    report = import_rows(
        rows(song("Strobe", isrc="CAB391000001"), song("Ghosts", isrc="CAB391000001"))
    )
    assert report.created == 1
    [error] = report.errors
    assert (error.line, error.field_name) == (3, "isrc")
    assert "'Strobe' by Deadmau5" in str(error)


def test_a_stored_track_found_by_its_external_id_takes_a_missing_identifier() -> None:
    track = make_track(artist_name="Deadmau5", title="Strobe", external_id="cat-9")
    report = import_rows(
        rows(song("Strobe", track_id="cat-9", spotify_id="4uLU6hMCjMI75M1A2tKUQC"))
    )
    assert report.updated == 1
    track.refresh_from_db()
    assert track.spotify_id == "4uLU6hMCjMI75M1A2tKUQC"


def test_reimporting_the_same_rows_changes_nothing_and_writes_nothing() -> None:
    batch = rows(song("Strobe", track_id="cat-1", isrc="CAB391000001"), song("Ghosts"))
    import_rows(batch)
    with CaptureQueriesContext(connection) as queries:
        report = import_rows(batch)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    writes = [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "UPDATE", "WITH"))]
    assert writes == []


def test_errors_are_reported_in_line_order_across_batches() -> None:
    raws = [song(f"Song {n}") for n in range(5)]
    raws[1] = song("Song 1", isrc="bad")
    raws[4] = song("Song 0", isrc="CAB391000001", spotify_id="x")
    report = import_rows(rows(*raws), batch_size=2)
    assert [(e.line, e.field_name) for e in report.errors] == [(3, "isrc"), (6, "spotify_id")]
    assert (report.created, report.last_line) == (3, 6)


def test_a_batch_that_meets_a_track_its_lookup_missed_is_redone_row_by_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_track(artist_name="Deadmau5", title="Strobe")  # as if saved just after the lookup
    monkeypatch.setattr(import_batches, "_known", list)
    report = ImportReport()
    import_rows(rows(song("Strobe"), song("Ghosts")), report)
    assert (report.created, report.unchanged, report.errors) == (1, 1, [])
    assert Track.objects.count() == 2


def test_the_batch_writer_takes_validated_rows_from_any_reader() -> None:
    outcomes = import_batches.write_batch(
        [TrackRow(7, "Deadmau5", "Strobe"), TrackRow(8, "Deadmau5", "Strobe")],
        one_by_one=lambda row: "unexpected",
    )
    assert outcomes == ["created", "unchanged"]
