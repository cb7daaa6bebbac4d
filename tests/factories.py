"""Factories for models (tests build rows through these, not by hand)."""

from __future__ import annotations

import itertools
from typing import Any

from enrichment.models import EnrichmentStatus, Track

_counter = itertools.count(1)


def make_track(*, status: str | None = "pending", **fields: Any) -> Track:
    """Create a track with a status row in that status (None: no status row at all)."""
    number = next(_counter)
    fields.setdefault("artist_name", f"Artist {number}")
    fields.setdefault("title", f"Title {number}")
    track = Track.objects.create(**fields)  # creates its pending status row
    if status is None:
        EnrichmentStatus.objects.filter(track=track).delete()
    elif status != "pending":
        EnrichmentStatus.objects.filter(track=track).update(status=status)
    return track
