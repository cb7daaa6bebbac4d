"""Tracks, their enrichment status, the API response cache, and shared limiter/breaker state."""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterable
from typing import Any, NamedTuple, NotRequired, Self, TypedDict

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.functions import RandomUUID
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.core.validators import RegexValidator
from django.db import connection, models
from django.db.models import Avg, Count, F, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from enrichment.camelot import CAMELOT_PATTERN as CAMELOT_REGEX
from enrichment.camelot import OPEN_KEY_PATTERN as OPEN_KEY_REGEX
from enrichment.fields import UNIT_FEATURES
from enrichment.identity import CANONICAL, duplicate_key, normalised
from enrichment.tokens import ApiToken as ApiToken  # its own module, one of the app's models

ISRC_REGEX = r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$"
SPOTIFY_ID_REGEX = r"^[0-9A-Za-z]{22}$"
# TIDAL's ids are JSON:API strings, kept as strings; a track's is digits in every answer seen
# (a bare number pasted into a search may be one; a word never is).
TIDAL_ID_REGEX = r"^[0-9]{1,20}$"


# Every column enrichment writes; curators may lock any of them (plus artist_name/title).
ENRICHED_FIELDS = (
    "spotify_id",
    "isrc",
    "musicbrainz_id",
    "discogs_id",
    "deezer_id",
    "tidal_id",
    "bpm",
    "key",
    "key_pitch_class",
    "key_mode",
    "camelot_key",
    "open_key",
    *UNIT_FEATURES,
    "loudness",
    "time_signature",
    "duration_ms",
    "label",
    "catalog_number",
    "release_date",
    "release_date_precision",
    "release_country",
    "genre",
    "genres",
    "spotify_popularity",
    "lastfm_playcount",
    "lastfm_listeners",
)
LOCKABLE_FIELDS = ("artist_name", "title", *ENRICHED_FIELDS)
# Text columns whose unknown value is NULL (a check constraint refuses "").
TEXT_FIELDS = (
    "key",
    "camelot_key",
    "open_key",
    "label",
    "catalog_number",
    "release_date_precision",
    "release_country",
    "genre",
    "external_id",
)


def _unit_range(field: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0, f"{field}__lte": 1}),
        name=f"track_{field}_0_1",
    )


def _none_blank(fields: Iterable[str]) -> Q:
    """None of these columns holds "" (NULL passes: it is how "unknown" is stored)."""
    condition = Q()
    for field in fields:
        condition &= ~Q(**{field: ""})
    return condition


class ReleaseDatePrecision(models.TextChoices):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


# A caller's track id (the original service's `track_id`: any string, e.g. "test-track-123").
TRACK_ID_MAX_LENGTH = 255
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def track_id_problem(value: object) -> str | None:
    """Why `value` cannot be a caller's track id, or None: a string of 1..255 characters,
    not blank, without control characters."""
    if not isinstance(value, str):
        return "must be a string"
    if not value.strip():
        return "must not be empty"
    if len(value) > TRACK_ID_MAX_LENGTH:
        return f"longer than {TRACK_ID_MAX_LENGTH} characters"
    if _CONTROL_CHARACTERS.search(value):
        return "contains a control character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode"
    return None


