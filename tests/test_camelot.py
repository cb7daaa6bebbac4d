"""Key name, Camelot and Open Key derivation, checked against the wheel written out by hand."""

from __future__ import annotations

import re
from typing import NamedTuple

import pytest

from enrichment.camelot import (
    CAMELOT_PATTERN,
    OPEN_KEY_PATTERN,
    HarmonicKey,
    harmonic_key,
    parse_key_name,
)


class WheelKey(NamedTuple):
    pitch_class: int
    mode: int
    name: str
    camelot: str
    open_key: str
    flat_spelling: str  # another way people write the same key


# The standard Camelot and Open Key wheels, copied position by position (not computed).
WHEEL = [
    WheelKey(8, 0, "G# minor", "1A", "6m", "Abm"),
    WheelKey(11, 1, "B major", "1B", "6d", "Cb major"),
    WheelKey(3, 0, "D# minor", "2A", "7m", "Eb minor"),
    WheelKey(6, 1, "F# major", "2B", "7d", "Gb major"),
    WheelKey(10, 0, "A# minor", "3A", "8m", "Bbm"),
    WheelKey(1, 1, "C# major", "3B", "8d", "Db major"),
    WheelKey(5, 0, "F minor", "4A", "9m", "Fm"),
    WheelKey(8, 1, "G# major", "4B", "9d", "Ab major"),
    WheelKey(0, 0, "C minor", "5A", "10m", "Cm"),
    WheelKey(3, 1, "D# major", "5B", "10d", "Eb"),
    WheelKey(7, 0, "G minor", "6A", "11m", "Gm"),
    WheelKey(10, 1, "A# major", "6B", "11d", "Bb major"),
    WheelKey(2, 0, "D minor", "7A", "12m", "Dm"),
    WheelKey(5, 1, "F major", "7B", "12d", "F"),
    WheelKey(9, 0, "A minor", "8A", "1m", "Am"),
    WheelKey(0, 1, "C major", "8B", "1d", "C"),
    WheelKey(4, 0, "E minor", "9A", "2m", "Em"),
    WheelKey(7, 1, "G major", "9B", "2d", "G"),
    WheelKey(11, 0, "B minor", "10A", "3m", "Bm"),
    WheelKey(2, 1, "D major", "10B", "3d", "D"),
    WheelKey(6, 0, "F# minor", "11A", "4m", "Gbm"),
    WheelKey(9, 1, "A major", "11B", "4d", "A"),
    WheelKey(1, 0, "C# minor", "12A", "5m", "Db minor"),
    WheelKey(4, 1, "E major", "12B", "5d", "Fb major"),
]
each_key = pytest.mark.parametrize("key", WHEEL, ids=[key.camelot for key in WHEEL])


def test_wheel_table_covers_all_24_keys_once() -> None:
    assert len({(key.pitch_class, key.mode) for key in WHEEL}) == 24
    assert len({key.camelot for key in WHEEL}) == 24
    assert len({key.open_key for key in WHEEL}) == 24


@each_key
def test_every_key_matches_the_wheel(key: WheelKey) -> None:
    assert harmonic_key(key.pitch_class, key.mode) == HarmonicKey(
        pitch_class=key.pitch_class,
        mode=key.mode,
        name=key.name,
        camelot=key.camelot,
        open_key=key.open_key,
    )


@pytest.mark.parametrize(
    ("pitch_class", "mode", "camelot", "open_key"),
    [(0, 1, "8B", "1d"), (9, 0, "8A", "1m"), (6, 1, "2B", "7d"), (3, 0, "2A", "7m")],
)
def test_reference_keys_get_their_camelot_and_open_key_codes(
    pitch_class: int, mode: int, camelot: str, open_key: str
) -> None:
    key = harmonic_key(pitch_class, mode)
    assert key is not None
    assert (key.camelot, key.open_key) == (camelot, open_key)


def test_a_minor_is_8a_not_1a_as_the_old_service_said() -> None:
    key = harmonic_key(9, 0)
    assert key is not None
    assert key.camelot == "8A"


@pytest.mark.parametrize(
    ("pitch_class", "mode"),
    [
        (-1, 1),  # Spotify: no key detected; must not become B
        (-1, 0),
        (None, 1),
        (0, None),
        (None, None),
        (12, 1),
        (99, 0),
        (0, 2),
        (0, -1),
        (True, 1),
        (0, True),
    ],
)
def test_unknown_or_invalid_input_gives_no_key(pitch_class: int | None, mode: int | None) -> None:
    assert harmonic_key(pitch_class, mode) is None


@each_key
def test_notations_satisfy_the_database_patterns(key: WheelKey) -> None:
    assert re.match(CAMELOT_PATTERN, key.camelot)
    assert re.match(OPEN_KEY_PATTERN, key.open_key)


@pytest.mark.parametrize("value", ["0A", "13B", "8C", "08A", "8a", "1", "A8", " 8A", "8AB"])
def test_camelot_pattern_rejects_malformed_codes(value: str) -> None:
    assert not re.match(CAMELOT_PATTERN, value)


@pytest.mark.parametrize("value", ["0d", "13m", "1D", "1M", "1B", "01d", "d1", "1dm"])
def test_open_key_pattern_rejects_malformed_codes(value: str) -> None:
    assert not re.match(OPEN_KEY_PATTERN, value)


@each_key
def test_key_names_round_trip_through_the_parser(key: WheelKey) -> None:
    assert parse_key_name(key.name) == (key.pitch_class, key.mode)


@each_key
def test_flat_spellings_map_to_the_sharp_pitch_class(key: WheelKey) -> None:
    assert parse_key_name(key.flat_spelling) == (key.pitch_class, key.mode)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A minor", (9, 0)),
        ("Am", (9, 0)),
        ("A min", (9, 0)),
        ("a minor", (9, 0)),
        ("F# major", (6, 1)),
        ("F#", (6, 1)),
        ("F#M", (6, 1)),
        ("F# maj", (6, 1)),
        ("Gb major", (6, 1)),
        ("Bbm", (10, 0)),
        ("Bb Minor", (10, 0)),
        ("C#m", (1, 0)),
        ("  D  MAJOR ", (2, 1)),
        ("B♭ minor", (10, 0)),
        ("C♯ major", (1, 1)),
        ("B# major", (0, 1)),
    ],
)
def test_common_spellings_parse(text: str, expected: tuple[int, int]) -> None:
    assert parse_key_name(text) == expected


@pytest.mark.parametrize("text", ["", "H major", "A dorian", "A minor major", "8A", "Am7", "#A"])
def test_unreadable_names_give_none(text: str) -> None:
    assert parse_key_name(text) is None


def test_parsed_name_gives_back_the_same_key() -> None:
    parsed = parse_key_name("Ebm")
    assert parsed is not None
    key = harmonic_key(*parsed)
    assert key is not None
    assert (key.name, key.camelot, key.open_key) == ("D# minor", "2A", "7m")
