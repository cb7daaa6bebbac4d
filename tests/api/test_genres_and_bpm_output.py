"""Genres and BPM octave flags in /stats and the REST track output."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from enrichment.coverage import report_lines
from enrichment.models import Track
from tests.factories import make_track

pytestmark = pytest.mark.django_db
FLAG = {"relation": "x2", "lower": "deezer", "higher": "reccobeats", "raw": {}}


@pytest.fixture
def catalogue(db: Any) -> Track:
    """Four tracks: two with genres (one octave-flagged), one with an empty list, one bare."""
    roller = make_track(
        artist_name="Roller",
        bpm=174.0,
        genre="Drum & Bass",
        genres=["Drum & Bass", "Electronic"],
        metadata={"bpm_octave": FLAG},
    )
    make_track(artist_name="Houser", bpm=124.0, genre="House", genres=["House"])
    make_track(artist_name="Empty", genres=[])
    make_track(artist_name="Bare")
    return roller


def test_stats_count_genres_and_octave_flags(
    client_with_token: APIClient, catalogue: Track
) -> None:
    body = client_with_token.get("/stats").json()
    stats = body["track_stats"]
    assert (stats["with_genre"], stats["with_genres"]) == (2, 2)  # an empty list is none
    assert stats["bpm_octave_flags"] == 1
    assert body["coverage"]["genre"] == 50.0 and body["coverage"]["genres"] == 50.0


def test_the_track_list_shows_genre_and_genres(
    client_with_token: APIClient, catalogue: Track
) -> None:
    body = client_with_token.get("/tracks?search=Roller").json()
    [row] = body["results"]
    assert (row["genre"], row["genres"]) == ("Drum & Bass", ["Drum & Bass", "Electronic"])


def test_tracks_filter_by_having_genres(client_with_token: APIClient, catalogue: Track) -> None:
    body = client_with_token.get("/tracks?has=genres").json()
    assert sorted(row["artist_name"] for row in body["results"]) == ["Houser", "Roller"]
    body = client_with_token.get("/tracks?lacks=genre").json()
    assert sorted(row["artist_name"] for row in body["results"]) == ["Bare", "Empty"]


def test_the_track_detail_shows_genres_and_the_octave_flag(
    client_with_token: APIClient, catalogue: Track
) -> None:
    body = client_with_token.get(f"/tracks/{catalogue.pk}").json()
    assert (body["genre"], body["genres"]) == ("Drum & Bass", ["Drum & Bass", "Electronic"])
    assert body["metadata"]["bpm_octave"]["relation"] == "x2"


def test_the_coverage_report_gives_genre_bpm_and_octave_flags(catalogue: Track) -> None:
    lines = report_lines()
    assert "genre coverage: 2 of 4 tracks (50.0%)" in lines
    assert "reconciled BPM: 2 of 4 tracks (50.0%)" in lines
    assert "BPM octave flags (sources disagree by x2/x1.5): 1" in lines
