"""BPM octave reconciliation: folding into the range, per-genre ranges, x2 / x1.5 flags."""

from __future__ import annotations

import pytest
from django.test import override_settings

from enrichment import bpm
from songnodes.env import Environment


def test_a_tempo_read_at_half_time_doubles_into_the_default_range() -> None:
    assert bpm.reconcile(64.0, None) == 128.0


def test_a_tempo_read_at_double_time_halves_into_the_default_range() -> None:
    assert bpm.reconcile(256.0, None) == 128.0


def test_a_tempo_already_inside_the_range_is_kept() -> None:
    assert bpm.reconcile(124.5, None) == 124.5


def test_drum_and_bass_read_at_87_becomes_174() -> None:
    assert bpm.reconcile(87.0, "Drum & Bass") == 174.0


def test_drum_and_bass_at_174_is_not_halved_by_the_default_range() -> None:
    assert bpm.reconcile(174.0, "Drum & Bass") == 174.0
    assert bpm.reconcile(174.0, None) == 87.0  # without the genre, the default range rules


def test_dubstep_half_time_reads_at_full_time() -> None:
    assert bpm.reconcile(70.0, "Dubstep") == 140.0


def test_hip_hop_keeps_its_slow_tempo() -> None:
    assert bpm.reconcile(180.0, "Hip Hop") == 90.0


def test_a_genre_without_a_range_uses_the_configured_one() -> None:
    assert bpm.range_for("Electronic") == (78.0, 155.0)
    assert bpm.range_for("No Such Genre") == (78.0, 155.0)


@override_settings(BPM_RANGE=(90.0, 180.0))
def test_the_configured_range_is_the_one_folded_into() -> None:
    assert bpm.reconcile(87.0, None) == 174.0


def test_a_tempo_no_octave_brings_inside_keeps_the_nearest_octave() -> None:
    assert bpm.fold(155.5, 78.0, 155.0) == 77.75  # 0.25 below beats 0.5 above
    assert bpm.fold(100.0, 130.0, 140.0) == 100.0  # 30 below beats 60 above


def test_folding_refuses_a_tempo_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="bpm"):
        bpm.fold(0.0, 78.0, 155.0)


def test_sources_apart_by_an_octave_are_flagged_with_the_slower_first() -> None:
    found = bpm.disagreement({"reccobeats": 174.2, "deezer": 87.0})
    assert found == bpm.OctaveDisagreement("x2", lower="deezer", higher="reccobeats")


def test_sources_apart_by_three_to_two_are_flagged() -> None:
    found = bpm.disagreement({"a": 116.0, "b": 174.0})
    assert found is not None and found.relation == "x1.5"


def test_a_ratio_just_outside_the_tolerance_is_not_flagged() -> None:
    assert bpm.disagreement({"a": 80.0, "b": 170.0}) is None  # x2.125


def test_sources_that_agree_raise_no_flag() -> None:
    assert bpm.disagreement({"a": 128.0, "b": 127.6}) is None
    assert bpm.disagreement({"a": 128.0}) is None


def test_the_flag_keeps_both_raw_values() -> None:
    raw = {"a": 87.0, "b": 174.0, "c": 174.1}
    flag = bpm.disagreement(raw)
    assert flag is not None
    assert flag.to_dict(raw) == {
        "relation": "x2",
        "lower": "a",
        "higher": "b",
        "raw": {"a": 87.0, "b": 174.0},
    }


def test_bpm_range_is_read_as_low_dash_high() -> None:
    env = Environment({"BPM_RANGE": " 90 - 180 "})
    assert env.bpm_range("BPM_RANGE", "78-155") == (90.0, 180.0)
    assert env.invalid == {}


@pytest.mark.parametrize("text", ["fast", "155-78", "0-100", "90", "90-1200", "nan-100"])
def test_an_unreadable_bpm_range_falls_back_and_is_reported(text: str) -> None:
    env = Environment({"BPM_RANGE": text})
    assert env.bpm_range("BPM_RANGE", "78-155") == (78.0, 155.0)
    assert env.invalid == {"BPM_RANGE": text}
    assert env.kinds["BPM_RANGE"] == "bpm_range"


def test_the_system_check_names_an_unreadable_bpm_range() -> None:
    from enrichment.checks import check_numeric_settings

    with override_settings(
        INVALID_SETTINGS={"BPM_RANGE": "fast"}, SETTING_KINDS={"BPM_RANGE": "bpm_range"}
    ):
        [error] = check_numeric_settings(None)
    assert error.id == "songnodes.E008"
    assert "BPM_RANGE='fast' is not a tempo range such as 78-155" in error.msg
