"""The original service's SQL runs unchanged on our tables and counts what is really there."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.utils import timezone

from enrichment import maintenance, track_metadata
from enrichment.models import EnrichmentStatus, Track
from tests.compat.original_sql import (
    DUE,
    STATS,
    STATUS_STATS,
    UPDATE_TRACK,
    UPSERT_STATUS,
    replay,
)
from tests.factories import make_track

pytestmark = pytest.mark.django_db

MBID = "5b6b2b8e-0d3b-4a5d-9b0e-6a1f3d2c1b00"


def enriched(track: Track, **values: object) -> Track:
    """The track after an attempt that filled these values, written by our own writers."""
    for name, value in values.items():
        setattr(track, name, value)
    track_metadata.add_sources(track, ["musicbrainz", "discogs"])
    track_metadata.set_tags(track, ["house", "progressive house"])
    track_metadata.mark_enriched(track, timezone.now())
    track.save()
    return track


def test_stats_count_only_the_values_a_track_really_has() -> None:
    enriched(
        make_track(),
        spotify_id="2ZRo7axmMPeSVUvDbGkJah",
        isrc="USUS11000356",
        musicbrainz_id=uuid.UUID(MBID),
        bpm=128.0,
        key="F minor",
        camelot_key="4A",
        energy=0.8,
    )
    make_track()  # nothing known: no key, no label, no Camelot code
    make_track(bpm=124.0)
    [row] = replay(STATS)
    assert row == {
        "total_tracks": 3,
        "with_spotify_id": 1,
        "with_isrc": 1,
        "with_musicbrainz_id": 1,  # our writer keeps metadata->>'musicbrainz_id' too
        "with_bpm": 2,
        "with_key": 1,
        "with_audio_features": 1,
    }


def test_a_track_without_a_key_has_null_in_every_unknown_text_column() -> None:
    track = make_track()
    [row] = replay(
        "SELECT key, camelot_key, open_key, label, catalog_number, release_country,"
        " release_date_precision, genre FROM tracks WHERE id = :id",
        {"id": track.pk},
    )
    assert set(row.values()) == {None}


def test_status_stats_group_the_statuses_with_their_average_retries() -> None:
    make_track(status="completed")
    make_track(status="failed")
    failed = make_track(status="failed")
    EnrichmentStatus.objects.filter(track=failed).update(retry_count=2)
    make_track(status="pending")
    rows = {row["status"]: row for row in replay(STATUS_STATS)}
    assert {name: row["count"] for name, row in rows.items()} == {
        "completed": 1,
        "failed": 2,
        "pending": 1,
    }
    assert float(rows["failed"]["avg_retries"]) == 1.0


def _status(track: Track, status: str, retries: int = 0, hours_ago: float | None = None) -> Track:
    attempt = timezone.now() - dt.timedelta(hours=hours_ago) if hours_ago is not None else None
    EnrichmentStatus.objects.filter(track=track).update(
        status=status, retry_count=retries, last_attempt=attempt
    )
    return track


def test_due_selection_picks_what_the_original_schedule_would() -> None:
    due = {
        make_track(status=None).pk,  # no status row at all (es.status IS NULL)
        make_track(status="pending").pk,
        _status(make_track(), "failed", retries=2, hours_ago=1).pk,
        _status(make_track(), "partial", hours_ago=25).pk,
    }
    _status(make_track(), "failed", retries=3, hours_ago=1)  # retries used up
    _status(make_track(), "partial", hours_ago=2)  # retried after 24 hours only
    _status(make_track(), "completed", hours_ago=1)
    _status(enriched(make_track()), "pending")  # two sources already: the original skipped it
    rows = replay(DUE)
    assert {row["id"] for row in rows} == due
    assert all(row["artist_name"].startswith("Artist ") for row in rows)


def test_our_due_selection_agrees_on_the_tracks_with_a_status() -> None:
    pending = make_track(status="pending")
    failed = _status(make_track(), "failed", retries=1, hours_ago=3)
    _status(make_track(), "failed", retries=3, hours_ago=3)
    stale = _status(make_track(), "partial", hours_ago=30)
    ours = set(EnrichmentStatus.objects.due_track_ids(100))
    assert ours == {row["id"] for row in replay(DUE)} == {pending.pk, failed.pk, stale.pk}


def test_the_status_upsert_inserts_a_row_our_models_read() -> None:
    track = make_track(status=None)
    replay(
        UPSERT_STATUS,
        {"track_id": str(track.pk), "status": "failed", "sources_count": 0,
         "error_message": "spotify: timeout"},
    )  # fmt: skip
    status = EnrichmentStatus.objects.get(track=track)
    assert (status.status, status.retry_count, status.sources_enriched) == ("failed", 0, 0)
    assert status.error_message == "spotify: timeout"
    assert status.source_outcomes == {}  # database defaults fill the columns it leaves out
    assert status.last_attempt is not None and status.updated_at is not None


def test_the_status_upsert_updates_on_conflict_counting_repeated_failures() -> None:
    track = make_track()  # its pending row exists: ON CONFLICT (track_id) takes over
    params = {"track_id": str(track.pk), "status": "failed", "sources_count": 1,
              "error_message": "discogs: HTTP 503"}  # fmt: skip
    replay(UPSERT_STATUS, params)
    replay(UPSERT_STATUS, params)
    assert EnrichmentStatus.objects.get(track=track).retry_count == 1  # pending, failed, failed
    replay(UPSERT_STATUS, {**params, "status": "completed", "sources_count": 4,
                           "error_message": None})  # fmt: skip
    status = EnrichmentStatus.objects.get(track=track)
    assert (status.status, status.sources_enriched, status.error_message) == ("completed", 4, None)
    assert EnrichmentStatus.objects.count() == 1


def test_the_original_track_update_merges_into_metadata_our_readers_understand() -> None:
    track = make_track()
    data = {"musicbrainz_id": MBID, "lastfm_tags": ["techno"], "enriched_at": "2026-12-01",
            "enrichment_sources": ["spotify", "musicbrainz"]}  # fmt: skip
    replay(
        UPDATE_TRACK,
        {"bpm": 126.0, "key": "A minor", "genre": "Techno",
         "enrichment_data": json.dumps(data), "track_id": str(track.pk)},
    )  # fmt: skip
    track.refresh_from_db()
    assert (track.bpm, track.key, track.genre) == (126.0, "A minor", "Techno")
    assert track_metadata.sources(track) == ["spotify", "musicbrainz"]
    assert track_metadata.tags(track) == ["techno"]


def test_our_writers_keep_the_metadata_keys_the_original_readers_select() -> None:
    track = enriched(make_track(), musicbrainz_id=uuid.UUID(MBID))
    [row] = replay(
        "SELECT metadata->'enrichment_sources' AS sources, metadata->'lastfm_tags' AS tags,"
        " metadata->>'enriched_at' AS enriched_at, metadata->>'musicbrainz_id' AS mbid,"
        " genre FROM tracks WHERE id = :id",
        {"id": track.pk},
    )
    # Django's connection hands jsonb over as text.
    assert json.loads(row["sources"]) == ["discogs", "musicbrainz"]
    assert json.loads(row["tags"]) == ["house", "progressive house"]
    assert dt.datetime.fromisoformat(row["enriched_at"]) <= timezone.now()
    assert row["mbid"] == MBID
    assert row["genre"] is None  # NULL until a source fills it


def test_another_writers_insert_of_the_original_columns_makes_a_track_we_enrich() -> None:
    [row] = replay(
        "INSERT INTO tracks (title, artist_name, spotify_id) VALUES (:title, :artist, NULL)"
        " RETURNING id",
        {"title": "Strobe", "artist": "deadmau5"},
    )
    assert maintenance.add_missing_statuses(100) == 1  # the due job's first step
    track = Track.objects.get(pk=row["id"])
    assert (track.metadata, track.locked_fields, track.key) == ({}, [], None)
    assert track.enrichment_status.status == "pending"
    assert EnrichmentStatus.objects.due_track_ids(10) == [track.pk]


def test_filter_style_counts_of_the_seed_readers_see_only_known_values() -> None:
    enriched(make_track(), key="F minor", camelot_key="4A", label="mau5trap", release_country="CA")
    make_track()
    make_track()
    [row] = replay(
        "SELECT COUNT(*) FILTER (WHERE key IS NOT NULL) AS with_key,"
        " COUNT(*) FILTER (WHERE camelot_key IS NOT NULL) AS with_camelot_key,"
        " COUNT(*) FILTER (WHERE label IS NOT NULL) AS with_label,"
        " COUNT(*) FILTER (WHERE release_country IS NOT NULL) AS with_release_country,"
        " COUNT(*) FILTER (WHERE genre IS NOT NULL) AS with_genre FROM tracks"
    )
    assert row == {"with_key": 1, "with_camelot_key": 1, "with_label": 1,
                   "with_release_country": 1, "with_genre": 0}  # fmt: skip