def as_uuid(value: str) -> uuid.UUID | None:
    """The UUID a string spells, or None."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


class TrackQuerySet(models.QuerySet["Track"]):
    """Set queries over tracks."""

    def by_track_id(self, track_id: str) -> Track | None:
        """The track a caller's id names: a UUID equal to a track's primary key names that
        track; otherwise the id is an external id (our pk never leaks into that lookup)."""
        pk = as_uuid(track_id)
        if pk is not None:
            track = self.filter(pk=pk).first()
            if track is not None:
                return track
        return self.filter(external_id=track_id).first()


def identifier_index(field: str) -> models.Index:
    """A partial index on one identifier column: only the tracks that have one."""
    return models.Index(
        fields=[field], name=f"track_{field}_idx", condition=Q(**{f"{field}__isnull": False})
    )


class Track(models.Model):
    """A recording in the catalogue with every enriched field as a typed column."""

    # Database defaults too (id, metadata, locks, times): another writer's INSERT naming only
    # the original's columns makes a valid track.
    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False
    )
    # The caller's own id for the track (POST /enrich, import_tracks): echoed as `track_id`.
    external_id = models.CharField(
        max_length=TRACK_ID_MAX_LENGTH,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="The caller's own id for the track (the track_id it sent), echoed in responses.",
    )
    artist_name = models.CharField(max_length=500)
    title = models.CharField(max_length=500)

    # NULL, not "", means "unknown", so the regex check and lookups treat absence uniformly.
    spotify_id = models.CharField(max_length=22, null=True, blank=True)  # noqa: DJ001
    isrc = models.CharField(max_length=12, null=True, blank=True, unique=True)
    musicbrainz_id = models.UUIDField(null=True, blank=True)
    discogs_id = models.PositiveBigIntegerField(null=True, blank=True)
    deezer_id = models.PositiveBigIntegerField(null=True, blank=True)
    tidal_id = models.CharField(  # noqa: DJ001
        max_length=20, null=True, blank=True, validators=[RegexValidator(TIDAL_ID_REGEX)]
    )

    bpm = models.FloatField(null=True, blank=True)
    key = models.CharField(  # noqa: DJ001
        max_length=16, null=True, blank=True, help_text='e.g. "A minor"'
    )
    key_pitch_class = models.SmallIntegerField(null=True, blank=True, help_text="0 = C .. 11 = B")
    key_mode = models.SmallIntegerField(null=True, blank=True, help_text="1 major, 0 minor")
    camelot_key = models.CharField(max_length=3, null=True, blank=True)  # noqa: DJ001
    open_key = models.CharField(max_length=3, null=True, blank=True)  # noqa: DJ001
    energy = models.FloatField(null=True, blank=True)
    danceability = models.FloatField(null=True, blank=True)
    valence = models.FloatField(null=True, blank=True)
    acousticness = models.FloatField(null=True, blank=True)
    instrumentalness = models.FloatField(null=True, blank=True)
    liveness = models.FloatField(null=True, blank=True)
    speechiness = models.FloatField(null=True, blank=True)
    loudness = models.FloatField(null=True, blank=True, help_text="dB")
    time_signature = models.SmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    label = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    catalog_number = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    release_date = models.DateField(null=True, blank=True)
    release_date_precision = models.CharField(  # noqa: DJ001
        max_length=5, choices=ReleaseDatePrecision.choices, null=True, blank=True
    )
    release_country = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # The primary genre (NULL until a source fills it): a column the original's readers select.
    genre = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    # Every canonical genre known (enrichment/genres.py), most trusted first; [] = none known.
    # Empty when none (a database default too, so another program's INSERT makes a valid row).
    genres = ArrayField(models.CharField(max_length=100), default=list, db_default=[], blank=True)

    spotify_popularity = models.SmallIntegerField(null=True, blank=True)
    lastfm_playcount = models.PositiveBigIntegerField(null=True, blank=True)
    lastfm_listeners = models.PositiveBigIntegerField(null=True, blank=True)

    # Provenance, reviews, curator decisions, sources used, tags: typed, read and written
    # only through enrichment/track_metadata.py.
    metadata = models.JSONField(default=dict, db_default={}, blank=True)
    locked_fields = ArrayField(
        models.CharField(max_length=64),
        default=list,
        db_default=[],
        blank=True,
        help_text="Fields a curator has fixed: enrichment never overwrites them.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now(), db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = TrackQuerySet.as_manager()

    class Meta:
        db_table = "tracks"  # the original service's table name
        ordering = ["artist_name", "title"]
        indexes = [
            models.Index(fields=["artist_name", "title"], name="track_artist_title_idx"),
            # Admin: the review queue and the "needs review" filter read only flagged tracks.
            models.Index(
                fields=["artist_name", "title"],
                name="track_needs_review_idx",
                condition=Q(metadata__has_key="review"),
            ),
            # Admin search: words (prefixes) of artist and title, by full-text search.
            GinIndex(
                SearchVector("artist_name", "title", config="simple"), name="track_search_idx"
            ),
            # Lookups by identifier (and admin search by a pasted Discogs/Deezer id or link);
            # partial, so the many tracks without one cost no index entry (an import of a
            # million rows writes every index of every row).
            *(
                identifier_index(name)
                for name in ("spotify_id", "musicbrainz_id", "discogs_id", "deezer_id", "tidal_id")
            ),
            # MusicBrainz ISRC batches (sources/batching.py): the tracks with an ISRC it has not
            # resolved, walked in ISRC order from the asking track's. Without it, finding a
            # batch's companions read every waiting track (~500 index look-ups per call at 1000).
            models.Index(
                fields=["isrc"],
                name="track_isrc_unresolved_idx",
                condition=Q(isrc__isnull=False, musicbrainz_id__isnull=True),
            ),
            # Harmonically compatible tracks (enrichment/compatible.py): key, BPM and energy ranges.
            models.Index(
                fields=["camelot_key", "bpm", "energy"],
                name="track_camelot_bpm_idx",
                condition=Q(bpm__isnull=False),
            ),
        ]
        constraints = [
            # One track per identity (enrichment/identity.py); rows marked as another's
            # duplicate (kept with their ids) are outside the constraint.
            models.UniqueConstraint(
                normalised("artist_name"),
                normalised("title"),
                duplicate_key(),
                name="track_artist_title_unique",
            ),
            models.UniqueConstraint(
                fields=["spotify_id"],
                condition=CANONICAL & Q(spotify_id__isnull=False),
                name="track_spotify_id_unique",
            ),
            *(_unit_range(field) for field in UNIT_FEATURES),
            models.CheckConstraint(
                condition=Q(bpm__isnull=True) | Q(bpm__gt=0, bpm__lt=1000), name="track_bpm_range"
            ),
            models.CheckConstraint(
                condition=Q(key_pitch_class__isnull=True)
                | Q(key_pitch_class__gte=0, key_pitch_class__lte=11),
                name="track_key_pitch_class_range",
            ),
            models.CheckConstraint(
                condition=Q(key_mode__isnull=True) | Q(key_mode__in=[0, 1]), name="track_key_mode"
            ),
            models.CheckConstraint(
                condition=Q(camelot_key__isnull=True) | Q(camelot_key__regex=CAMELOT_REGEX),
                name="track_camelot_key_valid",
            ),
            models.CheckConstraint(
                condition=Q(open_key__isnull=True) | Q(open_key__regex=OPEN_KEY_REGEX),
                name="track_open_key_valid",
            ),
            models.CheckConstraint(
                condition=Q(isrc__isnull=True) | Q(isrc__regex=ISRC_REGEX), name="track_isrc_valid"
            ),
            models.CheckConstraint(
                condition=Q(spotify_id__isnull=True) | Q(spotify_id__regex=SPOTIFY_ID_REGEX),
                name="track_spotify_id_valid",
            ),
            models.CheckConstraint(
                condition=Q(tidal_id__isnull=True) | Q(tidal_id__regex=TIDAL_ID_REGEX),
                name="track_tidal_id_valid",
            ),
            models.CheckConstraint(
                condition=Q(spotify_popularity__isnull=True)
                | Q(spotify_popularity__gte=0, spotify_popularity__lte=100),
                name="track_spotify_popularity_0_100",
            ),
            models.CheckConstraint(
                condition=Q(time_signature__isnull=True)
                | Q(time_signature__gte=1, time_signature__lte=16),
                name="track_time_signature_range",
            ),
            models.CheckConstraint(
                condition=Q(loudness__isnull=True) | Q(loudness__gte=-100, loudness__lte=20),
                name="track_loudness_range",
            ),
            models.CheckConstraint(
                # A date and its precision come together or not at all.
                condition=Q(release_date__isnull=True, release_date_precision__isnull=True)
                | Q(
                    release_date__isnull=False,
                    release_date_precision__isnull=False,  # NULL IN (...) would pass a check
                    release_date_precision__in=["year", "month", "day"],
                ),
                name="track_release_date_precision",
            ),
            models.CheckConstraint(
                condition=~Q(artist_name="") & ~Q(title=""), name="track_artist_title_present"
            ),
            # An unknown value is NULL, never "" (the original's SQL counts IS NOT NULL).
            models.CheckConstraint(condition=_none_blank(TEXT_FIELDS), name="track_text_not_blank"),
            models.CheckConstraint(
                condition=Q(locked_fields__contained_by=list(LOCKABLE_FIELDS)),
                name="track_locked_fields_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.artist_name} - {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; a new track also gets its (pending) enrichment status row."""
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            EnrichmentStatus.objects.get_or_create(track=self)

    @property
    def track_id(self) -> str:
        """The id callers know the track by: theirs (external_id), else our primary key."""
        return self.external_id or str(self.pk)

    def is_named_by(self, track_id: str) -> bool:
        """Does a caller's id name this track (its external id, or a UUID equal to its pk)?"""
        return track_id == self.external_id or as_uuid(track_id) == self.pk


