"""export_tracks streams Rekordbox XML, Traktor NML, M3U, CSV and JSON lines that read back."""

from __future__ import annotations

import types
import xml.etree.ElementTree as ET
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from pyrekordbox.rbxml import RekordboxXml

from enrichment import track_metadata
from enrichment.dj_formats.export import export_tracks, stream
from enrichment.dj_formats.writers import NO_LOCATION
from enrichment.models import Track
from tests.factories import make_track

pytestmark = pytest.mark.django_db
ENRICHED = ("artist_name", "title", "bpm", "camelot_key", "genre", "label", "duration_ms")


@pytest.fixture
def library(db: object) -> list[Track]:
    """Two enriched tracks with file locations and one without."""
    strobe = make_track(
        artist_name="deadmau5", title="Strobe", status="completed", bpm=128.0, key="A minor",
        key_pitch_class=9, key_mode=0, camelot_key="8A", open_key="1m",
        genre="Progressive House", label="mau5trap", duration_ms=634_000,
    )  # fmt: skip
    track_metadata.set_location(strobe, "/Users/dj/Music/deadmau5 - Strobe & more.mp3")
    strobe.save()
    opus = make_track(
        artist_name="Eric Prydz", title="Opus", status="completed", bpm=126.0,
        key_pitch_class=6, key_mode=1, key="F# major", camelot_key="2B", open_key="7d",
        genre="Techno", duration_ms=540_000,
    )  # fmt: skip
    track_metadata.set_location(opus, "C:/Music/Opus.flac")
    opus.save()
    halcyon = make_track(artist_name="Orbital", title="Halcyon", status="pending", genre="Techno")
    return [strobe, opus, halcyon]


def export(tmp_path: Path, fmt: str, *options: str) -> tuple[Path, str]:
    """The exported file and what the command said on stderr."""
    path = tmp_path / f"export.{fmt}"
    err = StringIO()
    call_command("export_tracks", "--format", fmt, "--output", str(path), *options, stderr=err)
    return path, err.getvalue()


def snapshot() -> dict[str, tuple[object, ...]]:
    return {t.title: tuple(getattr(t, name) for name in ENRICHED) for t in Track.objects.all()}


def test_a_rekordbox_export_reads_back_in_pyrekordbox_with_the_enriched_fields(
    tmp_path: Path, library: list[Track]
) -> None:
    path, said = export(tmp_path, "rekordbox-xml")
    collection = RekordboxXml(str(path))
    tracks = {track["Name"]: track for track in collection.get_tracks()}
    assert collection.num_tracks == 3
    strobe = tracks["Strobe"]
    assert (strobe["Artist"], strobe["AverageBpm"], strobe["Tonality"]) == ("deadmau5", 128.0, "8A")
    assert (strobe["Genre"], strobe["Label"], strobe["TotalTime"]) == (
        "Progressive House", "mau5trap", 634,
    )  # fmt: skip
    assert strobe["Location"].endswith("Users/dj/Music/deadmau5 - Strobe & more.mp3")
    assert tracks["Halcyon"]["Comments"] == NO_LOCATION
    assert "exported 3 track(s)" in said and "1 without a file location" in said


@pytest.mark.parametrize(
    ("notation", "strobe_key", "opus_key"),
    [("camelot", "8A", "2B"), ("open-key", "1m", "7d"), ("musical", "Am", "F#")],
)
def test_the_key_notation_applies_to_the_written_key(
    tmp_path: Path, library: list[Track], notation: str, strobe_key: str, opus_key: str
) -> None:
    path, _ = export(tmp_path, "rekordbox-xml", "--key-notation", notation)
    tracks = {track["Name"]: track for track in RekordboxXml(str(path)).get_tracks()}
    assert (tracks["Strobe"]["Tonality"], tracks["Opus"]["Tonality"]) == (strobe_key, opus_key)
    nml, _ = export(tmp_path, "traktor-nml", "--key-notation", notation)
    keys = [info.get("KEY") for info in ET.parse(nml).getroot().iter("INFO")]
    assert strobe_key in keys and opus_key in keys


def test_a_traktor_export_has_nml_s_shape(tmp_path: Path, library: list[Track]) -> None:
    path, _ = export(tmp_path, "traktor-nml")
    root = ET.parse(path).getroot()
    assert (root.tag, root.get("VERSION")) == ("NML", "19")
    assert root.find("HEAD") is not None
    collection = root.find("COLLECTION")
    assert collection is not None and collection.get("ENTRIES") == "3"
    strobe = next(e for e in collection.iter("ENTRY") if e.get("TITLE") == "Strobe")
    location = strobe.find("LOCATION")
    assert location is not None
    assert (location.get("DIR"), location.get("FILE")) == (
        "/:Users/:dj/:Music/:", "deadmau5 - Strobe & more.mp3",
    )  # fmt: skip
    assert strobe.find("TEMPO").get("BPM") == "128.000000"  # type: ignore[union-attr]
    assert strobe.find("MUSICAL_KEY").get("VALUE") == "21"  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", ["traktor-nml", "rekordbox-xml", "csv", "jsonl"])
def test_an_export_imports_back_without_losing_enriched_fields(
    tmp_path: Path, library: list[Track], fmt: str
) -> None:
    before = snapshot()
    locations = {t.title: track_metadata.location(t) for t in Track.objects.all()}
    path, _ = export(tmp_path, fmt)
    Track.objects.all().delete()
    call_command("import_tracks", str(path), "--quiet-progress", "--format", fmt, stdout=StringIO())
    assert snapshot() == before
    assert {t.title: track_metadata.location(t) for t in Track.objects.all()} == locations


def test_an_m3u_export_lists_located_files_and_flags_the_others(
    tmp_path: Path, library: list[Track]
) -> None:
    path, said = export(tmp_path, "m3u")
    text = path.read_text()
    assert "#EXTINF:634,deadmau5 - Strobe\n/Users/dj/Music/deadmau5 - Strobe & more.mp3\n" in text
    assert f"# {NO_LOCATION} Orbital - Halcyon\n" in text
    assert "1 without a file location" in said


def test_filters_choose_the_tracks(tmp_path: Path, library: list[Track]) -> None:
    path, _ = export(tmp_path, "jsonl", "--genre", "techno", "--status", "completed")
    assert [line.count('"Opus"') for line in path.read_text().splitlines()] == [1]
    path, _ = export(tmp_path, "csv", "--has", "bpm")
    assert len(path.read_text().splitlines()) == 3  # header + two tracks with a BPM


def test_the_export_is_a_generator_reading_tracks_in_chunks(library: list[Track]) -> None:
    chunks = stream("rekordbox-xml", export_tracks(), "camelot")
    assert isinstance(chunks, types.GeneratorType)
    assert next(chunks).startswith("<?xml")


def test_stdout_is_the_default_output(library: list[Track]) -> None:
    out = StringIO()
    call_command("export_tracks", "--format", "m3u", stdout=out, stderr=StringIO())
    assert out.getvalue().startswith("#EXTM3U\n")
