"""Shared parsing: partial dates, typed reads and range checks behave the same for every source."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from enrichment.sources.errors import MalformedResponse
from enrichment.sources.types import (
    AudioFeatures,
    PayloadError,
    get_int,
    opt_float,
    parsing,
    partial_date,
    strings,
)

pytestmark = pytest.mark.django_db  # the shared fixtures clear database-backed caches


@pytest.mark.parametrize(
    ("text", "precision", "expected"),
    [
        ("1987", "year", (date(1987, 1, 1), "year")),
        ("1987-07", "month", (date(1987, 7, 1), "month")),
        ("1987-07-14", None, (date(1987, 7, 14), "day")),
        ("1987-07-14", "year", (date(1987, 1, 1), "year")),  # never more detail than claimed
        ("1987-00-00", None, (date(1987, 1, 1), "year")),
        ("0000", "year", None),
        ("0000-00-00", None, None),
        ("1987-13-01", None, None),
        ("garbage", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_partial_dates(
    text: str | None, precision: str | None, expected: tuple[date, str] | None
) -> None:
    assert partial_date(text, precision) == expected


def test_numbers_sent_as_strings_are_read_and_booleans_are_not_numbers() -> None:
    assert get_int({"listeners": "48210"}, "listeners") == 48210
    with pytest.raises(PayloadError):
        get_int({"listeners": "many"}, "listeners")
    with pytest.raises(PayloadError):
        opt_float({"energy": True}, "energy")


def test_a_single_string_counts_as_a_list_of_one() -> None:
    assert strings({"label": "Oxbow Tapes"}, "label") == ("Oxbow Tapes",)
    with pytest.raises(PayloadError):
        strings({"label": [1, 2]}, "label")


def test_out_of_range_features_are_dropped_and_noted() -> None:
    features = AudioFeatures(
        spotify_id="3Zp7YkQ2xW9rTb4NcVh6Ld", tempo=0.0, key=4, mode=1, time_signature=1
    )
    assert features.fields() == {"key_pitch_class": 4, "key_mode": 1}
    assert len(features.notes()) == 2


def test_a_body_value_quoted_in_a_parsing_error_is_redacted(settings: Any) -> None:
    settings.LASTFM_API_KEY = "configured-key-8899"
    with pytest.raises(MalformedResponse) as caught, parsing("api", "track"):
        raise PayloadError("href 'https://x.test/?k=configured-key-8899' is not a track URL")
    assert "configured-key" not in str(caught.value) and "[redacted]" in str(caught.value)
