"""Select tracks for export and stream them in a format (used by the command, admin and API)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.db.models import Q, QuerySet

from enrichment.dj_formats.keys import Notation
from enrichment.dj_formats.writers import WRITERS, ExportStats
from enrichment.models import Track

CHUNK = 2000  # rows fetched at a time by the server-side cursor


def export_tracks(
    status: Sequence[str] = (), has: Sequence[str] = (), genre: str | None = None
) -> QuerySet[Track]:
    """Tracks matching every filter, in artist/title order."""
    from enrichment.api.tracks import present  # the API's "has a value" (columns or metadata)

    tracks = Track.objects.all()
    if status:
        tracks = tracks.filter(enrichment_status__status__in=status)
    for name in has:
        tracks = tracks.filter(present(name))
    if genre:
        tracks = tracks.filter(Q(genre__iexact=genre))
    return tracks.order_by("artist_name", "title", "id")


def stream(
    fmt: str, tracks: QuerySet[Track], notation: Notation, stats: ExportStats | None = None
) -> Iterator[str]:
    """The export as text chunks (a generator: tracks are read CHUNK at a time)."""
    stats = stats if stats is not None else ExportStats()
    count = tracks.count() if fmt in ("rekordbox-xml", "traktor-nml") else 0
    return WRITERS[fmt](tracks.iterator(chunk_size=CHUNK), count, notation, stats)
