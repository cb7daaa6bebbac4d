"""GET /stats: the seed's shape, every field counted, coverage in percent, in two queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rest_framework.test import APIClient

from enrichment.coverage import statistics
from enrichment.models import EnrichmentStatus
from tests.factories import make_track

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db: Any) -> None:
    """Four tracks: one fully enriched, one with an ISRC only, one failed twice, one bare."""
    make_track(
        status="completed",
        spotify_id="0gxyHStUsqpMadRV0Di1Qt",
        isrc="USUS11000356",
        bpm=128.0,
        key="A minor",
        camelot_key="8A",
        energy=0.8,
        label="Mau5trap",
        release_date=dt.date(2009, 9, 22),
        release_date_precision="day",
        metadata={"lastfm_tags": ["house"], "review": {"discogs": {}}},
    )
    make_track(status="partial", isrc="GBAYE0601498")
    failed = make_track(status="failed")
    EnrichmentStatus.objects.filter(track=failed).update(retry_count=2)
    make_track(status=None)


def test_stats_keep_the_seed_shape_and_add_every_field(
    client_with_token: APIClient, catalogue: None
) -> None:
    response = client_with_token.get("/stats")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"track_stats", "coverage", "enrichment_status", "timestamp"}
    stats = body["track_stats"]
    assert stats["total_tracks"] == 4
    assert (stats["with_spotify_id"], stats["with_isrc"], stats["with_bpm"]) == (1, 2, 1)
    assert (stats["with_key"], stats["with_camelot_key"], stats["with_audio_features"]) == (1, 1, 1)
    assert (stats["with_label"], stats["with_release_date"], stats["with_lastfm_tags"]) == (1, 1, 1)
    assert (stats["with_musicbrainz_id"], stats["with_catalog_number"]) == (0, 0)
    assert stats["awaiting_review"] == 1
    assert body["coverage"]["isrc"] == 50.0 and body["coverage"]["bpm"] == 25.0
    assert body["timestamp"].endswith("Z")


def test_every_status_is_listed_with_its_count_and_average_retries(
    client_with_token: APIClient, catalogue: None
) -> None:
    statuses = {row["status"]: row for row in client_with_token.get("/stats").json()[
        "enrichment_status"
    ]}  # fmt: skip
    assert set(statuses) == {"pending", "in_progress", "completed", "partial", "failed"}
    assert statuses["failed"] == {"status": "failed", "count": 1, "avg_retries": 2.0}
    assert statuses["pending"]["count"] == 0


def test_an_empty_catalogue_has_zero_coverage_not_a_division_error(
    client_with_token: APIClient,
) -> None:
    body = client_with_token.get("/stats").json()
    assert body["track_stats"]["total_tracks"] == 0
    assert set(body["coverage"].values()) == {0.0}


def test_stats_take_one_scan_of_tracks_and_one_of_statuses(
    catalogue: None, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2) as captured:
        statistics()
    track_scan, status_scan = (query["sql"] for query in captured.captured_queries)
    assert track_scan.endswith('FROM "tracks"')  # no WHERE, no JOIN: one pass
    assert 'COUNT("spotify_id")' in track_scan and 'COUNT("label")' in track_scan
    # No column stores "" for unknown: only the genre list is counted by its length.
    assert track_scan.count("NULLIF") == 1 and 'NULLIF(cardinality("genres"), 0)' in track_scan
    assert "JOIN" not in track_scan
    assert 'FROM "enrichment_status"' in status_scan and "GROUP BY" in status_scan


def test_stats_are_reused_for_stats_cache_seconds(
    client_with_token: APIClient, catalogue: None, settings: Any
) -> None:
    settings.STATS_CACHE_SECONDS = 60
    first = client_with_token.get("/stats").json()
    make_track()
    again = client_with_token.get("/stats").json()
    assert again == first  # same numbers, same timestamp: the timestamp says how fresh
    settings.STATS_CACHE_SECONDS = 0
    assert client_with_token.get("/stats").json()["track_stats"]["total_tracks"] == 5
