"""Merging follows one precedence table, respects locks and outside values, and explains itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from enrichment.merge import PRECEDENCE, Found, merge

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def run(
    found: list[Found],
    current: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    locked: set[str] | None = None,
) -> Any:
    return merge(
        current or {}, provenance or {}, locked or set(), {f.provider: f for f in found}, NOW
    )


def test_spotify_features_beat_reccobeats_which_beat_deezer_for_bpm() -> None:
    result = run(
        [
            Found("deezer", {"bpm": 125.0}),
            Found("reccobeats", {"bpm": 127.9}),
            Found("spotify_features", {"bpm": 128.0}),
        ]
    )
    assert result.changes["bpm"] == 128.0
    assert result.provenance["bpm"]["source"] == "spotify_features"


def test_deezer_bpm_is_the_fallback_when_no_audio_analysis_answered() -> None:
    result = run([Found("deezer", {"bpm": 124.0})])
    assert result.changes["bpm"] == 124.0


def test_discogs_label_wins_over_musicbrainz() -> None:
    result = run(
        [
            Found("musicbrainz", {"label": "MB Label", "catalog_number": "MB-1"}),
            Found("discogs", {"label": "Mau5trap", "catalog_number": "MAU5-001"}),
        ]
    )
    assert (result.changes["label"], result.changes["catalog_number"]) == ("Mau5trap", "MAU5-001")


def test_a_lower_source_never_overwrites_a_higher_ones_value() -> None:
    current = {"label": "Mau5trap"}
    provenance = {"label": {"source": "discogs"}}
    result = run([Found("musicbrainz", {"label": "Other"})], current, provenance)
    assert "label" not in result.changes
    assert "ranks above" in result.kept["label"]


def test_the_same_source_refreshes_its_own_value() -> None:
    result = run(
        [Found("lastfm", {"lastfm_playcount": 200})],
        {"lastfm_playcount": 100},
        {"lastfm_playcount": {"source": "lastfm"}},
    )
    assert result.changes["lastfm_playcount"] == 200


def test_locked_fields_are_never_touched() -> None:
    result = run(
        [Found("spotify_features", {"bpm": 128.0, "energy": 0.8})],
        {"bpm": 126.0},
        {"bpm": {"source": "deezer"}},
        locked={"bpm"},
    )
    assert "bpm" not in result.changes
    assert result.kept["bpm"] == "locked by a curator"
    assert result.changes["energy"] == 0.8


def test_values_set_outside_enrichment_are_kept_but_confirmed_when_equal() -> None:
    current = {"spotify_id": "4uLU6hMCjMI75M1A2tKUQC", "isrc": "GBARL9300135"}
    result = run(
        [Found("spotify", {"spotify_id": "0000000000000000000000", "isrc": "GBARL9300135"})],
        current,
    )
    assert "spotify_id" not in result.changes
    assert "outside enrichment" in result.kept["spotify_id"]
    assert "isrc" not in result.changes
    assert result.provenance["isrc"]["source"] == "spotify"


def test_release_date_travels_with_its_precision() -> None:
    result = run(
        [
            Found(
                "spotify", {"release_date": dt.date(2008, 1, 1), "release_date_precision": "year"}
            ),
            Found(
                "musicbrainz",
                {"release_date": dt.date(2008, 3, 3), "release_date_precision": "day"},
            ),
        ]
    )
    assert result.changes["release_date"] == dt.date(2008, 3, 3)
    assert result.changes["release_date_precision"] == "day"
    assert result.provenance["release_date_precision"]["source"] == "musicbrainz"


def test_key_name_camelot_and_open_key_are_derived_from_pitch_class_and_mode() -> None:
    result = run([Found("reccobeats", {"key_pitch_class": 9, "key_mode": 0}, confidence=0.9)])
    assert result.changes["key"] == "A minor"
    assert result.changes["camelot_key"] == "8A"
    assert result.changes["open_key"] == "1m"
    assert result.provenance["camelot_key"] == {
        "source": "reccobeats",
        "fetched_at": NOW.isoformat(),
        "confidence": 0.9,
        "derived": True,
    }


def test_a_locked_camelot_key_survives_a_new_pitch_class() -> None:
    result = run(
        [Found("spotify_features", {"key_pitch_class": 0, "key_mode": 1})], locked={"camelot_key"}
    )
    assert "camelot_key" not in result.changes
    assert result.changes["key"] == "C major"


def test_titles_and_artists_are_never_merged_from_sources() -> None:
    assert "title" not in PRECEDENCE
    assert "artist_name" not in PRECEDENCE


def test_provenance_records_source_time_and_confidence() -> None:
    result = run([Found("deezer", {"deezer_id": 3135556}, confidence=0.93)])
    assert result.provenance["deezer_id"] == {
        "source": "deezer",
        "fetched_at": NOW.isoformat(),
        "confidence": 0.93,
    }


def test_an_unchanged_value_is_not_a_change_but_keeps_its_provenance() -> None:
    result = run(
        [Found("deezer", {"deezer_id": 1})], {"deezer_id": 1}, {"deezer_id": {"source": "deezer"}}
    )
    assert "deezer_id" not in result.changes
    assert "deezer_id" in result.provenance


def test_a_curators_value_outranks_every_source_even_unlocked() -> None:
    for origin in ("curator", "curator-review"):
        result = run(
            [Found("spotify", {"spotify_id": "1" * 22})],
            {"spotify_id": "2" * 22},
            {"spotify_id": {"source": origin}},
        )
        assert "spotify_id" not in result.changes
        assert origin in result.kept["spotify_id"]
