"""Harmonically compatible next tracks: neighbouring Camelot keys within a folded BPM window.

Compatible keys (key distance): the same code (0); one step round the wheel with the same
letter, or the relative major/minor, same number other letter (1); optionally the "energy
boost", two steps up with the same letter (2). The BPM window is a percentage of the track's
BPM and folds half and double time: 64 and 256 BPM are both within 6 % of 128. Ranking: key
distance, then BPM distance (percent, after folding), then energy difference. The partial
index on (camelot_key, bpm, energy) answers it in two steps (bench/scale.py times it): short
range scans find where the first `limit` end (the BPM distance, and among rows tied there the
energy difference), then only the rows up to there are read and ranked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Abs, Least

from enrichment.camelot import CAMELOT_PATTERN
from enrichment.models import Track

FOLDS = (1.0, 0.5, 2.0)  # the same tempo, half time, double time


@dataclass(frozen=True)
class Query:
    """What to look for around one track."""

    bpm_window: float = 6.0  # percent
    limit: int = 20
    energy_boost: bool = False


def compatible_keys(code: str, *, energy_boost: bool = False) -> dict[str, int]:
    """Camelot code -> key distance, for the keys that mix with `code` ("8A")."""
    if not re.match(CAMELOT_PATTERN, code):
        return {}
    number, letter = int(code[:-1]), code[-1]
    other = "B" if letter == "A" else "A"

    def step(by: int) -> int:
        return (number - 1 + by) % 12 + 1

    keys = {f"{number}{letter}": 0}
    for neighbour in (f"{step(1)}{letter}", f"{step(-1)}{letter}", f"{number}{other}"):
        keys.setdefault(neighbour, 1)
    if energy_boost:
        keys.setdefault(f"{step(2)}{letter}", 2)
    return keys


def bpm_condition(bpm: float, window: float) -> Q:
    """BPM within `window` percent of the tempo, its half or its double."""
    ratio = window / 100
    condition = Q()
    for fold in FOLDS:
        target = bpm * fold
        condition |= Q(bpm__gte=target * (1 - ratio), bpm__lte=target * (1 + ratio))
    return condition


def _distance(bpm: float, source_bpm: float) -> float:
    """Percent from the source BPM, its half or its double, whichever is nearest."""
    return min(abs(bpm - source_bpm * fold) * 100 / (source_bpm * fold) for fold in FOLDS)


def _union(parts: list[QuerySet[Any]]) -> list[tuple[Any, ...]]:
    return list(parts[0].union(*parts[1:], all=True)) if parts else []


def _near(
    rows: QuerySet[Track], name: str, target: float, low: float, high: float, limit: int
) -> list[QuerySet[Any]]:
    """The `limit` rows nearest `target` on each side (two short index range scans)."""
    above = rows.filter(**{f"{name}__gte": target, f"{name}__lte": high}).order_by(name)
    below = rows.filter(**{f"{name}__lt": target, f"{name}__gte": low}).order_by(f"-{name}")
    return [
        part.values_list("id", "camelot_key", "bpm", "energy")[:limit] for part in (above, below)
    ]


def _probe(track: Track, codes: list[str], window: float, limit: int) -> list[tuple[Any, ...]]:
    """Per code, fold and direction the `limit` nearest BPMs."""
    source, ratio = track.bpm or 0.0, window / 100
    parts = []
    for code in codes:
        rows = Track.objects.filter(camelot_key=code).exclude(pk=track.pk)
        for target in (source * fold for fold in FOLDS):
            low, high = target * (1 - ratio), target * (1 + ratio)
            parts += _near(rows, "bpm", target, low, high, limit)
    return _union(parts)


@dataclass(frozen=True)
class _Cut:
    """The last rank that makes the list: key distance, BPM distance, energy difference."""

    key_distance: int
    bpm_distance: float
    ties: list[tuple[str, float]]  # (code, BPM) of the rows at exactly that BPM distance
    energy_reach: float | None  # None: every tie makes it (or the source has no energy)


def _cut(track: Track, keys: dict[str, int], query: Query) -> _Cut | None:
    """Where the first `limit` rows end (None: fewer rows than that in the window).

    Key distances are probed nearest first, so usually the same key alone is read.
    """
    remaining = query.limit
    for key_distance in sorted(set(keys.values())):
        codes = [code for code, distance in keys.items() if distance == key_distance]
        nearest: dict[Any, tuple[float, str, float]] = {}
        for pk, code, bpm, _ in _probe(track, codes, query.bpm_window, remaining):
            rank = (_distance(bpm, track.bpm or 0.0), code, bpm)
            nearest[pk] = min(nearest.get(pk, rank), rank)
        ranked = sorted(nearest.values())
        if len(ranked) < remaining:
            remaining -= len(ranked)
            continue
        bpm_distance = ranked[remaining - 1][0]
        better = sum(1 for rank in ranked if rank[0] < bpm_distance)
        ties = sorted({(code, bpm) for distance, code, bpm in ranked if distance == bpm_distance})
        reach = _energy_reach(track, ties, remaining - better)
        return _Cut(key_distance, bpm_distance, ties, reach)
    return None


def _energy_reach(track: Track, ties: list[tuple[str, float]], wanted: int) -> float | None:
    """The energy difference of the `wanted`-th nearest in energy among the tied rows."""
    if track.energy is None:
        return None
    parts = []
    for code, bpm in ties:
        rows = Track.objects.filter(camelot_key=code, bpm=bpm).exclude(pk=track.pk)
        parts += _near(rows, "energy", track.energy, -1.0, 2.0, wanted)
    differences = sorted(
        {pk: abs(energy - track.energy) for pk, _, _, energy in _union(parts)}.values()
    )
    return differences[wanted - 1] if len(differences) >= wanted else None


def _reach(track: Track, keys: dict[str, int], query: Query) -> Q:
    """The rows that can rank among the first `limit` (all within the window if no more)."""
    cut = _cut(track, keys, query)
    if cut is None:
        return Q(camelot_key__in=list(keys)) & bpm_condition(track.bpm or 0.0, query.bpm_window)
    closer = [code for code, distance in keys.items() if distance < cut.key_distance]
    condition = Q(camelot_key__in=closer) & bpm_condition(track.bpm or 0.0, query.bpm_window)
    level = [code for code, distance in keys.items() if distance == cut.key_distance]
    if cut.bpm_distance > 0:  # the rows strictly nearer than the tied ones
        inner = cut.bpm_distance * (1 - 1e-9)
        condition |= Q(camelot_key__in=level) & bpm_condition(track.bpm or 0.0, inner)
    for code, bpm in cut.ties:
        tie = Q(camelot_key=code, bpm=bpm)
        if cut.energy_reach is not None and track.energy is not None:
            reach = cut.energy_reach + 1e-9
            tie &= Q(energy__gte=track.energy - reach, energy__lte=track.energy + reach)
        condition |= tie
    return condition


def compatible_tracks(track: Track, query: Query) -> QuerySet[Track]:
    """The tracks that mix with `track`, best first (none when its key or BPM is unknown)."""
    keys = compatible_keys(track.camelot_key or "", energy_boost=query.energy_boost)
    if not keys or not track.bpm:
        return Track.objects.none()
    bpm = track.bpm
    distances = [Abs(F("bpm") - bpm * fold) * (100 / (bpm * fold)) for fold in FOLDS]
    energy = Abs(F("energy") - track.energy) if track.energy is not None else Value(0.0)
    return (
        Track.objects.filter(_reach(track, keys, query))
        .exclude(pk=track.pk)
        .annotate(
            key_distance=Case(
                *(When(camelot_key=code, then=Value(distance)) for code, distance in keys.items()),
                default=Value(9),
            ),
            bpm_distance=Least(*distances, output_field=FloatField()),
            energy_difference=energy,
        )
        .order_by(
            "key_distance",
            "bpm_distance",
            F("energy_difference").asc(nulls_last=True),
            "artist_name",
            "title",
        )[: query.limit]
    )
