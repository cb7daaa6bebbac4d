"""import_tracks reads Rekordbox XML, Traktor NML and M3U: good entries in, bad ones named."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from enrichment import track_metadata
from enrichment.models import Track
from tests.factories import make_track

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures" / "dj"


def run_import(path: Path, *extra: str) -> tuple[str, str]:
    """(stdout, stderr) of an import that may fail; the failure's message is appended to stderr."""
    out, err = StringIO(), StringIO()
    try:
        call_command("import_tracks", str(path), "--quiet-progress", *extra, stdout=out, stderr=err)
    except CommandError as error:
        err.write(f"\nFAILED: {error}")
    return out.getvalue(), err.getvalue()


def test_a_rekordbox_collection_brings_bpm_key_genre_label_and_location_as_imported() -> None:
    out, err = run_import(FIXTURES / "rekordbox.xml")
    assert "created 2" in out and "rejected 1" in out
    assert "entry 2 (TrackID 102): AverageBpm: 'not-a-bpm' is not a number" in err
    strobe = Track.objects.get(title="Strobe")
    assert (strobe.bpm, strobe.camelot_key, strobe.open_key, strobe.key) == (
        128.0, "8A", "1m", "A minor",
    )  # fmt: skip
    assert (strobe.genre, strobe.label) == ("Progressive House", "mau5trap")
    assert track_metadata.location(strobe) == "/Users/dj/Music/deadmau5 - Strobe.mp3"
    assert track_metadata.origin(strobe, "bpm") == track_metadata.IMPORT
    halcyon = Track.objects.get(artist_name="Orbital")
    assert halcyon.bpm is None  # 0.00 means "not analysed"
    assert halcyon.camelot_key == "8A"  # "1m" in Open Key
    assert track_metadata.location(halcyon) == "C:/Music/Halcyon.wav"


def test_playlist_references_are_not_taken_for_collection_entries() -> None:
    run_import(FIXTURES / "rekordbox.xml")
    assert Track.objects.count() == 2


def test_importing_the_same_collection_again_changes_nothing() -> None:
    run_import(FIXTURES / "rekordbox.xml")
    out, _ = run_import(FIXTURES / "rekordbox.xml")
    assert "created 0, updated 0, unchanged 2, rejected 1" in out


def test_imported_values_fill_gaps_and_never_overwrite_enriched_ones() -> None:
    make_track(artist_name="deadmau5", title="Strobe", bpm=127.9, genre="Electro")
    out, _ = run_import(FIXTURES / "rekordbox.xml")
    strobe = Track.objects.get(title="Strobe")
    assert (strobe.bpm, strobe.genre, strobe.camelot_key) == (127.9, "Electro", "8A")
    assert "updated 1" in out


def test_a_traktor_collection_reads_tempo_musical_key_info_and_location() -> None:
    out, err = run_import(FIXTURES / "traktor.nml")
    assert "created 1" in out and "rejected 2" in out
    assert "entry 2 (Eric Prydz - Opus): MUSICAL_KEY VALUE: '31' is not 0..23" in err
    assert "entry 3 (Orbital): TITLE: is required" in err
    strobe = Track.objects.get(title="Strobe")
    assert (strobe.bpm, strobe.camelot_key, strobe.genre, strobe.label) == (
        128.0, "8A", "Progressive House", "mau5trap",
    )  # fmt: skip
    assert track_metadata.location(strobe) == "/Users/dj/Music/Strobe.mp3"


def test_an_m3u_playlist_reads_extinf_durations_names_and_paths() -> None:
    out, err = run_import(FIXTURES / "playlist.m3u8")
    assert "created 2" in out and "rejected 3" in out
    assert "line 4: #EXTINF: duration 'abc' is not a number" in err
    assert "line 6: #EXTINF: 'No dash here' is not 'Artist - Title'" in err
    assert "line 8: path: no #EXTINF line names this file" in err
    halcyon = Track.objects.get(artist_name="Orbital")
    assert halcyon.duration_ms == 420_000
    assert track_metadata.location(halcyon) == "C:\\Music\\Halcyon.wav"


def test_malformed_xml_is_reported_with_its_line_and_column_and_earlier_entries_kept() -> None:
    _, err = run_import(FIXTURES / "malformed.xml")
    assert "malformed XML at line 5, column 4 (mismatched tag)" in err


def test_entities_and_dtds_are_refused_unread() -> None:
    _, err = run_import(FIXTURES / "entities.xml")
    assert "refused: DTDForbidden" in err
    assert not Track.objects.exists()


def test_the_format_is_detected_from_content_or_named_with_format(tmp_path: Path) -> None:
    unnamed = tmp_path / "collection.txt"
    shutil.copy(FIXTURES / "traktor.nml", unnamed)
    out, _ = run_import(unnamed)
    assert "created 1" in out
    forced = tmp_path / "export.dat"
    shutil.copy(FIXTURES / "rekordbox.xml", forced)
    out, _ = run_import(forced, "--format", "rekordbox-xml")
    assert "created 1, updated 1" in out  # Strobe was in both


def test_a_csv_may_carry_dj_columns_and_a_bad_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "dj.csv"
    path.write_text(
        "artist_name,track_title,bpm,key,genre,location\n"
        "Orbital,Chime,130.5,F#m,Techno,/m/chime.mp3\n"
        "Orbital,Belfast,128,H minor,Ambient,\n"
    )
    out, err = run_import(path)
    assert "created 1" in out
    assert "line 3: key: 'H minor' is not a key (8A, 1m, Am, A minor)" in err
    chime = Track.objects.get(title="Chime")
    assert (chime.bpm, chime.camelot_key, chime.genre) == (130.5, "11A", "Techno")
