"""The curator dashboard's figures, read fresh from the database in a few aggregate queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone

from enrichment import coverage
from enrichment.admin.filters import PRESENCE_FIELDS
from enrichment.models import ApiCache, CircuitBreakerState, EnrichmentStatus, SourceOutcome, jobs
from enrichment.sources.registry import PROVIDERS, configured_sources

Status = EnrichmentStatus.Status
RECENT = timedelta(hours=24)
# One scan of enrichment_status per provider outcome, only over the last day's attempts.
_OUTCOMES_SQL = """
SELECT o.key, o.value->>'outcome', count(*)
  FROM enrichment_status AS s CROSS JOIN LATERAL jsonb_each(s.source_outcomes) AS o
 WHERE s.last_attempt >= %s AND jsonb_typeof(o.value) = 'object' AND o.value->>'at' >= %s
 GROUP BY 1, 2
"""


def percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


@dataclass(frozen=True)
class Coverage:
    """How many tracks know one field."""

    field: str
    label: str
    count: int
    total: int

    @property
    def percent(self) -> float:
        return percent(self.count, self.total)


@dataclass
class SourceHealth:
    """One provider's breaker, configuration and recent outcomes."""

    name: str
    breaker: str = "closed"
    failures_in_a_row: int = 0
    opened_at: datetime | None = None
    missing_configuration: str | None = None
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def attempts(self) -> int:
        return sum(self.outcomes.values())

    @property
    def errors(self) -> int:
        expected = SourceOutcome.settled() | {SourceOutcome.REVIEW}
        return sum(n for name, n in self.outcomes.items() if name not in expected)

    @property
    def error_rate(self) -> float:
        return percent(self.errors, self.attempts)


@dataclass(frozen=True)
class CacheStats:
    """One API's cached responses and how often they were reused."""

    source: str
    rows: int
    hits: int
    expired: int

    @property
    def hit_rate(self) -> float:
        """Hits per lookup: every stored row was one miss, every reuse one hit."""
        return percent(self.hits, self.hits + self.rows)


def field_coverage() -> tuple[int, list[Coverage], int, int]:
    """Total tracks, each filterable field's coverage, tracks awaiting review and tracks whose
    sources disagree on the BPM by x2 / x1.5 (one scan)."""
    counts = coverage.track_counts()
    total = counts["total_tracks"]
    fields = [
        Coverage(n, label, counts[f"with_{n}"], total) for n, label in PRESENCE_FIELDS.items()
    ]
    return total, fields, counts["awaiting_review"], counts["bpm_octave_flags"]


def status_counts() -> dict[str, int]:
    """Tracks per status, plus failed-for-good and claims older than the claim timeout."""
    statuses = EnrichmentStatus.objects
    return {
        **statuses.counts(),
        "exhausted": statuses.exhausted().count(),
        "stuck": statuses.stale_claims().count(),
    }


def queue_depth() -> list[tuple[str, int]]:
    """Enrichment jobs per Procrastinate status, every status listed."""
    return list(jobs().enrichment().counts().items())


def source_health(now: datetime | None = None) -> list[SourceHealth]:
    """Per provider: breaker state, configuration, and outcomes of the last day's attempts."""
    since = (now or timezone.now()) - RECENT
    health = {provider.name: SourceHealth(provider.name) for provider in PROVIDERS}
    missing = configured_sources()
    breakers = CircuitBreakerState.objects.by_api()
    for provider in PROVIDERS:
        # A capability (Spotify's audio features) shares its API's credentials and breaker.
        source = health[provider.name]
        source.missing_configuration = missing.get(provider.api)
        if breaker := breakers.get(provider.api):
            source.breaker, source.opened_at = breaker.state, breaker.opened_at
            source.failures_in_a_row = breaker.failure_count
    with connection.cursor() as cursor:
        cursor.execute(_OUTCOMES_SQL, [since, since.isoformat()])
        for name, outcome, count in cursor.fetchall():
            health.setdefault(name, SourceHealth(name)).outcomes[outcome or "?"] = count
    return list(health.values())


def cache_stats() -> list[CacheStats]:
    """Rows, hits and expired rows per API."""
    rows = (
        ApiCache.objects.values_list("api_source")
        .annotate(
            rows=Count("id"),
            hits=Sum("hit_count"),
            expired=Count("id", filter=Q(expires_at__lte=timezone.now())),
        )
        .order_by("api_source")
    )
    return [CacheStats(source, n, hits or 0, expired) for source, n, hits, expired in rows]


def recent_failures(limit: int = 10) -> list[EnrichmentStatus]:
    """The latest failed attempts, with their tracks' names."""
    failed = EnrichmentStatus.objects.filter(status=Status.FAILED, last_attempt__isnull=False)
    failed = failed.select_related("track").only(
        "track_id", "last_attempt", "error_message", "track__artist_name", "track__title"
    )
    return list(failed.order_by("-last_attempt")[:limit])
