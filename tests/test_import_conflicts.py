"""An identifier already held by a different song is a reported conflict, never a silent merge."""

from __future__ import annotations

import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from enrichment.models import Track
from tests.factories import make_track

pytestmark = pytest.mark.django_db

HEADER = "artist_name,track_title,track_id,spotify_id,isrc\n"
BEFORE = "Good Artist,Before,,,\n"
AFTER = "Good Artist,After,,,\n"


def import_rows(tmp_path: Path, *rows: str) -> str:
    path = tmp_path / "tracks.csv"
    path.write_text(HEADER + BEFORE + "".join(rows) + AFTER)
    out = StringIO()
    with pytest.raises(CommandError, match="1 row"):
        call_command("import_tracks", str(path), "--quiet-progress", stdout=out, stderr=out)
    assert {"Before", "After"} <= set(Track.objects.values_list("title", flat=True))
    return out.getvalue()


def test_an_isrc_held_by_another_track_is_a_conflict_not_a_crash(tmp_path: Path) -> None:
    target = make_track(artist_name="Deadmau5", title="Strobe")
    make_track(artist_name="Daft Punk", title="One More Time", isrc="GBDUW0000053")
    output = import_rows(tmp_path, f"Deadmau5,Strobe,{target.pk},,GBDUW0000053\n")
    assert "line 3: isrc: GBDUW0000053 already belongs to another track" in output
    assert "Daft Punk" in output
    assert Track.objects.get(pk=target.pk).isrc is None


def test_a_different_song_carrying_an_existing_isrc_is_a_conflict(tmp_path: Path) -> None:
    make_track(artist_name="Daft Punk", title="One More Time", isrc="GBDUW0000053")
    output = import_rows(tmp_path, "Deadmau5,Strobe,,,GBDUW0000053\n")
    assert "line 3: isrc: GBDUW0000053 already belongs to" in output
    assert "'One More Time' by Daft Punk, not 'Strobe' by Deadmau5" in output
    assert not Track.objects.filter(title="Strobe").exists()


def test_a_different_song_carrying_an_existing_spotify_id_is_a_conflict(tmp_path: Path) -> None:
    make_track(artist_name="Daft Punk", title="One More Time", spotify_id="4uLU6hMCjMI75M1A2tKUQC")
    output = import_rows(tmp_path, "Deadmau5,Strobe,,4uLU6hMCjMI75M1A2tKUQC,\n")
    assert "line 3: spotify_id: 4uLU6hMCjMI75M1A2tKUQC already belongs to" in output
    assert not Track.objects.filter(title="Strobe").exists()


def test_a_repeated_track_id_with_another_song_is_a_conflict_not_unchanged(
    tmp_path: Path,
) -> None:
    track_id = uuid.uuid4()
    make_track(id=track_id, artist_name="Daft Punk", title="One More Time")
    output = import_rows(tmp_path, f"Deadmau5,Strobe,{track_id},,\n")
    assert f"line 3: track_id: {track_id} already belongs to" in output
    assert "unchanged 0" in output
    assert Track.objects.get(pk=track_id).title == "One More Time"


def test_the_same_song_spelt_differently_is_not_a_conflict(tmp_path: Path) -> None:
    make_track(artist_name="Daft Punk", title="One More Time", isrc="GBDUW0000053")
    path = tmp_path / "tracks.csv"
    path.write_text(HEADER + "daft punk,One  more time,,,GB-DUW-00-00053\n")
    out = StringIO()
    call_command("import_tracks", str(path), "--quiet-progress", stdout=out, stderr=out)
    assert "unchanged 1" in out.getvalue()
