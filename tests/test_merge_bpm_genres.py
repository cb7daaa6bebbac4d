"""Merging BPM and genres: raw tempos kept, the winner folded, octave flags, genre precedence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from enrichment import pipeline
from enrichment.merge import Found, merge
from enrichment.models import Track
from tests import fakes as f
from tests.factories import make_track

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def run(
    found: list[Found],
    current: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    locked: set[str] | None = None,
    bpm_raw: dict[str, float] | None = None,
) -> Any:
    by_provider = {item.provider: item for item in found}
    return merge(current or {}, provenance or {}, locked or set(), by_provider, NOW, bpm_raw)


def test_every_sources_raw_bpm_is_kept_in_precedence_order() -> None:
    result = run([Found("deezer", {"bpm": 64.0}), Found("reccobeats", {"bpm": 128.2})])
    assert result.bpm_raw == {"reccobeats": 128.2, "deezer": 64.0}


def test_the_winning_bpm_is_folded_into_the_range() -> None:
    result = run([Found("deezer", {"bpm": 64.0})])
    assert result.changes["bpm"] == 128.0
    assert result.provenance["bpm"]["source"] == "deezer"


def test_drum_and_bass_from_discogs_folds_a_half_time_reading_up() -> None:
    found = [Found("reccobeats", {"bpm": 87.0}), Found("discogs", {"genre": "Drum & Bass"})]
    assert run(found).changes["bpm"] == 174.0


def test_a_new_genre_refolds_the_bpm_an_earlier_attempt_wrote() -> None:
    current = {"bpm": 87.0}
    provenance = {"bpm": {"source": "reccobeats"}}
    found = [Found("discogs", {"genre": "Drum & Bass", "genres": ["Drum & Bass"]})]
    result = run(found, current, provenance, bpm_raw={"reccobeats": 87.0})
    assert result.changes["bpm"] == 174.0


def test_an_octave_split_between_sources_is_flagged() -> None:
    result = run([Found("reccobeats", {"bpm": 174.0}), Found("deezer", {"bpm": 87.0})])
    assert result.octave == {
        "relation": "x2",
        "lower": "deezer",
        "higher": "reccobeats",
        "raw": {"deezer": 87.0, "reccobeats": 174.0},
    }


def test_raw_tempos_of_sources_not_asked_again_still_count() -> None:
    result = run([Found("deezer", {"bpm": 87.0})], bpm_raw={"reccobeats": 130.5})
    assert result.bpm_raw == {"reccobeats": 130.5, "deezer": 87.0}
    assert result.octave is not None and result.octave["relation"] == "x1.5"


def test_sources_that_agree_raise_no_flag() -> None:
    result = run([Found("reccobeats", {"bpm": 128.0}), Found("deezer", {"bpm": 128.3})])
    assert result.octave is None


def test_a_locked_bpm_is_neither_written_nor_flagged_but_raw_tempos_are_kept() -> None:
    found = [Found("reccobeats", {"bpm": 174.0}), Found("deezer", {"bpm": 87.0})]
    result = run(found, {"bpm": 174.0}, {"bpm": {"source": "curator"}}, {"bpm"})
    assert "bpm" not in result.changes and result.kept["bpm"] == "locked by a curator"
    assert result.octave is None
    assert result.bpm_raw == {"reccobeats": 174.0, "deezer": 87.0}


def test_discogs_genres_beat_lastfm_tags() -> None:
    found = [
        Found("lastfm", {"genre": "House", "genres": ["House"]}),
        Found("discogs", {"genre": "Deep House", "genres": ["Deep House", "Electronic"]}),
    ]
    result = run(found)
    assert result.changes["genre"] == "Deep House"
    assert result.changes["genres"] == ["Deep House", "Electronic"]
    assert result.provenance["genres"]["source"] == "discogs"


def test_lastfm_fills_genres_when_discogs_found_none() -> None:
    result = run([Found("lastfm", {"genre": "Techno", "genres": ["Techno"]})], {"genres": []})
    assert result.changes["genres"] == ["Techno"]


def test_a_locked_genre_is_kept() -> None:
    found = [Found("discogs", {"genre": "Techno", "genres": ["Techno"]})]
    result = run(found, {"genre": "House", "genres": ["House"]}, {}, {"genre", "genres"})
    assert "genre" not in result.changes and "genres" not in result.changes


@pytest.mark.django_db
def test_enrichment_writes_genres_raw_tempos_and_the_octave_flag(upstream: f.Fakes) -> None:
    upstream.on("deezer", "track_by_isrc", f.deezer_track(bpm=64.0))  # a half-time reading
    track = make_track(artist_name="deadmau5", title="Strobe")
    pipeline.enrich(track.pk)
    track.refresh_from_db()
    assert (track.genre, track.genres) == ("Progressive House", ["Progressive House", "Electronic"])
    assert track.metadata["provenance"]["genre"]["source"] == "discogs"
    assert track.bpm == 128.01
    assert track.metadata["bpm_raw"] == {"spotify_features": 128.01, "deezer": 64.0}
    assert track.metadata["bpm_octave"]["relation"] == "x2"
    assert Track.objects.filter(metadata__has_key="bpm_octave").count() == 1


@pytest.mark.django_db
def test_a_later_agreement_clears_the_octave_flag(upstream: f.Fakes) -> None:
    upstream.on("deezer", "track_by_isrc", f.deezer_track(bpm=64.0))
    track = make_track(artist_name="deadmau5", title="Strobe")
    pipeline.enrich(track.pk)
    upstream.on("deezer", "track_by_isrc", f.deezer_track(bpm=128.0))
    pipeline.enrich(track.pk, force_refresh=True)
    track.refresh_from_db()
    assert "bpm_octave" not in track.metadata
    assert track.metadata["bpm_raw"]["deezer"] == 128.0


@pytest.mark.django_db
def test_a_source_without_genres_leaves_genres_empty_and_genre_null(upstream: f.Fakes) -> None:
    upstream.on("discogs", "search", [f.discogs_release(styles=(), genres=("Stage & Screen",))])
    upstream.on("lastfm", "track_info_by_mbid", f.lastfm_track(tags=("seen live",)))
    upstream.on("lastfm", "track_info", f.lastfm_track(tags=("seen live",)))
    track = make_track(artist_name="deadmau5", title="Strobe")
    pipeline.enrich(track.pk)
    track.refresh_from_db()
    assert (track.genre, track.genres) == (None, [])
