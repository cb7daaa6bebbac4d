"""Genres: upstream labels (styles, genres, crowd tags) mapped onto one versioned taxonomy.

The taxonomy (enrichment/data/genre_taxonomy.json) names the canonical genres, the aliases
sources spell them with ("dnb", "drum n bass" -> "Drum & Bass"), a blocklist of tags that are
not genres ("seen live", "female vocalists", years) and, per genre, the tempo range its tracks'
BPM is folded into (enrichment/bpm.py). Labels the taxonomy does not know are left out: a genre
column that holds only canonical names can be filtered and counted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

TAXONOMY_PATH = Path(__file__).resolve().parent / "data" / "genre_taxonomy.json"
MAX_GENRE_LENGTH = 100  # the genre column's (and each genres item's) length
MAX_GENRES = 5  # a track's genres list keeps the most trusted few


class TaxonomyError(ValueError):
    """The taxonomy file is unreadable or breaks its own rules (the message names the place)."""


@dataclass(frozen=True)
class Taxonomy:
    """Canonical genres by normalised spelling, the blocklist, and the genres' tempo ranges."""

    version: int
    by_spelling: Mapping[str, str]
    blocklist: frozenset[str]
    blocked_patterns: tuple[re.Pattern[str], ...]
    bpm_ranges: Mapping[str, tuple[float, float]]

    @property
    def names(self) -> frozenset[str]:
        """Every canonical genre."""
        return frozenset(self.by_spelling.values())

    def canonical(self, label: str) -> str | None:
        """The canonical genre a label means, or None (unknown, or blocked as a non-genre)."""
        spelling = normalise(label)
        if not spelling or spelling in self.blocklist:
            return None
        if any(pattern.search(spelling) for pattern in self.blocked_patterns):
            return None
        return self.by_spelling.get(spelling)

    def genres(self, labels: Iterable[str]) -> tuple[str, ...]:
        """The canonical genres of these labels, in their order, without repeats."""
        found = (self.canonical(label) for label in labels)
        return tuple(dict.fromkeys(genre for genre in found if genre))[:MAX_GENRES]


def normalise(label: str) -> str:
    """Lower case, "&" and "'n'" as "and", punctuation as spaces, single spaces."""
    text = label.casefold().replace("&", " and ")
    text = re.sub(r"['\u2019]n['\u2019]|\bn\b", " and ", text)
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())


def load(path: Path = TAXONOMY_PATH) -> Taxonomy:
    """Read and check a taxonomy file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise TaxonomyError(f"{path}: cannot be read: {error}") from error
    if not isinstance(document, dict):
        raise TaxonomyError(f"{path}: should hold a JSON object")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise TaxonomyError(f"{path}: 'version' should be a positive whole number")
    genres = document.get("genres")
    if not isinstance(genres, dict) or not genres:
        raise TaxonomyError(f"{path}: 'genres' should be a non-empty object")
    blocklist = frozenset(normalise(tag) for tag in _strings(document, "blocklist", path))
    spellings, ranges = _genre_entries(genres, blocklist, path)
    patterns = _patterns(_strings(document, "blocklist_patterns", path), path)
    return Taxonomy(version, spellings, blocklist, patterns, ranges)


def _genre_entries(
    genres: dict[str, Any], blocklist: frozenset[str], path: Path
) -> tuple[dict[str, str], dict[str, tuple[float, float]]]:
    spellings: dict[str, str] = {}
    ranges: dict[str, tuple[float, float]] = {}
    for name, entry in genres.items():
        where = f"{path}: genre {name!r}"
        if not name.strip() or len(name) > MAX_GENRE_LENGTH or not isinstance(entry, dict):
            raise TaxonomyError(f"{where}: needs a name of 1-100 characters and an object")
        for spelling in (normalise(name), *map(normalise, _strings(entry, "aliases", path))):
            if spellings.get(spelling, name) != name or spelling in blocklist:
                raise TaxonomyError(f"{where}: alias {spelling!r} is taken or blocklisted")
            spellings[spelling] = name
        if "bpm" in entry:
            ranges[name] = _bpm_range(entry["bpm"], where)
    return spellings, ranges


def _bpm_range(value: Any, where: str) -> tuple[float, float]:
    numbers = value if isinstance(value, list) else []
    if len(numbers) != 2 or not all(isinstance(n, int | float) for n in numbers):
        raise TaxonomyError(f"{where}: 'bpm' should be [low, high]")
    low, high = float(numbers[0]), float(numbers[1])
    if not 0 < low < high < 1000:
        raise TaxonomyError(f"{where}: 'bpm' needs 0 < low < high < 1000")
    return low, high


def _strings(entry: dict[str, Any], key: str, path: Path) -> list[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TaxonomyError(f"{path}: {key!r} should be a list of strings")
    return value


def _patterns(texts: list[str], path: Path) -> tuple[re.Pattern[str], ...]:
    try:
        return tuple(re.compile(text) for text in texts)
    except re.error as error:
        raise TaxonomyError(f"{path}: 'blocklist_patterns': {error}") from error


@cache
def taxonomy() -> Taxonomy:
    """The repository's taxonomy (read once)."""
    return load()


def canonical_genres(*label_groups: Iterable[str]) -> tuple[str, ...]:
    """Canonical genres of label groups given most trusted first (e.g. styles, then genres)."""
    return taxonomy().genres(label for group in label_groups for label in group)
