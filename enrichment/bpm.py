"""BPM octave reconciliation: fold a tempo into its genre's range, flag octave disagreements.

Analysers often read a track at half or double its tempo (drum & bass as 87 instead of 174) or
at 3:2 (a triplet feel). `fold` moves a tempo by octaves (x2, x1/2) into a range: BPM_RANGE
(default 78-155), or the range the genre taxonomy gives the track's primary genre (Drum & Bass
160-185, Dubstep 135-150 so its half-time 70 reads 140, Hip Hop 70-110). A tempo no octave
brings inside keeps the octave nearest the range. `disagreement` compares every source's raw
BPM: a pair apart by x2 (or x1/2) or x1.5, within TOLERANCE, is flagged for a curator.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings

from enrichment.genres import taxonomy

TOLERANCE = 0.03  # relative: 87 and 174 (x2.0) or 116 and 174 (x1.5) within 3 %
RELATIONS = {"x2": 2.0, "x1.5": 1.5}
_MIN_BPM, _MAX_BPM = 0.0, 1000.0  # the column's check constraint (exclusive)


def range_for(genre: str | None) -> tuple[float, float]:
    """The tempo range of a genre (the taxonomy's), else the configured BPM_RANGE."""
    known = taxonomy().bpm_ranges.get(genre or "")
    if known is not None:
        return known
    low, high = settings.BPM_RANGE
    return float(low), float(high)


def fold(bpm: float, low: float, high: float) -> float:
    """Double or halve until inside [low, high]; else the octave nearest the range."""
    if bpm <= 0 or not math.isfinite(bpm):
        raise ValueError(f"bpm must be a positive number, got {bpm!r}")
    octaves = [math.ldexp(bpm, shift) for shift in range(-4, 5)]
    octaves = [value for value in octaves if _MIN_BPM < value < _MAX_BPM]
    inside = [value for value in octaves if low <= value <= high]

    def outside_by(value: float) -> float:
        return max(low - value, value - high)

    def moved_by(value: float) -> float:
        return abs(value - bpm)

    best = min(inside, key=moved_by) if inside else min(octaves, key=outside_by)
    return round(best, 3)


def reconcile(bpm: float, genre: str | None) -> float:
    """The tempo folded into the genre's range."""
    return fold(bpm, *range_for(genre))


@dataclass(frozen=True)
class OctaveDisagreement:
    """Two sources whose raw BPMs differ by an octave (x2) or by 3:2 (x1.5)."""

    relation: str  # a key of RELATIONS
    lower: str  # the source that read the slower tempo
    higher: str

    def to_dict(self, raw: Mapping[str, float]) -> dict[str, object]:
        """The flag as metadata keeps it (track_metadata.OctaveFlag)."""
        values = {self.lower: raw[self.lower], self.higher: raw[self.higher]}
        pair = {"lower": self.lower, "higher": self.higher}
        return {"relation": self.relation, **pair, "raw": values}


def relation(slower: float, faster: float) -> str | None:
    """The relation ("x2" or "x1.5") when faster/slower is that ratio within TOLERANCE."""
    ratio = faster / slower
    for name, factor in RELATIONS.items():
        if abs(ratio - factor) <= TOLERANCE * factor:
            return name
    return None


def disagreement(raw: Mapping[str, float]) -> OctaveDisagreement | None:
    """The first pair of sources (in the given order) whose raw tempos disagree by x2 or x1.5."""
    for (first, a), (second, b) in itertools.combinations(raw.items(), 2):
        if a <= 0 or b <= 0:
            continue
        lower, higher = (first, second) if a <= b else (second, first)
        found = relation(min(a, b), max(a, b))
        if found:
            return OctaveDisagreement(found, lower, higher)
    return None
