"""The sandbox catalogue: cached access, hard cases, and the demo import list (sample tracks)."""

# Run `python -m sandbox.catalogue PATH [N]` to write the demo CSV.

from __future__ import annotations

import csv
import random
import sys
from functools import lru_cache
from pathlib import Path

from sandbox import vocabulary
from sandbox.generator import build_catalogue
from sandbox.hardcases import DESCRIPTIONS as HARD_CASE_DESCRIPTIONS
from sandbox.records import Artist, AudioFeatures, Catalogue, Recording, Release

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_SEED",
    "DEFAULT_SIZE",
    "HARD_CASES",
    "HARD_CASE_DESCRIPTIONS",
    "Artist",
    "AudioFeatures",
    "Catalogue",
    "Recording",
    "Release",
    "build_catalogue",
    "catalogue",
    "sample_tracks",
    "write_sample_csv",
]

HARD_CASES: dict[str, list[Recording]]  # hard case name -> recordings, computed on first use
DEFAULT_SEED = 2024
DEFAULT_SIZE = 3000
CSV_COLUMNS = ("artist_name", "track_title", "isrc", "spotify_id")
# Hard cases the demo list always includes a few of, so the demo shows each behaviour.
SAMPLED_CASES = (
    "featured", "version", "same_title", "no_audio_features", "no_musicbrainz", "no_deezer",
    "no_discogs", "no_lastfm", "accented_artist", "key_unknown", "deezer_bpm_zero",
)  # fmt: skip


@lru_cache(maxsize=4)
def catalogue(seed: int = DEFAULT_SEED, size: int = DEFAULT_SIZE) -> Catalogue:
    """The catalogue for a seed (built once per process; the same seed gives the same ids)."""
    return build_catalogue(seed, size)


def __getattr__(name: str) -> dict[str, list[Recording]]:
    # HARD_CASES is computed on first use so importing this module stays cheap.
    if name == "HARD_CASES":
        return catalogue().hard_cases
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _artist_text(recording: Recording, rng: random.Random) -> str:
    """How a setlist scraper writes the artist: sometimes with the featured artist appended."""
    if recording.featured and rng.random() < 0.5:
        return f"{recording.artist.name} feat. " + " & ".join(a.name for a in recording.featured)
    return recording.artist.name


def _title_text(recording: Recording, rng: random.Random) -> str:
    """How a setlist scraper writes the title: DJ style "(Extended Mix)" or Spotify style."""
    title = recording.bracketed_title if rng.random() < 0.7 else recording.spotify_name
    return title.lower() if rng.random() < 0.05 else title


def _row(recording: Recording, rng: random.Random) -> dict[str, str]:
    row = {"artist_name": _artist_text(recording, rng), "track_title": _title_text(recording, rng)}
    roll = rng.random()
    if roll < 0.08:
        row["isrc"] = recording.isrc
    elif roll < 0.15:
        row["spotify_id"] = recording.spotify_id
    return row


def _picks(source: Catalogue, count: int, rng: random.Random) -> list[Recording]:
    """A few recordings of each sampled hard case, then random ones, without repeats."""
    chosen: dict[int, Recording] = {}
    for case in SAMPLED_CASES:
        members = source.hard_cases.get(case, [])
        for recording in rng.sample(members, min(3, len(members))):
            chosen.setdefault(recording.number, recording)
    while len(chosen) < count:
        recording = rng.choice(source.recordings)
        chosen.setdefault(recording.number, recording)
    return list(chosen.values())[:count]


def _unknown_rows(count: int, rng: random.Random) -> list[dict[str, str]]:
    """Rows built from words no catalogue entry uses: the demo's "not found" tracks."""
    pairs = [(a, t) for a in vocabulary.UNKNOWN_ARTISTS for t in vocabulary.UNKNOWN_TITLES]
    return [{"artist_name": a, "track_title": t} for a, t in rng.sample(pairs, count)]


def sample_tracks(n: int = 300, seed: int = 7) -> list[dict[str, str]]:
    """A demo import list: artist_name, track_title, sometimes isrc or spotify_id."""
    # About 15% of rows carry an identifier; about 2% (at least one) are in no API, so the
    # demo shows "not found" too.
    rng = random.Random(seed)
    unknown = min(max(1, n // 50), 16, n)
    rows = [_row(r, rng) for r in _picks(catalogue(), n - unknown, rng)]
    rows += _unknown_rows(unknown, rng)
    rng.shuffle(rows)
    return rows


def write_sample_csv(path: str | Path, n: int = 300, seed: int = 7) -> int:
    """Write sample_tracks(n, seed) as CSV (artist_name, track_title, isrc, spotify_id)."""
    rows = sample_tracks(n, seed)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m sandbox.catalogue PATH [N]")
    written = write_sample_csv(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300)
    print(f"wrote {written} tracks to {sys.argv[1]}")
