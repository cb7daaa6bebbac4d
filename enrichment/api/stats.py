"""GET /stats: coverage of every identifier and feature, and statuses, in two queries."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Avg, Count
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from enrichment.models import ENRICHED_FIELDS, EnrichmentStatus, Track

STATS_KEY = "enrichment:stats"
# Keys of Track.metadata that count as data of their own.
METADATA_KEYS = ("lastfm_tags", "review")
# Columns reported (the derived pitch class / mode / precision are implied by key and date).
COLUMNS = tuple(
    name
    for name in ENRICHED_FIELDS
    if name not in {"key_pitch_class", "key_mode", "release_date_precision"}
)
COVERED = (*COLUMNS, "lastfm_tags")


@functools.cache
def track_counts_sql() -> str:
    """One scan counting every column's values; metadata keys by (partial-index) sub-selects.

    COUNT(column) skips NULLs, COUNT(NULLIF(column, '')) blanks: cheaper than FILTER clauses.
    Reading metadata would decompress every row's JSON, so its keys are counted apart.
    """
    quote = connection.ops.quote_name
    table = quote(Track._meta.db_table)
    counts = ["COUNT(*) AS total_tracks"]
    for name in COLUMNS:  # enriched fields keep their names as column names
        nullable = Track._meta.get_field(name).null
        value = quote(name) if nullable else f"NULLIF({quote(name)}, '')"
        counts.append(f"COUNT({value}) AS with_{name}")
    counts.append(f"COUNT({quote('energy')}) AS with_audio_features")
    for alias, key in (("with_lastfm_tags", "lastfm_tags"), ("awaiting_review", "review")):
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
    rows = (
        EnrichmentStatus.objects.order_by()
        .values("status")
        .annotate(count=Count("pk"), avg_retries=Avg("retry_count"))
    )
    found: dict[str, tuple[int, float]] = {
        row["status"]: (row["count"], float(row["avg_retries"] or 0)) for row in rows
    }
    return [
        {"status": name, "count": count, "avg_retries": round(retries, 3)}
        for name in EnrichmentStatus.Status.values
        for count, retries in [found.get(name, (0, 0.0))]
    ]


def statistics() -> dict[str, Any]:
    """The seed's shape (track_stats, enrichment_status, timestamp) plus coverage in %."""
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


def cached_statistics() -> dict[str, Any]:
    """statistics(), reused for STATS_CACHE_SECONDS (a full scan is not free at a million)."""
    if settings.STATS_CACHE_SECONDS <= 0:
        return statistics()
    stored = cache.get_or_set(STATS_KEY, statistics, settings.STATS_CACHE_SECONDS)
    return stored if isinstance(stored, dict) else statistics()


class StatusCountOutput(serializers.Serializer[Any]):
    """Tracks in one enrichment status."""

    status = serializers.ChoiceField(choices=EnrichmentStatus.Status.choices)
    count = serializers.IntegerField()
    avg_retries = serializers.FloatField()


class StatsOutput(serializers.Serializer[Any]):
    """Counts (total_tracks, with_<field>, awaiting_review), coverage percentages, and when."""

    track_stats = serializers.DictField(child=serializers.IntegerField())
    coverage = serializers.DictField(child=serializers.FloatField(), help_text="Percent.")
    enrichment_status = StatusCountOutput(many=True)
    timestamp = serializers.DateTimeField()


class StatsView(APIView):
    """Enrichment coverage of the catalogue."""

    @extend_schema(
        responses={200: StatsOutput, 401: OpenApiResponse(description="Authentication required.")}
    )
    def get(self, request: Request) -> Response:
        return Response(StatsOutput(cached_statistics()).data)
