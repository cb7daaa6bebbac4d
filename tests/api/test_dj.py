"""GET /tracks/export streams a DJ library; GET /tracks/<id>/compatible ranks next tracks."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from django.http import StreamingHttpResponse
from rest_framework.test import APIClient

from enrichment import track_metadata
from enrichment.compatible import Query, compatible_keys, compatible_tracks
from enrichment.models import Track
from tests.factories import make_track

pytestmark = pytest.mark.django_db


def keyed(title: str, camelot: str, bpm: float, energy: float | None = None) -> Track:
    return make_track(artist_name="DJ", title=title, camelot_key=camelot, bpm=bpm, energy=energy)


@pytest.fixture
def crate(db: Any) -> Track:
    """A 128 BPM 8A track and candidates around it; returns the 8A track."""
    keyed("same key, a little faster", "8A", 130.0)
    keyed("same key, same tempo, far energy", "8A", 128.0, energy=0.1)
    keyed("same key, same tempo, close energy", "8A", 128.0, energy=0.75)
    keyed("wheel neighbour", "9A", 128.0)
    keyed("relative major", "8B", 127.0)
    keyed("half time", "7A", 64.5)
    keyed("double time", "8A", 255.0)
    keyed("energy boost", "10A", 128.0)
    keyed("clashing key", "3B", 128.0)
    keyed("too slow", "8A", 110.0)
    return keyed("source", "8A", 128.0, energy=0.8)


def titles(client: APIClient, track: Track, query: str = "") -> list[str]:
    response = client.get(f"/tracks/{track.pk}/compatible?{query}")
    assert response.status_code == 200, response.json()
    return [item["title"] for item in response.json()]


def test_compatible_keys_are_the_same_code_its_wheel_neighbours_and_its_relative() -> None:
    assert compatible_keys("8A") == {"8A": 0, "9A": 1, "7A": 1, "8B": 1}
    assert compatible_keys("12B", energy_boost=True) == {
        "12B": 0, "1B": 1, "11B": 1, "12A": 1, "2B": 2,
    }  # fmt: skip
    assert compatible_keys("") == {}


def test_compatible_tracks_rank_by_key_then_folded_bpm_then_energy(
    client_with_token: APIClient, crate: Track
) -> None:
    assert titles(client_with_token, crate) == [
        "same key, same tempo, close energy",
        "same key, same tempo, far energy",
        "double time",  # 255 is 0.4 % from 2 x 128
        "same key, a little faster",
        "wheel neighbour",
        "half time",  # 64.5 is 0.8 % from 128 / 2
        "relative major",
    ]


def test_the_energy_boost_and_the_window_widen_or_narrow_the_choice(
    client_with_token: APIClient, crate: Track
) -> None:
    assert "energy boost" in titles(client_with_token, crate, "energy_boost=true")
    narrow = titles(client_with_token, crate, "bpm_window=0.5&limit=3")
    assert narrow == [
        "same key, same tempo, close energy", "same key, same tempo, far energy", "double time",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "field"),
    [("bpm_window=0", "bpm_window"), ("bpm_window=x", "bpm_window"), ("limit=1000", "limit"),
     ("energy_boost=maybe", "energy_boost"), ("colour=red", "colour")],
)  # fmt: skip
def test_bad_parameters_are_a_400_naming_the_field(
    client_with_token: APIClient, crate: Track, query: str, field: str
) -> None:
    response = client_with_token.get(f"/tracks/{crate.pk}/compatible?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_an_unknown_track_is_404_and_reading_needs_a_token(
    client_with_token: APIClient, anonymous: APIClient, crate: Track
) -> None:
    assert client_with_token.get(f"/tracks/{uuid.uuid4()}/compatible").status_code == 404
    assert anonymous.get(f"/tracks/{crate.pk}/compatible").status_code == 401


def test_a_track_is_named_by_the_callers_own_id_too(
    client_with_token: APIClient, crate: Track
) -> None:
    Track.objects.filter(pk=crate.pk).update(external_id="3f2a9c1e8b7d6a50")
    by_ours = client_with_token.get(f"/tracks/{crate.pk}/compatible").json()
    by_theirs = client_with_token.get("/tracks/3f2a9c1e8b7d6a50/compatible")
    assert by_theirs.status_code == 200
    assert by_theirs.json() == by_ours != []
    assert client_with_token.get("/tracks/not-ours/compatible").status_code == 404


def test_a_track_without_key_or_bpm_has_no_compatible_tracks(
    client_with_token: APIClient, crate: Track
) -> None:
    plain = make_track(artist_name="DJ", title="plain")
    assert titles(client_with_token, plain) == []


def test_the_export_endpoint_streams_the_chosen_format(
    client_with_token: APIClient, crate: Track
) -> None:
    track_metadata.set_location(crate, "/music/source.mp3")
    crate.save()
    response = client_with_token.get("/tracks/export?format=m3u&has=bpm&key_notation=open-key")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "audio/x-mpegurl"
    text = b"".join(response.streaming_content).decode()
    assert "#EXTINF:-1,DJ - source\n/music/source.mp3\n" in text
    xml = client_with_token.get("/tracks/export?format=rekordbox-xml&key_notation=open-key")
    body = b"".join(xml.streaming_content).decode()
    assert 'Name="source"' in body and 'Tonality="1m"' in body


def test_the_export_endpoint_refuses_a_bad_format_naming_it(
    client_with_token: APIClient, anonymous: APIClient
) -> None:
    response = client_with_token.get("/tracks/export?format=serato")
    assert response.status_code == 400 and "format" in response.json()
    assert anonymous.get("/tracks/export?format=csv").status_code == 401


def folded(track: Track) -> float:
    """BPM distance from 128 (a fraction), half and double time folded."""
    return min(abs((track.bpm or 0.0) - 128 * fold) / (128 * fold) for fold in (1, 0.5, 2))


def brute_force(source: Track, query: Query) -> list[str]:
    """Every track ranked in Python: key distance, BPM distance, energy difference, title."""
    keys = compatible_keys("8A", energy_boost=query.energy_boost)
    within = [
        track
        for track in Track.objects.exclude(pk=source.pk)
        if track.camelot_key in keys and folded(track) <= query.bpm_window / 100 + 1e-12
    ]

    def rank(track: Track) -> tuple[Any, ...]:
        energy = abs(track.energy - 0.75) if track.energy is not None else 9.0
        key_distance = keys[track.camelot_key or ""]
        return (key_distance, round(folded(track), 9), round(energy, 9), track.title)

    return [track.title for track in sorted(within, key=rank)[: query.limit]]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_indexed_search_ranks_exactly_like_sorting_every_track(seed: int) -> None:
    """Many ties (whole BPMs, coarse energies): the two-step search still finds the true top."""
    rng = random.Random(seed)
    codes = ["8A", "9A", "7A", "8B", "10A", "3B"]
    tempos = [64.0, 120.0, 126.0, 127.0, 128.0, 130.0, 256.0]
    for number in range(150):
        energy = rng.choice([None, 0.2, 0.5, 0.7, 0.8, 0.9])
        keyed(f"t{number:03}", rng.choice(codes), rng.choice(tempos), energy)
    source = keyed("source", "8A", 128.0, energy=0.75)
    for query in (Query(limit=7), Query(limit=30, energy_boost=True), Query(bpm_window=1, limit=5)):
        found = [track.title for track in compatible_tracks(source, query)]
        assert found == brute_force(source, query)


def test_both_endpoints_are_documented_with_their_parameters(anonymous: APIClient) -> None:
    paths = anonymous.get("/api/schema/?format=json").json()["paths"]
    export = {p["name"] for p in paths["/tracks/export"]["get"]["parameters"]}
    assert {"format", "status", "has", "genre", "key_notation"} <= export
    compatible = {p["name"] for p in paths["/tracks/{track_id}/compatible"]["get"]["parameters"]}
    assert {"track_id", "bpm_window", "limit", "energy_boost"} <= compatible
