"""Catalogue coverage and statuses, read from the database (for /stats, the dashboard and the
demo report). Counting a million tracks takes a scan (~0.5 s here), so readers get a snapshot
that the periodic job refreshes every minute; its `timestamp` says how fresh it is."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from enrichment import pacing
from enrichment.models import ENRICHED_FIELDS, ENRICHMENT_QUEUE, EnrichmentStatus, Track, jobs
from enrichment.track_metadata import OCTAVE_FLAG_KEY, REVIEW_KEY, TAGS_KEY

STATS_KEY = "enrichment:stats"
# Keys of Track.metadata that count as data of their own.
METADATA_KEYS = (TAGS_KEY, REVIEW_KEY)
# Columns reported (the derived pitch class / mode / precision are implied by key and date).
COLUMNS = tuple(
    name
    for name in ENRICHED_FIELDS
    if name not in {"key_pitch_class", "key_mode", "release_date_precision"}
)
COVERED = (*COLUMNS, TAGS_KEY)


@functools.cache
def track_counts_sql() -> str:
    """One scan counting every column's values; metadata keys by (partial-index) sub-selects.

    COUNT(column) skips NULLs, COUNT(NULLIF(column, '')) blanks and NULLIF(cardinality(list), 0)
    empty lists: cheaper than FILTER clauses.
    Reading metadata would decompress every row's JSON, so its keys are counted apart.
    """
    quote = connection.ops.quote_name
    table = quote(Track._meta.db_table)
    counts = ["COUNT(*) AS total_tracks"]
    for name in COLUMNS:  # enriched fields keep their names as column names
        field = Track._meta.get_field(name)
        value = quote(name) if field.null else f"NULLIF({quote(name)}, '')"
        if isinstance(field, ArrayField):
            value = f"NULLIF(cardinality({quote(name)}), 0)"
        counts.append(f"COUNT({value}) AS with_{name}")
    counts.append(f"COUNT({quote('energy')}) AS with_audio_features")
    keys = (
        ("with_lastfm_tags", TAGS_KEY),
        ("awaiting_review", REVIEW_KEY),
        ("bpm_octave_flags", OCTAVE_FLAG_KEY),
    )
    for alias, key in keys:
        counts.append(f"(SELECT COUNT(*) FROM {table} WHERE metadata ? '{key}') AS {alias}")
    return f"SELECT {', '.join(counts)} FROM {table}"


def track_counts() -> dict[str, int]:
    """Total and per-field counts of the catalogue (one statement)."""
    with connection.cursor() as cursor:
        cursor.execute(track_counts_sql())
        names = [column.name for column in cursor.description or ()]
        return dict(zip(names, cursor.fetchone() or (), strict=True))


def status_counts() -> list[dict[str, Any]]:
    """Every status with its track count and average retries (one grouped scan)."""
    return [
        {"status": name, "count": tally.tracks, "avg_retries": round(tally.avg_retries, 3)}
        for name, tally in EnrichmentStatus.objects.per_status().items()
    ]


def statistics() -> dict[str, Any]:
    """The original service's shape (track_stats, enrichment_status, timestamp) plus coverage %."""
    counts = track_counts()
    total = counts["total_tracks"]
    coverage = {
        name.removeprefix("with_"): round(100.0 * value / total, 2) if total else 0.0
        for name, value in counts.items()
        if name.startswith("with_")
    }
    return {
        "track_stats": counts,
        "coverage": coverage,
        "enrichment_status": status_counts(),
        "timestamp": timezone.now(),
    }


def refresh_statistics() -> dict[str, Any]:
    """Compute the figures now and keep them as the snapshot readers get."""
    figures = statistics()
    if settings.STATS_CACHE_SECONDS > 0:
        cache.set(STATS_KEY, figures, settings.STATS_CACHE_SECONDS)
    return figures


def cached_statistics() -> dict[str, Any]:
    """The latest snapshot (refreshed every minute by a periodic job), else computed now."""
    if settings.STATS_CACHE_SECONDS <= 0:
        return statistics()
    stored = cache.get(STATS_KEY)
    return stored if isinstance(stored, dict) else refresh_statistics()


def queue_depth() -> int:
    """Enrichment jobs waiting or running: the tracks' jobs and their follow-ups."""
    queues = [ENRICHMENT_QUEUE, *pacing.follow_up_queues()]
    return jobs().filter(queue_name__in=queues).active().count()


def report_lines() -> list[str]:
    """A human-readable coverage report (fresh figures, not the snapshot)."""
    figures = refresh_statistics()
    counts = figures["track_stats"]
    statuses = {row["status"]: row["count"] for row in figures["enrichment_status"]}
    lines = [f"tracks: {counts['total_tracks']}   statuses: {statuses}"]
    for name, share in figures["coverage"].items():
        lines.append(f"  {name:<22} {counts['with_' + name]:>7}  {share:6.1f}%")
    lines.append(f"  {'awaiting review':<22} {counts['awaiting_review']:>7}")
    total = counts["total_tracks"]
    for label, name in (("genre coverage", "genre"), ("reconciled BPM", "bpm")):
        share = figures["coverage"][name]
        lines.append(f"{label}: {counts['with_' + name]} of {total} tracks ({share:.1f}%)")
    lines.append(f"BPM octave flags (sources disagree by x2/x1.5): {counts['bpm_octave_flags']}")
    return lines
