"""import_tracks loads CSV and JSON lines idempotently and reports every bad row."""

from __future__ import annotations

import json
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from enrichment.models import EnrichmentStatus, Track
from tests.factories import make_track

pytestmark = pytest.mark.django_db


def run_import(path: Path) -> str:
    out = StringIO()
    call_command("import_tracks", str(path), "--quiet-progress", stdout=out, stderr=out)
    return out.getvalue()


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tracks.csv"
    path.write_text(text)
    return path


def test_a_csv_creates_tracks_with_pending_status(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "artist_name,track_title,isrc\nDaft Punk,One More Time,GBDUW0000053\nDeadmau5,Strobe,\n",
    )
    output = run_import(path)
    assert "created 2" in output
    track = Track.objects.get(isrc="GBDUW0000053")
    assert (track.artist_name, track.title) == ("Daft Punk", "One More Time")
    assert EnrichmentStatus.objects.filter(status="pending").count() == 2


def test_importing_the_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "artist_name,track_title\nDeadmau5,Strobe\nDaft Punk,Aerodynamic\n")
    run_import(path)
    output = run_import(path)
    assert "created 0, updated 0, unchanged 2" in output
    assert Track.objects.count() == 2


def test_json_lines_with_track_id_and_spotify_id_are_imported(tmp_path: Path) -> None:
    track_id = uuid.uuid4()
    path = tmp_path / "tracks.jsonl"
    line = {
        "track_id": str(track_id),
        "artist_name": "Rick Astley",
        "track_title": "Never Gonna Give You Up",
        "spotify_id": "4uLU6hMCjMI75M1A2tKUQC",
    }
    path.write_text(json.dumps(line) + "\n")
    run_import(path)
    assert Track.objects.get(id=track_id).spotify_id == "4uLU6hMCjMI75M1A2tKUQC"


def test_an_import_fills_missing_identifiers_but_never_overwrites_them(tmp_path: Path) -> None:
    make_track(artist_name="Deadmau5", title="Strobe", spotify_id="0gxyHStUsqpMadRV0Di1Qt")
    path = write_csv(
        tmp_path,
        "artist_name,track_title,spotify_id,isrc\n"
        "Deadmau5,Strobe,4uLU6hMCjMI75M1A2tKUQC,USUS11000356\n",
    )
    output = run_import(path)
    track = Track.objects.get()
    assert "updated 1" in output
    assert track.spotify_id == "0gxyHStUsqpMadRV0Di1Qt"
    assert track.isrc == "USUS11000356"


def test_bad_rows_are_reported_with_line_and_field_and_good_rows_still_load(
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path,
        "artist_name,track_title,isrc\nGood Artist,Good Title,\n,Missing Artist,\n"
        "Someone,Something,NOTANISRC\n",
    )
    out = StringIO()
    with pytest.raises(CommandError, match="2 row"):
        call_command("import_tracks", str(path), "--quiet-progress", stdout=out, stderr=out)
    assert "line 3: artist_name: is required" in out.getvalue()
    assert "line 4: isrc:" in out.getvalue()
    assert list(Track.objects.values_list("title", flat=True)) == ["Good Title"]


def test_a_csv_without_the_required_columns_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "artist,title\nA,B\n")
    with pytest.raises(CommandError, match="track_title"):
        run_import(path)


def test_malformed_json_lines_are_reported_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "tracks.jsonl"
    path.write_text('{"artist_name": "A", "track_title": "B"}\n{oops\n')
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_tracks", str(path), "--quiet-progress", stdout=out, stderr=out)
    assert "line 2: line: invalid JSON" in out.getvalue()
    assert Track.objects.count() == 1


def test_an_import_never_fills_a_field_a_curator_locked(tmp_path: Path) -> None:
    make_track(artist_name="Deadmau5", title="Strobe", locked_fields=["isrc"])
    path = write_csv(tmp_path, "artist_name,track_title,isrc\nDeadmau5,Strobe,USUS11000356\n")
    run_import(path)
    assert Track.objects.get().isrc is None
