"""M3U / M3U8 playlists: "#EXTINF:<seconds>,<Artist> - <Title>" then the file's path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from enrichment.import_reading import Row, RowError, open_text, text_problem

EXTINF = "#EXTINF:"


def read_m3u(path: Path, encoding: str | None = None) -> Iterator[Row]:
    """One row per #EXTINF entry (numbered by the line of its #EXTINF)."""
    with open_text(path, encoding) as (text, _):
        pending: tuple[int, str] | None = None
        for number, line in enumerate(text, start=1):
            line = line.strip().lstrip("\ufeff")
            if line.startswith(EXTINF):
                if pending is not None:
                    yield pending[0], _entry(pending[0], pending[1], None)
                pending = (number, line[len(EXTINF) :])
            elif line and not line.startswith("#"):
                if pending is None:
                    yield number, RowError(number, "path", "no #EXTINF line names this file")
                else:
                    yield pending[0], _entry(pending[0], pending[1], line)
                pending = None
        if pending is not None:
            yield pending[0], _entry(pending[0], pending[1], None)


def _entry(number: int, info: str, location: str | None) -> dict[str, Any] | RowError:
    seconds, comma, name = info.partition(",")
    if not comma:
        return RowError(number, "#EXTINF", "expected '<seconds>,<Artist> - <Title>'")
    artist, dash, title = name.partition(" - ")
    if not dash or not artist.strip() or not title.strip():
        return RowError(number, "#EXTINF", f"{name.strip()!r} is not 'Artist - Title'")
    problem = text_problem(name)
    if problem:
        return RowError(number, "#EXTINF", problem)
    raw: dict[str, Any] = {"artist_name": artist.strip(), "track_title": title.strip()}
    try:
        duration = float(seconds.strip())
    except ValueError:
        return RowError(number, "#EXTINF", f"duration {seconds.strip()!r} is not a number")
    if duration > 0:
        raw["duration_ms"] = round(duration * 1000)
    if location:
        raw["location"] = location
    return raw
