"""A full synchronous run against the sandbox: known tracks come out with the right fields."""

from __future__ import annotations

import random
from typing import Any

import pytest
import requests

from enrichment import pipeline
from enrichment.models import EnrichmentStatus, Track
from sandbox.apis import tidal
from sandbox.catalogue import HARD_CASES, catalogue
from sandbox.records import Recording
from tests.sandbox_helpers import running_sandbox

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def chosen_recordings() -> list[Recording]:
    """Two of every hard case plus random ones: fixed, so the run is reproducible."""
    rng = random.Random(11)
    picked: dict[int, Recording] = {}
    for members in HARD_CASES.values():
        for recording in rng.sample(members, min(2, len(members))):
            picked.setdefault(recording.number, recording)
    for recording in rng.sample(catalogue().recordings, 20):
        picked.setdefault(recording.number, recording)
    return list(picked.values())


@pytest.fixture
def sandbox(settings: Any) -> Any:
    with running_sandbox(settings, rate_scale=0.0) as running:
        yield running


def test_a_sync_run_writes_the_right_identifiers_and_never_a_wrong_one(sandbox: Any) -> None:
    recordings = chosen_recordings()
    tracks = {
        r.number: Track.objects.create(artist_name=r.artist.name, title=r.spotify_name)
        for r in recordings
    }
    for track in tracks.values():
        pipeline.enrich(track.pk)
    right = wrong = 0
    for recording in recordings:
        track = tracks[recording.number]
        track.refresh_from_db()
        if track.spotify_id is None:
            continue
        if track.spotify_id == recording.spotify_id:
            right += 1
        else:
            wrong += 1
    assert wrong == 0
    assert right >= 0.8 * len(recordings)


def test_a_known_track_gets_every_field_its_sources_hold(sandbox: Any) -> None:
    recording = next(
        r
        for r in catalogue().recordings
        if len(r.sources) == 6 and not r.hard_cases and r.features and r.features.key >= 0
    )
    track = Track.objects.create(artist_name=recording.artist.name, title=recording.spotify_name)
    result = pipeline.enrich(track.pk)
    track.refresh_from_db()
    features = recording.features
    assert features is not None and track.release_date is not None
    assert result.status == "completed", result.errors
    assert track.spotify_id == recording.spotify_id
    assert track.isrc == recording.isrc
    assert str(track.musicbrainz_id) == recording.mbid
    assert track.deezer_id == recording.deezer_id
    assert tidal.known(recording) and track.tidal_id == tidal.track_id(recording)  # by its ISRC
    assert track.discogs_id == recording.release.discogs_id
    assert track.label == recording.release.label.name
    assert track.catalog_number == recording.release.catalog_number
    assert track.bpm == pytest.approx(features.tempo)
    assert track.energy == pytest.approx(features.energy)
    assert track.key_pitch_class == features.key
    assert track.camelot_key != ""
    assert track.lastfm_playcount == recording.lastfm_playcount
    assert track.metadata["lastfm_tags"] == [tag.lower() for tag in recording.lastfm_tags]
    assert track.release_date.isoformat().startswith(recording.release.release_date[:4])


def upstream_requests(sandbox: Any) -> dict[str, int]:
    stats = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()
    return {name: api["requests"] for name, api in stats["apis"].items()}


def test_re_enriching_an_unchanged_catalogue_makes_no_upstream_call(sandbox: Any) -> None:
    recordings = catalogue().recordings[5:10]
    tracks = [
        Track.objects.create(artist_name=r.artist.name, title=r.spotify_name) for r in recordings
    ]
    for track in tracks:
        pipeline.enrich(track.pk)
    before = upstream_requests(sandbox)
    assert sum(before.values()) > 0
    # Forget every settled source, so the next attempts ask everything again.
    EnrichmentStatus.objects.update(source_outcomes={}, status="pending")
    results = [pipeline.enrich(track.pk) for track in tracks]
    assert upstream_requests(sandbox) == before
    assert all(result.cached for result in results)


def analysed_by_tidal_and_deezer(recording: Recording) -> bool:
    features = recording.features
    return bool(
        not recording.hard_cases
        and features is not None
        and features.key >= 0
        and tidal.known(recording)
        and tidal.analysed(recording)
        and recording.on("deezer")
        and recording.deezer_bpm
    )


def test_tidal_tempo_and_key_outrank_deezers_when_no_audio_analysis_answers(
    sandbox: Any, settings: Any
) -> None:
    recording = next(r for r in catalogue().recordings if analysed_by_tidal_and_deezer(r))
    features = recording.features
    assert features is not None
    settings.ENRICHMENT_SOURCES = ["deezer", "tidal"]
    track = Track.objects.create(  # imported with its ISRC: both look it up by that
        artist_name=recording.artist.name, title=recording.spotify_name, isrc=recording.isrc
    )
    assert pipeline.enrich(track.pk).status == "completed"
    track.refresh_from_db()
    assert track.tidal_id == tidal.track_id(recording)
    assert track.bpm == pytest.approx(round(features.tempo, 1))
    assert (track.key_pitch_class, track.key_mode) == (features.key, features.mode)
    assert track.camelot_key and track.metadata["provenance"]["bpm"]["source"] == "tidal"
