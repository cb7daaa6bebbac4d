"""Read DJ library files safely (no entities, no network) into numbered raw rows.

Each reader yields (entry number, raw mapping or that entry's RowError) like
enrichment/import_reading.py, so import_rows validates and upserts them the same way.
Raw mappings use the importer's column names (artist_name, track_title, bpm, key, ...).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from enrichment.dj_formats.keys import from_traktor
from enrichment.dj_formats.locations import from_file_url, from_traktor_location
from enrichment.dj_formats.m3u import read_m3u
from enrichment.import_reading import FileError, Row, RowError, open_text, read_rows

FORMATS = ("csv", "jsonl", "rekordbox-xml", "traktor-nml", "m3u")


class EntryError(RowError):
    """An entry of a DJ library that cannot be imported: its number, its own id, its field."""

    def __init__(self, number: int, field_name: str, message: str, label: str = "") -> None:
        super().__init__(number, field_name, message)
        where = f"entry {number}" + (f" ({label})" if label else "")
        self.args = (f"{where}: {field_name}: {message}",)


def detect(path: Path, encoding: str | None = None) -> str:
    """The file's format from its extension, else from its first characters."""
    suffixes = [part.lower() for part in path.suffixes if part.lower() != ".gz"]
    by_extension = {".nml": "traktor-nml", ".m3u": "m3u", ".m3u8": "m3u"}
    if suffixes and suffixes[-1] in by_extension:
        return by_extension[suffixes[-1]]
    start = _start(path, encoding)
    if start.startswith("#EXTM3U") or start.startswith("#EXTINF"):
        return "m3u"
    if start.startswith("<"):
        return "traktor-nml" if "<NML" in start else "rekordbox-xml"
    return "csv-or-jsonl"


def _start(path: Path, encoding: str | None) -> str:
    # A file that cannot be read is left to the CSV / JSON-lines reader, which reports it.
    try:
        with open_text(path, encoding) as (text, _):
            return text.read(1024).lstrip("\ufeff").lstrip()
    except (FileError, OSError, EOFError, zlib.error, UnicodeError):
        return ""


def _elements(text: IO[str], tag: str) -> Iterator[Element]:
    """Every element named `tag`, each freed once handled (memory stays bounded)."""
    try:
        for _, element in iterparse(text, events=("end",), forbid_dtd=True):
            if element.tag == tag:
                yield element
                element.clear()
    except ParseError as error:
        line, column = error.position
        reason = str(error).split(":")[0]
        raise FileError(
            line, "xml", f"malformed XML at line {line}, column {column} ({reason})"
        ) from None
    except DefusedXmlException as error:
        raise FileError(
            1, "xml", f"refused: {type(error).__name__} (DTDs and entities are not read)"
        ) from None


def _number(value: str | None, number: int, field: str, label: str) -> float | RowError | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        return EntryError(number, field, f"{value!r} is not a number", label)


def _with_bpm(raw: dict[str, Any], bpm: float | RowError | None) -> dict[str, Any] | RowError:
    if isinstance(bpm, RowError):
        return bpm
    if bpm:  # 0 means "not analysed" in both applications
        raw["bpm"] = bpm
    return raw


def read_rekordbox(path: Path, encoding: str | None = None) -> Iterator[Row]:
    """DJ_PLAYLISTS/COLLECTION/TRACK entries."""
    with open_text(path, encoding) as (text, _):
        number = 0
        for element in _elements(text, "TRACK"):
            if "Key" in element.attrib and "TrackID" not in element.attrib:
                continue  # a playlist's reference to a collection entry, not an entry
            number += 1
            yield number, _rekordbox_row(number, element.attrib)


def _rekordbox_row(number: int, attrib: dict[str, str]) -> dict[str, Any] | RowError:
    label = f"TrackID {attrib['TrackID']}" if attrib.get("TrackID") else ""
    raw: dict[str, Any] = {
        "artist_name": attrib.get("Artist", ""),
        "track_title": attrib.get("Name", ""),
        "key": attrib.get("Tonality") or None,
        "genre": attrib.get("Genre") or None,
        "label": attrib.get("Label") or None,
    }
    seconds = attrib.get("TotalTime", "")
    if seconds.isdigit() and int(seconds):
        raw["duration_ms"] = int(seconds) * 1000
    location = attrib.get("Location")
    if location:
        raw["location"] = from_file_url(location)
    for name in ("artist_name", "track_title"):
        if not raw[name].strip():
            return EntryError(
                number, "Artist" if name == "artist_name" else "Name", "is required", label
            )
    return _labelled(
        _with_bpm(raw, _number(attrib.get("AverageBpm"), number, "AverageBpm", label)), label
    )


def _labelled(raw: dict[str, Any] | RowError, label: str) -> dict[str, Any] | RowError:
    if isinstance(raw, dict) and label:
        raw["entry_label"] = label
    return raw


def read_traktor(path: Path, encoding: str | None = None) -> Iterator[Row]:
    """NML/COLLECTION/ENTRY entries."""
    with open_text(path, encoding) as (text, _):
        for number, element in enumerate(_elements(text, "ENTRY"), start=1):
            yield number, _traktor_row(number, element)


def _traktor_row(number: int, entry: Element) -> dict[str, Any] | RowError:
    label = f"{entry.get('ARTIST', '')} - {entry.get('TITLE', '')}".strip(" -")
    info = entry.find("INFO")
    raw: dict[str, Any] = {
        "artist_name": entry.get("ARTIST", ""),
        "track_title": entry.get("TITLE", ""),
        "genre": (info.get("GENRE") if info is not None else None) or None,
        "label": (info.get("LABEL") if info is not None else None) or None,
        "key": (info.get("KEY") if info is not None else None) or None,
    }
    for name, attribute in (("artist_name", "ARTIST"), ("track_title", "TITLE")):
        if not raw[name].strip():
            return EntryError(number, attribute, "is required", label)
    seconds = info.get("PLAYTIME", "") if info is not None else ""
    if seconds.isdigit() and int(seconds):
        raw["duration_ms"] = int(seconds) * 1000
    musical = entry.find("MUSICAL_KEY")
    if musical is not None and musical.get("VALUE"):
        value = musical.get("VALUE", "")
        key = from_traktor(int(value)) if value.isdigit() else None
        if key is None:
            return EntryError(number, "MUSICAL_KEY VALUE", f"{value!r} is not 0..23", label)
        raw["key"] = key.camelot
    location = entry.find("LOCATION")
    if location is not None:
        raw["location"] = from_traktor_location(
            location.get("VOLUME", ""), location.get("DIR", ""), location.get("FILE", "")
        )
    tempo = entry.find("TEMPO")
    bpm = _number(tempo.get("BPM") if tempo is not None else None, number, "TEMPO BPM", label)
    return _labelled(_with_bpm(raw, bpm), label)


def read_any(
    path: Path, encoding: str | None = None, file_format: str | None = None
) -> Iterator[Row]:
    """The file's rows, read by the reader of its format (given, else detected)."""
    chosen = file_format or detect(path, encoding)
    if chosen == "rekordbox-xml":
        return read_rekordbox(path, encoding)
    if chosen == "traktor-nml":
        return read_traktor(path, encoding)
    if chosen == "m3u":
        return read_m3u(path, encoding)
    return read_rows(path, encoding)  # CSV or JSON lines, told apart by their first character
