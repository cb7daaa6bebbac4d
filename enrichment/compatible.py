"""Harmonically compatible next tracks: neighbouring Camelot keys within a folded BPM window.

Compatible keys (key distance): the same code (0); one step round the wheel with the same
letter, or the relative major/minor, same number other letter (1); optionally the "energy
boost", two steps up with the same letter (2). The BPM window is a percentage of the track's
BPM and folds half and double time: 64 and 256 BPM are both within 6 % of 128. Ranking: key
distance, then BPM distance (percent, after folding), then energy difference. The partial
index on (camelot_key, bpm) answers each key's BPM ranges directly (bench/scale.py times it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def compatible_tracks(track: Track, query: Query) -> QuerySet[Track]:
    """The tracks that mix with `track`, best first (none when its key or BPM is unknown)."""
    keys = compatible_keys(track.camelot_key or "", energy_boost=query.energy_boost)
    if not keys or not track.bpm:
        return Track.objects.none()
    bpm = track.bpm
    distances = [Abs(F("bpm") - bpm * fold) * (100 / (bpm * fold)) for fold in FOLDS]
    energy = Abs(F("energy") - track.energy) if track.energy is not None else Value(0.0)
    return (
        Track.objects.filter(Q(camelot_key__in=list(keys)) & bpm_condition(bpm, query.bpm_window))
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