_DUE_SQL = """
SELECT track_id FROM (
    (SELECT track_id, last_attempt FROM enrichment_status WHERE status = 'pending'
      ORDER BY last_attempt ASC NULLS FIRST LIMIT %(limit)s)
    UNION ALL
    (SELECT track_id, last_attempt FROM enrichment_status
      WHERE status = 'failed' AND retry_count < %(max_retries)s
      ORDER BY last_attempt ASC NULLS FIRST LIMIT %(limit)s)
    UNION ALL
    (SELECT track_id, last_attempt FROM enrichment_status
      WHERE status = 'partial' AND last_attempt < %(partial_before)s
      ORDER BY last_attempt ASC NULLS FIRST LIMIT %(limit)s)
) AS due ORDER BY last_attempt ASC NULLS FIRST LIMIT %(limit)s
"""
MAX_RETRIES = 3
PARTIAL_RETRY_AFTER = datetime.timedelta(hours=24)


def claim_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """Claims older than this (ENRICH_CLAIM_TIMEOUT ago) belong to no live attempt."""
    return (now or timezone.now()) - datetime.timedelta(seconds=settings.ENRICH_CLAIM_TIMEOUT)


class StatusTally(NamedTuple):
    """How many tracks are in one status, and their average retry count."""

    tracks: int
    avg_retries: float


