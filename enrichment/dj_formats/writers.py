"""Writers for each export format: generators of text chunks, one track at a time.

Nothing is built whole: a collection of a million tracks streams out in bounded memory.
Tracks without a file location are written all the same and counted (stats.missing_location);
Rekordbox entries carry a Comments marker, M3U entries a comment line in place of a path.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from enrichment import track_metadata
from enrichment.camelot import HarmonicKey, harmonic_key
from enrichment.dj_formats.keys import Notation, parse_key, to_traktor, written
from enrichment.dj_formats.locations import to_file_url, to_traktor_location
from enrichment.models import Track

EXPORT_FORMATS = ("rekordbox-xml", "traktor-nml", "m3u", "csv", "jsonl")
CONTENT_TYPES = {
    "rekordbox-xml": "application/xml",
    "traktor-nml": "application/xml",
    "m3u": "audio/x-mpegurl",
    "csv": "text/csv",
    "jsonl": "application/x-ndjson",
}
EXTENSIONS = {"rekordbox-xml": "xml", "traktor-nml": "nml", "m3u": "m3u8", "csv": "csv"}
NO_LOCATION = "[songnodes: no file location]"
# The importer's columns: a CSV or JSON-lines export imports back unchanged.
ROW_FIELDS = (
    "artist_name", "track_title", "track_id", "spotify_id", "isrc",
    "bpm", "key", "genre", "label", "duration_ms", "location",
)  # fmt: skip


@dataclass
class ExportStats:
    """What a finished export wrote."""

    written: int = 0
    missing_location: int = 0


def _attrs(pairs: Iterable[tuple[str, object]]) -> str:
    return " ".join(
        f"{name}={quoteattr(str(value))}" for name, value in pairs if value not in ("", None)
    )


def track_key(track: Track) -> HarmonicKey | None:
    """The track's key from its pitch class and mode, else from its Camelot code."""
    key = harmonic_key(track.key_pitch_class, track.key_mode)
    return key if key is not None or not track.camelot_key else parse_key(track.camelot_key)


def _key(track: Track, notation: Notation) -> str:
    return written(track_key(track), notation)


def _bpm(track: Track) -> str:
    return f"{track.bpm:.2f}" if track.bpm else ""


def _location(track: Track, stats: ExportStats) -> str | None:
    stats.written += 1
    path = track_metadata.location(track)
    if path is None:
        stats.missing_location += 1
    return path


def rekordbox_xml(
    tracks: Iterable[Track], count: int, notation: Notation, stats: ExportStats
) -> Iterator[str]:
    """DJ_PLAYLISTS after Rekordbox's published XML format (TrackID numbered from 1)."""
    yield '<?xml version="1.0" encoding="UTF-8"?>\n<DJ_PLAYLISTS Version="1.0.0">\n'
    yield '  <PRODUCT Name="SongNodes Enrichment" Version="1" Company="SongNodes"/>\n'
    yield f'  <COLLECTION Entries="{count}">\n'
    for number, track in enumerate(tracks, start=1):
        path = _location(track, stats)
        attributes = _attrs([
            ("TrackID", number), ("Name", track.title), ("Artist", track.artist_name),
            ("Genre", track.genre or ""), ("TotalTime", (track.duration_ms or 0) // 1000 or ""),
            ("Year", track.release_date.year if track.release_date else ""),
            ("AverageBpm", _bpm(track)), ("Tonality", _key(track, notation)),
            ("Label", track.label or ""), ("Comments", "" if path else NO_LOCATION),
            ("Location", to_file_url(path) if path else ""),
        ])  # fmt: skip
        yield f"    <TRACK {attributes}/>\n"
    yield '  </COLLECTION>\n  <PLAYLISTS>\n    <NODE Type="0" Name="ROOT" Count="0"/>\n'
    yield "  </PLAYLISTS>\n</DJ_PLAYLISTS>\n"


def traktor_nml(
    tracks: Iterable[Track], count: int, notation: Notation, stats: ExportStats
) -> Iterator[str]:
    """NML version 19 after Traktor's collection.nml."""
    yield '<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n<NML VERSION="19">'
    yield '<HEAD COMPANY="www.native-instruments.com" PROGRAM="Traktor"></HEAD>\n'
    yield f'<COLLECTION ENTRIES="{count}">\n'
    for track in tracks:
        yield _nml_entry(track, _location(track, stats), notation)
    yield "</COLLECTION>\n<PLAYLISTS></PLAYLISTS></NML>\n"


def _nml_entry(track: Track, path: str | None, notation: Notation) -> str:
    parts = [f"<ENTRY {_attrs([('TITLE', track.title), ('ARTIST', track.artist_name)])}>"]
    if path:
        volume, directory, file = to_traktor_location(path)
        where = _attrs([("DIR", directory), ("FILE", file), ("VOLUME", volume)])
        parts.append(f"<LOCATION {where}></LOCATION>")
    info = _attrs([
        ("GENRE", track.genre or ""), ("LABEL", track.label or ""),
        ("KEY", _key(track, notation)), ("PLAYTIME", (track.duration_ms or 0) // 1000 or ""),
    ])  # fmt: skip
    if info:
        parts.append(f"<INFO {info}></INFO>")
    if track.bpm:
        parts.append(f'<TEMPO BPM="{track.bpm:.6f}" BPM_QUALITY="100.000000"></TEMPO>')
    key = track_key(track)
    if key is not None:
        parts.append(f'<MUSICAL_KEY VALUE="{to_traktor(key.pitch_class, key.mode)}"></MUSICAL_KEY>')
    return "".join(parts) + "</ENTRY>\n"


def m3u(
    tracks: Iterable[Track], count: int, notation: Notation, stats: ExportStats
) -> Iterator[str]:
    """#EXTM3U with "#EXTINF:<seconds>,<Artist> - <Title>" and the path of each file."""
    yield "#EXTM3U\n"
    for track in tracks:
        path = _location(track, stats)
        seconds = (track.duration_ms or 0) // 1000 or -1
        name = f"{track.artist_name} - {track.title}".replace("\n", " ")
        if path:
            yield f"#EXTINF:{seconds},{name}\n{path}\n"
        else:
            yield f"# {NO_LOCATION} {name}\n"


def _row(track: Track, notation: Notation, stats: ExportStats) -> dict[str, object]:
    return {
        "artist_name": track.artist_name, "track_title": track.title, "track_id": str(track.pk),
        "spotify_id": track.spotify_id, "isrc": track.isrc, "bpm": track.bpm,
        "key": _key(track, notation) or None, "genre": track.genre or None,
        "label": track.label or None, "duration_ms": track.duration_ms,
        "location": _location(track, stats),
    }  # fmt: skip


def csv_rows(
    tracks: Iterable[Track], count: int, notation: Notation, stats: ExportStats
) -> Iterator[str]:
    """A header of the importer's columns, then one row a track."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ROW_FIELDS, lineterminator="\n")
    writer.writeheader()
    for track in tracks:
        writer.writerow(_row(track, notation, stats))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def json_lines(
    tracks: Iterable[Track], count: int, notation: Notation, stats: ExportStats
) -> Iterator[str]:
    """One JSON object a track, with the importer's field names."""
    for track in tracks:
        yield json.dumps(_row(track, notation, stats), ensure_ascii=False) + "\n"


Writer = Callable[[Iterable[Track], int, Notation, ExportStats], Iterator[str]]
WRITERS: dict[str, Writer] = {
    "rekordbox-xml": rekordbox_xml,
    "traktor-nml": traktor_nml,
    "m3u": m3u,
    "csv": csv_rows,
    "jsonl": json_lines,
}
