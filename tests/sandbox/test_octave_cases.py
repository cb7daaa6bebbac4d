"""The sandbox's Deezer reads some tempos at another octave, so the demo shows octave flags."""

from __future__ import annotations

from enrichment import bpm
from sandbox.catalogue import Catalogue, catalogue, sample_tracks
from sandbox.generator import deezer_bpm


def test_half_the_drum_and_bass_is_read_at_half_time() -> None:
    assert deezer_bpm(4, "drum_and_bass", 174.0) == 87.0
    assert deezer_bpm(3, "drum_and_bass", 174.0) == 174.0


def test_some_other_tracks_are_read_at_double_half_or_three_to_two() -> None:
    assert deezer_bpm(17, "downtempo", 90.0) == 180.0  # 17 % 12 == 5, slow: doubled
    assert deezer_bpm(17, "house", 124.0) == 62.0
    assert deezer_bpm(40, "house", 120.0) == 180.0  # 40 % 29 == 11


def test_every_octave_case_disagrees_with_the_audio_analysis_by_a_flagged_ratio(
    data: Catalogue,
) -> None:
    cases = data.hard_cases["deezer_bpm_octave"]
    assert len(cases) > 100
    for recording in cases:
        assert recording.features is not None
        raw = {"reccobeats": recording.features.tempo, "deezer": recording.deezer_bpm}
        assert bpm.disagreement(raw) is not None, recording


def test_the_demo_list_includes_octave_cases() -> None:
    # No random draw decides them, so the same demo tracks are flagged on every run.

    octave = {(r.artist.name, r.title) for r in catalogue().hard_cases["deezer_bpm_octave"]}
    listed = {(row["artist_name"], row["track_title"]) for row in sample_tracks()}
    assert len(octave & listed) >= 5
