"""Factories for models (tests build rows through these, not by hand)."""

from __future__ import annotations

import itertools
from typing import Any

from enrichment.models import EnrichmentStatus, Track

_counter = itertools.count(1)


def make_track(*, status: str | None = "pending", **fields: Any) -> Track:
    """Create a track (and its status row unless status is None)."""
    number = next(_counter)
    fields.setdefault("artist_name", f"Artist {number}")
    fields.setdefault("title", f"Title {number}")
    track = Track.objects.create(**fields)
    if status is not None:
        EnrichmentStatus.objects.create(track=track, status=status)
    return track