class EnrichmentStatusQuerySet(models.QuerySet["EnrichmentStatus"]):
    """Set queries over statuses."""

    def counts(self) -> dict[str, int]:
        """Tracks per status, every status listed (one grouped count)."""
        found = dict(self.order_by().values_list("status").annotate(count=Count("pk")))
        return {name: found.get(name, 0) for name in EnrichmentStatus.Status.values}

    def per_status(self) -> dict[str, StatusTally]:
        """Every status with its tracks and their average retries (one grouped scan)."""
        rows = self.order_by().values_list("status").annotate(n=Count("pk"), avg=Avg("retry_count"))
        found = {name: StatusTally(count, float(avg or 0)) for name, count, avg in rows}
        zero = StatusTally(0, 0.0)
        return {name: found.get(name, zero) for name in EnrichmentStatus.Status.values}

    def exhausted(self) -> Self:
        """Failed with no automatic retry left."""
        return self.filter(status=EnrichmentStatus.Status.FAILED, retry_count__gte=MAX_RETRIES)

    def stale_claims(self, now: datetime.datetime | None = None) -> Self:
        """In progress since before the claim cutoff: no live attempt holds them."""
        return self.filter(
            status=EnrichmentStatus.Status.IN_PROGRESS, claimed_at__lt=claim_cutoff(now)
        )

    def due_track_ids(self, limit: int, now: datetime.datetime | None = None) -> list[uuid.UUID]:
        """Tracks to (re-)enrich, oldest attempt first: pending; failed with retries left;
        partial whose last attempt is over 24 h old. Each branch reads its own partial index."""
        now = now or timezone.now()
        params: dict[str, Any] = {
            "limit": limit,
            "max_retries": MAX_RETRIES,
            "partial_before": now - PARTIAL_RETRY_AFTER,
        }
        with connection.cursor() as cursor:
            cursor.execute(_DUE_SQL, params)
            return [row[0] for row in cursor.fetchall()]


