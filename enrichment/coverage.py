"""Coverage figures read from the database in one scan (demo report; shared with /stats)."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count

from enrichment.models import EnrichmentStatus

# Label -> SQL condition; one COUNT(*) FILTER per line, all in a single pass over tracks.
COVERAGE = {
    "Spotify id": "spotify_id IS NOT NULL",
    "ISRC": "isrc IS NOT NULL",
    "MusicBrainz id": "musicbrainz_id IS NOT NULL",
    "Discogs id": "discogs_id IS NOT NULL",
    "Deezer id": "deezer_id IS NOT NULL",
    "BPM": "bpm IS NOT NULL",
    "Camelot key": "camelot_key <> ''",
    "energy": "energy IS NOT NULL",
    "label": "label <> ''",
    "catalog number": "catalog_number <> ''",
    "release date": "release_date IS NOT NULL",
    "Last.fm tags": "metadata ? 'lastfm_tags'",
    "awaiting review": "metadata ? 'review'",
}


def coverage_counts() -> tuple[int, dict[str, int]]:
    """(total tracks, {label: tracks with it})."""
    columns = ", ".join(f"count(*) FILTER (WHERE {cond})" for cond in COVERAGE.values())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), {columns} FROM enrichment_track")
        row = cursor.fetchone()
    assert row is not None
    return int(row[0]), dict(zip(COVERAGE, map(int, row[1:]), strict=True))


def status_counts() -> dict[str, int]:
    """Tracks per enrichment status."""
    rows = EnrichmentStatus.objects.values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def queue_depth() -> int:
    """Enrichment jobs waiting or running."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_jobs "
            "WHERE task_name = 'enrichment.enrich_track' AND status IN ('todo', 'doing')"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def report_lines() -> list[str]:
    """A human-readable coverage report."""
    total, counts = coverage_counts()
    lines = [f"tracks: {total}   statuses: {status_counts()}"]
    for label, count in counts.items():
        share = 100.0 * count / total if total else 0.0
        lines.append(f"  {label:<16} {count:>6}  {share:5.1f}%")
    return lines
