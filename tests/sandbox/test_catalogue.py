"""The catalogue: deterministic, fast, identifiers agreeing across APIs, hard cases present."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

from sandbox import catalogue as catalogue_module
from sandbox.catalogue import (
    DEFAULT_SEED,
    HARD_CASE_DESCRIPTIONS,
    Catalogue,
    build_catalogue,
    sample_tracks,
    write_sample_csv,
)
from sandbox.search import SearchIndex
from sandbox.vocabulary import UNKNOWN_ARTISTS

SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_same_seed_gives_the_same_identifiers() -> None:
    first, second = build_catalogue(11, 400), build_catalogue(11, 400)
    fields = [(r.spotify_id, r.isrc, r.mbid, r.deezer_id, r.title) for r in first.recordings]
    assert fields == [
        (r.spotify_id, r.isrc, r.mbid, r.deezer_id, r.title) for r in second.recordings
    ]


def test_another_seed_gives_other_identifiers() -> None:
    first, second = build_catalogue(11, 50), build_catalogue(12, 50)
    assert {r.spotify_id for r in first.recordings}.isdisjoint(
        r.spotify_id for r in second.recordings
    )


def test_full_catalogue_builds_all_its_recordings() -> None:
    # How fast it builds is a benchmark's figure (bench/catalogue.py), not a unit test's.
    built = build_catalogue(DEFAULT_SEED + 1, 3000)
    assert len(built) == 3000


def test_identifiers_have_the_real_formats(data: Catalogue) -> None:
    for recording in data.recordings:
        assert SPOTIFY_ID.match(recording.spotify_id)
        assert ISRC.match(recording.isrc) and len(recording.isrc) == 12
        assert UUID.match(recording.mbid) and UUID.match(recording.artist.mbid)
        assert isinstance(recording.deezer_id, int) and recording.deezer_id > 0
    assert all(isinstance(r.discogs_release_id, int) for r in data.recordings if r.on("discogs"))


def test_identifiers_are_unique_per_api(data: Catalogue) -> None:
    for index in (data.by_spotify_id, data.by_isrc, data.by_mbid, data.by_deezer_id):
        assert len(index) == len(data)


def test_every_hard_case_has_enough_members(data: Catalogue) -> None:
    for case in HARD_CASE_DESCRIPTIONS:
        assert len(data.hard_cases.get(case, [])) >= 5, case


def test_hard_cases_are_importable_from_the_module(data: Catalogue) -> None:
    assert catalogue_module.HARD_CASES is data.hard_cases


def test_versions_keep_the_original_artist_and_title_under_other_ids(data: Catalogue) -> None:
    for version in data.hard_cases["version"][:200]:
        assert version.original_number is not None
        original = data.recordings[version.original_number]
        assert (original.artist, original.title, original.version) == (
            version.artist,
            version.title,
            "",
        )
        assert original.spotify_id != version.spotify_id and original.isrc != version.isrc
        assert version in data.versions_of(original)


def test_featured_artists_are_credited_but_not_in_the_spotify_name(data: Catalogue) -> None:
    for recording in data.hard_cases["featured"]:
        assert recording.featured and recording.artist not in recording.featured
        assert "feat" not in recording.spotify_name.lower()
        assert recording.feat_suffix.startswith(" (feat. ")


def test_same_title_cases_come_from_different_artists(data: Catalogue) -> None:
    by_title: dict[str, set[str]] = {}
    for recording in data.hard_cases["same_title"]:
        by_title.setdefault(recording.title.casefold(), set()).add(recording.artist.name)
    assert by_title and all(len(artists) > 1 for artists in by_title.values())


def test_missing_features_are_missing_from_spotify_and_reccobeats(data: Catalogue) -> None:
    for recording in data.hard_cases["no_audio_features"]:
        assert recording.features is None and not recording.on("reccobeats")
        assert recording.deezer_bpm == 0


def test_audio_features_stay_in_spotify_ranges(data: Catalogue) -> None:
    for recording in data.recordings:
        features = recording.features
        if features is None:
            continue
        assert -1 <= features.key <= 11 and features.mode in (0, 1)
        assert 60 <= features.tempo <= 200 and features.time_signature in (3, 4)
        assert all(0 <= v <= 1 for v in (features.energy, features.danceability, features.valence))
        assert -60 < features.loudness < 0


def test_release_dates_match_their_precision(data: Catalogue) -> None:
    lengths = {"year": 4, "month": 7, "day": 10}
    for recording in data.recordings:
        release = recording.release
        assert len(release.release_date) == lengths[release.release_date_precision]
        assert len(release.full_date) == 10


def test_sample_tracks_are_deterministic_and_sized() -> None:
    rows = sample_tracks(300, seed=7)
    assert rows == sample_tracks(300, seed=7)
    assert len(rows) == 300
    assert rows != sample_tracks(300, seed=8)


def test_about_fifteen_percent_of_samples_carry_an_identifier(data: Catalogue) -> None:
    rows = sample_tracks(300)
    with_ids = [r for r in rows if r.get("isrc") or r.get("spotify_id")]
    assert 0.08 <= len(with_ids) / len(rows) <= 0.22
    for row in with_ids:
        assert (
            row.get("isrc", "") in data.by_isrc or row.get("spotify_id", "") in data.by_spotify_id
        )


def test_some_samples_are_not_in_the_catalogue(data: Catalogue) -> None:
    index = SearchIndex(data)
    unknown = [r for r in sample_tracks(300) if r["artist_name"] in UNKNOWN_ARTISTS]
    assert 3 <= len(unknown) <= 15
    for row in unknown:
        assert "isrc" not in row and "spotify_id" not in row
        assert index.search(title=row["track_title"], artist=row["artist_name"]) == []


def test_samples_include_featured_and_versioned_titles() -> None:
    rows = sample_tracks(300)
    assert any(" feat. " in r["artist_name"] for r in rows)
    assert any("(" in r["track_title"] or " - " in r["track_title"] for r in rows)


def test_sample_csv_round_trips(tmp_path: Path) -> None:
    target = tmp_path / "demo" / "tracks.csv"
    assert write_sample_csv(target, n=40) == 40
    with target.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["artist_name", "track_title", "isrc", "spotify_id"]
    expected = sample_tracks(40)
    assert [(r["artist_name"], r["track_title"], r["isrc"]) for r in rows] == [
        (r["artist_name"], r["track_title"], r.get("isrc", "")) for r in expected
    ]


def test_catalogue_does_not_depend_on_hash_randomisation() -> None:
    script = (
        "import hashlib, json; from sandbox.catalogue import catalogue, sample_tracks; "
        "rows = [(r.spotify_id, r.isrc, sorted(r.hard_cases), sorted(r.sources))"
        " for r in catalogue().recordings] + sample_tracks(); "
        "print(hashlib.md5(json.dumps(rows).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1
