"""GET /tracks (filters, search, pages) and GET /tracks/<id> (everything about one track)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from enrichment.models import EnrichmentStatus, Track
from tests.factories import make_track

pytestmark = pytest.mark.django_db
MBID = "5b6b2b8e-0d3b-4a5d-9b0e-6a1f3d2c1b00"


@pytest.fixture
def strobe(db: Any) -> Track:
    """An enriched track with provenance, a pending review and per-source outcomes."""
    track = make_track(
        artist_name="deadmau5",
        title="Strobe",
        status="partial",
        spotify_id="0gxyHStUsqpMadRV0Di1Qt",
        isrc="USUS11000356",
        musicbrainz_id=uuid.UUID(MBID),
        discogs_id=1987654,
        bpm=128.01,
        camelot_key="8A",
        metadata={
            "provenance": {"bpm": {"source": "spotify_features", "confidence": 1.0}},
            "review": {"discogs": {"reason": "close call"}},
            "lastfm_tags": ["progressive house"],
        },
    )
    EnrichmentStatus.objects.filter(track=track).update(
        source_outcomes={"discogs": {"outcome": "review", "detail": "close call"}}
    )
    return track


@pytest.fixture
def others(db: Any) -> list[Track]:
    """Two plainer tracks: one with a BPM and no ISRC, one with nothing."""
    return [
        make_track(artist_name="Eric Prydz", title="Opus", status="completed", bpm=126.0),
        make_track(artist_name="Orbital", title="Halcyon", status="pending"),
    ]


def titles(client: APIClient, query: str) -> list[str]:
    """Titles of the first page of /tracks?query."""
    response = client.get(f"/tracks?{query}")
    assert response.status_code == 200, response.json()
    return [track["title"] for track in response.json()["results"]]


def test_tracks_are_listed_in_pages_in_artist_order(
    client_with_token: APIClient, strobe: Track, others: list[Track]
) -> None:
    page = client_with_token.get("/tracks?page_size=2").json()
    assert page["count"] == 3
    assert page["next"].endswith("page=2&page_size=2") and page["previous"] is None
    listed = [
        *titles(client_with_token, "page_size=2"),
        *titles(client_with_token, "page_size=2&page=2"),
    ]
    by_artist = Track.objects.order_by("artist_name").values_list("title", flat=True)
    assert listed == list(by_artist)  # the database's collation decides the order
    statuses = {t["title"]: t["status"] for t in page["results"]}
    assert statuses.get("Strobe", "partial") == "partial"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=completed", ["Opus"]),
        ("status=completed,pending", ["Opus", "Halcyon"]),
        ("status=completed&status=partial", ["Strobe", "Opus"]),
        ("has=bpm", ["Strobe", "Opus"]),
        ("has=bpm&lacks=isrc", ["Opus"]),
        ("has=camelot_key,lastfm_tags", ["Strobe"]),
        ("has=review", ["Strobe"]),
        ("lacks=bpm", ["Halcyon"]),
        ("search=prydz", ["Opus"]),
        ("search=halc", ["Halcyon"]),
        ("search=us-us1-10-00356", ["Strobe"]),
        ("search=0gxyHStUsqpMadRV0Di1Qt", ["Strobe"]),
        (f"search={MBID}", ["Strobe"]),
        ("search=1987654", ["Strobe"]),
        ("search=nothing+like+it", []),
        ("search=", ["Strobe", "Opus", "Halcyon"]),
    ],
)
def test_filters_select_the_right_tracks(
    client_with_token: APIClient, strobe: Track, others: list[Track], query: str, expected: Any
) -> None:
    assert sorted(titles(client_with_token, query)) == sorted(expected)


def test_a_track_id_finds_its_track(client_with_token: APIClient, strobe: Track) -> None:
    assert titles(client_with_token, f"search={strobe.pk}") == ["Strobe"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("has=colour", "has"),
        ("status=done", "status"),
        ("page_size=0", "page_size"),
        ("page_size=501", "page_size"),
        ("sort=title", "sort"),
        ("search=%00", "search"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(
    client_with_token: APIClient, query: str, field: str
) -> None:
    response = client_with_token.get(f"/tracks?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_a_page_past_the_end_is_404(client_with_token: APIClient, strobe: Track) -> None:
    assert client_with_token.get("/tracks?page=9").status_code == 404


def test_detail_shows_every_field_metadata_and_per_source_outcomes(
    client_with_token: APIClient, strobe: Track
) -> None:
    response = client_with_token.get(f"/tracks/{strobe.pk}")
    assert response.status_code == 200
    body = response.json()
    for name in ("spotify_id", "isrc", "discogs_id", "bpm", "camelot_key", "energy", "label"):
        assert name in body
    assert (body["musicbrainz_id"], body["bpm"], body["energy"]) == (MBID, 128.01, None)
    assert body["metadata"]["provenance"]["bpm"]["source"] == "spotify_features"
    assert body["metadata"]["review"] == {"discogs": {"reason": "close call"}}
    assert body["locked_fields"] == []
    status = body["enrichment_status"]
    assert status["status"] == "partial"
    assert status["source_outcomes"]["discogs"]["outcome"] == "review"


def test_a_track_without_a_status_row_shows_null(client_with_token: APIClient) -> None:
    track = make_track(status=None)
    assert client_with_token.get(f"/tracks/{track.pk}").json()["enrichment_status"] is None
    assert client_with_token.get("/tracks").json()["results"][0]["status"] is None


def test_detail_of_an_unknown_id_is_404_whether_a_uuid_or_any_other_string(
    client_with_token: APIClient,
) -> None:
    assert client_with_token.get(f"/tracks/{uuid.uuid4()}").status_code == 404
    response = client_with_token.get("/tracks/not-a-uuid")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such track."}
