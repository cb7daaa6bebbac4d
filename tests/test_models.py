"""The database itself enforces the value ranges and identifiers the service promises."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from enrichment.models import EnrichmentStatus, SourceOutcome, Track, outcome_record
from enrichment.sources.errors import SourceError
from tests.factories import make_track

pytestmark = pytest.mark.django_db


def rejects(**fields: Any) -> bool:
    """True when the database refuses a track with these fields."""
    try:
        with transaction.atomic():
            make_track(**fields)
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize(
    "feature",
    [
        "energy",
        "danceability",
        "valence",
        "acousticness",
        "instrumentalness",
        "liveness",
        "speechiness",
    ],
)
def test_audio_features_outside_zero_to_one_are_refused(feature: str) -> None:
    assert rejects(**{feature: 1.01})
    assert rejects(**{feature: -0.01})
    assert not rejects(**{feature: 0.0})
    assert not rejects(**{feature: 1.0})


@pytest.mark.parametrize("code", ["1A", "8A", "8B", "12B", "10A"])
def test_valid_camelot_codes_are_accepted(code: str) -> None:
    assert not rejects(camelot_key=code)


@pytest.mark.parametrize("code", ["0A", "13B", "8C", "8a", "A8", "1"])
def test_invalid_camelot_codes_are_refused(code: str) -> None:
    assert rejects(camelot_key=code)


def test_open_key_codes_are_checked() -> None:
    assert not rejects(open_key="1m")
    assert not rejects(open_key="12d")
    assert rejects(open_key="13d")
    assert rejects(open_key="1A")


def test_popularity_is_between_0_and_100() -> None:
    assert not rejects(spotify_popularity=0)
    assert not rejects(spotify_popularity=100)
    assert rejects(spotify_popularity=101)
    assert rejects(spotify_popularity=-1)


def test_isrc_is_unique_when_set_but_many_tracks_may_have_none() -> None:
    make_track(isrc="GBARL9300135")
    assert rejects(isrc="GBARL9300135")
    make_track(isrc=None)
    make_track(isrc=None)
    assert Track.objects.filter(isrc__isnull=True).count() == 2


def test_malformed_identifiers_are_refused() -> None:
    assert rejects(isrc="not-an-isrc")
    assert rejects(spotify_id="short")
    assert not rejects(spotify_id="4uLU6hMCjMI75M1A2tKUQC")


def test_release_date_needs_its_precision() -> None:
    assert rejects(release_date=datetime.date(1987, 1, 1))
    assert rejects(release_date_precision="year")
    assert not rejects(release_date=datetime.date(1987, 1, 1), release_date_precision="year")


def test_key_pitch_class_and_mode_ranges() -> None:
    assert rejects(key_pitch_class=12)
    assert rejects(key_pitch_class=-1)
    assert rejects(key_mode=2)
    assert not rejects(key_pitch_class=9, key_mode=0)


def test_bpm_must_be_positive() -> None:
    assert rejects(bpm=0)
    assert not rejects(bpm=128.0)


def test_artist_and_title_are_required() -> None:
    assert rejects(artist_name="")
    assert rejects(title="")


def test_only_known_fields_can_be_locked() -> None:
    assert not rejects(locked_fields=["bpm", "camelot_key", "title"])
    assert rejects(locked_fields=["bpm", "no_such_field"])


def test_deleting_a_track_deletes_its_status() -> None:
    track = make_track()
    track.delete()
    assert not EnrichmentStatus.objects.filter(track_id=track.id).exists()


def test_a_track_has_at_most_one_status_row() -> None:
    track = make_track()
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrichmentStatus.objects.create(track=track)


def test_settled_outcomes_are_the_ones_that_need_nothing_more() -> None:
    assert SourceOutcome.settled() == {"data", "not_found", "skipped", "unavailable"}
    assert SourceOutcome.transient() == {"transient", "rate_limited", "breaker_open"}
    assert not SourceOutcome.settled() & SourceOutcome.transient()
    assert SourceOutcome.REVIEW not in SourceOutcome.settled()


def test_every_source_error_reports_an_outcome_of_the_vocabulary() -> None:
    def family(error: type[SourceError]) -> list[type[SourceError]]:
        return [error, *(kin for child in error.__subclasses__() for kin in family(child))]

    for error in family(SourceError):
        assert error.outcome in SourceOutcome.values, error
        assert (error.outcome in SourceOutcome.transient()) == error.transient, error


def test_an_outcome_record_keeps_its_detail_short() -> None:
    at = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.UTC)
    record = outcome_record(SourceOutcome.NOT_FOUND, "x" * 600, at)
    assert record == {"outcome": "not_found", "detail": "x" * 500, "at": at.isoformat()}


@pytest.mark.parametrize(
    "field",
    ["key", "camelot_key", "open_key", "label", "catalog_number", "release_country", "genre"],
)
def test_an_unknown_text_value_is_null_never_blank(field: str) -> None:
    assert rejects(**{field: ""})
    assert getattr(make_track(), field) is None
