"""Curators halve or double a BPM (locking it, resolving its flag); genre and flag filters."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from enrichment.admin.dashboard import field_coverage
from enrichment.models import Track
from tests.factories import make_track

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:enrichment_track_changelist")
FLAG = {"relation": "x2", "lower": "deezer", "higher": "reccobeats", "raw": {}}


def act(client: Client, action: str, tracks: list[Track]) -> Any:
    data = {"action": action, "index": 0, "_selected_action": [str(t.pk) for t in tracks]}
    return client.post(CHANGELIST, data)


def flagged(bpm: float) -> Track:
    return make_track(bpm=bpm, metadata={"bpm_octave": FLAG, "bpm_raw": {"deezer": 87.0}})


def test_doubling_a_half_time_bpm_locks_it_and_resolves_the_flag(curator_client: Client) -> None:
    track, other = flagged(87.0), flagged(90.0)
    response = act(curator_client, "double_bpm", [track])
    assert response.status_code == 302
    track.refresh_from_db()
    assert track.bpm == 174.0
    assert "bpm" in track.locked_fields
    assert "bpm_octave" not in track.metadata
    assert track.metadata["bpm_raw"] == {"deezer": 87.0}  # the sources' readings stay
    assert track.metadata["provenance"]["bpm"]["source"] == "curator"
    assert track.metadata["provenance"]["bpm"]["curator"] == "carla"
    other.refresh_from_db()
    assert other.bpm == 90.0 and other.locked_fields == []


def test_halving_works_on_a_selection_and_skips_tracks_without_bpm(
    curator_client: Client,
) -> None:
    fast, faster, unknown = make_track(bpm=174.0), make_track(bpm=280.0), make_track()
    act(curator_client, "halve_bpm", [fast, faster, unknown])
    assert [Track.objects.get(pk=t.pk).bpm for t in (fast, faster, unknown)] == [87.0, 140.0, None]
    assert Track.objects.get(pk=unknown.pk).locked_fields == []


def test_a_viewer_cannot_halve_or_double(viewer_client: Client) -> None:
    track = flagged(87.0)
    response = act(viewer_client, "double_bpm", [track])
    track.refresh_from_db()
    assert track.bpm == 87.0 and track.locked_fields == []
    assert response.status_code in (200, 302, 403)


def test_the_octave_flag_filter_lists_flagged_tracks(curator_client: Client) -> None:
    make_track(artist_name="Flagged Artist", bpm=87.0, metadata={"bpm_octave": FLAG})
    make_track(artist_name="Calm Artist", bpm=128.0)
    page = curator_client.get(f"{CHANGELIST}?octave=yes").content.decode()
    assert "Flagged Artist" in page and "Calm Artist" not in page
    assert "BPM octave" in page  # the row's flag


def test_the_genre_filter_matches_any_of_a_tracks_genres(curator_client: Client) -> None:
    make_track(artist_name="Roller", genre="Drum & Bass", genres=["Drum & Bass", "Electronic"])
    make_track(artist_name="Houser", genre="House", genres=["House", "Electronic"])
    page = curator_client.get(CHANGELIST, {"genre": "Drum & Bass"}).content.decode()
    assert "Roller" in page and "Houser" not in page
    page = curator_client.get(CHANGELIST, {"genre": "Electronic"}).content.decode()
    assert "Roller" in page and "Houser" in page


def test_the_dashboard_counts_genre_coverage_and_octave_flags(curator_client: Client) -> None:
    make_track(genre="Techno", genres=["Techno"], metadata={"bpm_octave": FLAG})
    make_track()
    _total, fields, _review, octave_flags = field_coverage()
    genre = next(item for item in fields if item.field == "genre")
    assert (genre.count, genre.total, genre.percent) == (1, 2, 50.0)
    assert octave_flags == 1
    page = curator_client.get(reverse("admin:enrichment_dashboard")).content.decode()
    assert 'id="sn-octave-flags"' in page and "?octave=yes" in page


def test_the_track_page_shows_each_sources_bpm_and_the_flag(curator_client: Client) -> None:
    track = make_track(
        bpm=174.0, metadata={"bpm_octave": FLAG, "bpm_raw": {"reccobeats": 174.0, "deezer": 87.0}}
    )
    page = curator_client.get(reverse("admin:enrichment_track_change", args=[track.pk]))
    text = page.content.decode()
    assert "BPM per source" in text and "deezer 87.0" in text
    assert "octave flag: x2" in text