class EnrichmentStatus(models.Model):
    """Where one track stands in enrichment: the row the periodic job and curators read."""

    class Status(models.TextChoices):
        PENDING = "pending"
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"
        PARTIAL = "partial"
        FAILED = "failed"

    track = models.OneToOneField(
        Track, on_delete=models.CASCADE, primary_key=True, related_name="enrichment_status"
    )
    status = models.CharField(
        max_length=11, choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING
    )
    sources_enriched = models.PositiveSmallIntegerField(
        default=0, db_default=0, help_text="How many sources returned data on the last attempt."
    )
    last_attempt = models.DateTimeField(null=True, blank=True)
    # Database defaults too: the original's upsert inserts only its own columns.
    retry_count = models.PositiveSmallIntegerField(default=0, db_default=0)
    error_message = models.TextField(null=True, blank=True)  # noqa: DJ001  NULL: no error
    # {provider: OutcomeRecord}: each provider's latest SourceOutcome, with its detail and time.
    source_outcomes = models.JSONField(default=dict, db_default={}, blank=True)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker took the track (in_progress since)."
    )
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = EnrichmentStatusQuerySet.as_manager()

    class Meta:
        db_table = "enrichment_status"
        verbose_name_plural = "enrichment statuses"
        indexes = [
            # The periodic "due" selection reads each branch through its own partial index,
            # oldest attempt first.
            models.Index(
                F("last_attempt").asc(nulls_first=True),
                name="status_due_pending_idx",
                condition=Q(status="pending"),
            ),
            models.Index(
                F("last_attempt").asc(nulls_first=True),
                name="status_due_failed_idx",
                condition=Q(status="failed", retry_count__lt=3),
            ),
            models.Index(
                F("last_attempt").asc(nulls_first=True),
                name="status_due_partial_idx",
                condition=Q(status="partial"),
            ),
            models.Index(
                fields=["claimed_at"],
                name="status_in_progress_idx",
                condition=Q(status="in_progress"),
            ),
            models.Index(fields=["status"], name="status_status_idx"),
            # Admin dashboard: per-source outcomes of the last 24 hours' attempts.
            models.Index(fields=["last_attempt"], name="status_last_attempt_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.track_id}: {self.status}"


class SourceOutcome(models.TextChoices):
    """How one provider answered for one track (the vocabulary of `source_outcomes`)."""

    DATA = "data"
    NOT_FOUND = "not_found", "not found"
    SKIPPED = "skipped"
    UNAVAILABLE = "unavailable", "not offered to us"
    REVIEW = "review", "awaiting review"
    TRANSIENT = "transient"
    RATE_LIMITED = "rate_limited", "rate limited"
    BREAKER_OPEN = "breaker_open", "circuit breaker open"
    ERROR = "error"
    CONFIG_ERROR = "config_error", "misconfigured"
    UNCONFIGURED = "unconfigured", "no credentials"
    MALFORMED = "malformed", "unreadable answer"
    # Left to a follow-up job on the source's own queue (enrichment.pacing).
    PENDING = "pending", "queued for its own job"

    @classmethod
    def settled(cls) -> frozenset[str]:
        """Outcomes that settle a provider for a track: the next ordinary run does not ask it."""
        return _SETTLED

    @classmethod
    def transient(cls) -> frozenset[str]:
        """Outcomes a later retry may change (the queue retries the attempt)."""
        return _TRANSIENT


_SETTLED = frozenset(
    outcome.value
    for outcome in (
        SourceOutcome.DATA,
        SourceOutcome.NOT_FOUND,
        SourceOutcome.SKIPPED,
        SourceOutcome.UNAVAILABLE,
    )
)
_TRANSIENT = frozenset(
    outcome.value
    for outcome in (
        SourceOutcome.TRANSIENT,
        SourceOutcome.RATE_LIMITED,
        SourceOutcome.BREAKER_OPEN,
    )
)


class OutcomeRecord(TypedDict):
    """One provider's entry in `EnrichmentStatus.source_outcomes`."""

    outcome: str  # a SourceOutcome value
    detail: str
    at: str  # ISO 8601
    attempts: NotRequired[int]  # malformed only: unreadable answers in a row (pipeline.py)


def outcome_record(
    outcome: str, detail: str, at: datetime.datetime, attempts: int | None = None
) -> OutcomeRecord:
    """The one shape of a provider's outcome entry (details cut to 500 characters)."""
    record: OutcomeRecord = {"outcome": str(outcome), "detail": detail[:500], "at": at.isoformat()}
    if attempts is not None:
        record["attempts"] = attempts
    return record


class ApiCache(models.Model):
    """One cached upstream response (never a secret, never a transient failure)."""

    cache_key = models.CharField(max_length=128, unique=True)
    api_source = models.CharField(max_length=32)
    endpoint = models.CharField(max_length=500)
    request_params = models.JSONField(default=dict, blank=True)
    response_data = models.JSONField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(db_default=Now())
    expires_at = models.DateTimeField(db_index=True)
    hit_count = models.PositiveIntegerField(default=0)
    last_accessed = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "api_cache"
        verbose_name = "API cache entry"
        verbose_name_plural = "API cache"
        indexes = [models.Index(fields=["api_source", "expires_at"], name="api_cache_source_idx")]

    def __str__(self) -> str:
        return f"{self.api_source} {self.endpoint}"


class RateLimitState(models.Model):
    """Shared GCRA state of one API's rate limit, row-locked by every process that calls it."""

    api = models.CharField(max_length=32, primary_key=True)
    # Theoretical arrival time (epoch seconds) of the next request that conforms to the rate.
    theoretical_arrival = models.FloatField(default=0.0)
    # When the last request to this API left (epoch seconds, database clock), any worker.
    last_sent = models.FloatField(default=0.0, db_default=0.0)

    class Meta:
        db_table = "rate_limit_state"

    def __str__(self) -> str:
        return self.api


class CircuitBreakerQuerySet(models.QuerySet["CircuitBreakerState"]):
    """The shared breaker rows, as the dashboard, health and /metrics read them."""

    def by_api(self) -> dict[str, CircuitBreakerState]:
        """Each stored API's breaker row."""
        return {breaker.api: breaker for breaker in self.all()}

    def states(self, apis: Iterable[str] = ()) -> dict[str, str]:
        """Each API's shared state: every stored row, plus `apis` (closed until they have one)."""
        stored = dict(self.values_list("api", "state"))
        return {
            api: stored.get(api, CircuitBreakerState.State.CLOSED.value)
            for api in sorted({*apis, *stored})
        }


class CircuitBreakerState(models.Model):
    """Shared circuit-breaker state of one API, so every worker sees the same open/closed."""

    class State(models.TextChoices):
        CLOSED = "closed"
        OPEN = "open"
        HALF_OPEN = "half-open"

    api = models.CharField(max_length=32, primary_key=True)
    state = models.CharField(max_length=9, choices=State.choices, default=State.CLOSED)
    failure_count = models.PositiveIntegerField(default=0)
    success_count = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CircuitBreakerQuerySet.as_manager()

    class Meta:
        db_table = "circuit_breaker_state"

    def __str__(self) -> str:
        return f"{self.api}: {self.state}"


ENRICHMENT_QUEUE = "enrichment"
# A job in one of these holds its track: waiting for a worker, or running.
ACTIVE_JOB_STATUSES = ("todo", "doing")


class JobQuerySet(models.QuerySet[ProcrastinateJob]):
    """Reads of Procrastinate's job table (their model, so reached through `jobs()`)."""

    def enrichment(self) -> Self:
        """Jobs of the enrichment queue (not the maintenance jobs)."""
        return self.filter(queue_name=ENRICHMENT_QUEUE)

    def active(self) -> Self:
        """Jobs waiting (todo) or running (doing)."""
        return self.filter(status__in=ACTIVE_JOB_STATUSES)

    def counts(self) -> dict[str, int]:
        """Jobs per Procrastinate status, every status listed."""
        rows = dict(self.order_by().values_list("status").annotate(jobs=Count("id")))
        return {status: rows.get(status, 0) for status in ProcrastinateJob.STATUSES}

    def counts_per_queue(self) -> dict[str, dict[str, int]]:
        """Jobs per queue and status: every status of every queue that has jobs, and ours."""
        rows = self.order_by().values_list("queue_name", "status").annotate(jobs=Count("id"))
        found = {(queue, status): jobs for queue, status, jobs in rows}
        queues = {ENRICHMENT_QUEUE, *(queue for queue, _ in found)}
        return {
            queue: {status: found.get((queue, status), 0) for status in ProcrastinateJob.STATUSES}
            for queue in sorted(queues)
        }

    def held_locks(self, locks: Iterable[str]) -> set[str]:
        """Which of these queueing locks an active (waiting or running) job holds."""
        # One array parameter, not one per lock: a list of 100k+ literals (a batch's tracks and
        # their follow-ups) takes Postgres far longer to plan than to run.
        wanted = RawSQL("SELECT unnest(%s::text[])", [list(locks)])
        held = (
            self.active().filter(queueing_lock__in=wanted).values_list("queueing_lock", flat=True)
        )
        return {lock for lock in held if lock is not None}


def jobs() -> JobQuerySet:
    """Every Procrastinate job, with the reads above."""
    return JobQuerySet(ProcrastinateJob)
