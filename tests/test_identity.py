"""A track's identity: which names are the same, the constraints, create-or-get, migration 0006."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from enrichment import identity, importing
from enrichment.models import EnrichmentStatus, Track
from tests.factories import make_track

pytestmark = pytest.mark.django_db

migration = importlib.import_module("enrichment.migrations.0006_identity_unique_tracks")
SPOTIFY_ID = "0" * 21 + "1"


def named(artist_name: str, title: str) -> list[Track]:
    """The tracks the identity lookup finds for this name."""
    return list(identity.with_name(Track.objects.all(), artist_name, title))


def test_case_and_whitespace_do_not_make_another_track() -> None:
    track = make_track(artist_name="Daft Punk", title="One More Time")
    assert named("  daft   PUNK ", "one more\ttime") == [track]


def test_a_version_in_the_title_is_another_recording() -> None:
    make_track(artist_name="deadmau5", title="Strobe")
    radio_edit = make_track(artist_name="deadmau5", title="Strobe (Radio Edit)")
    assert named("deadmau5", "Strobe (Radio Edit)") == [radio_edit]


def test_the_database_refuses_a_second_track_with_the_same_normalised_name() -> None:
    make_track(artist_name="Daft Punk", title="One More Time")
    with pytest.raises(IntegrityError), transaction.atomic():
        Track.objects.create(artist_name="daft  punk", title="ONE MORE TIME ")


def test_the_database_refuses_a_second_track_with_the_same_spotify_id() -> None:
    make_track(spotify_id=SPOTIFY_ID)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_track(spotify_id=SPOTIFY_ID)


def test_model_validation_reports_the_same_name_as_an_error() -> None:
    track = make_track(artist_name="Daft Punk", title="One More Time")
    track.validate_constraints()  # itself is no duplicate
    with pytest.raises(ValidationError):
        Track(artist_name="DAFT PUNK", title="One More Time").validate_constraints()


def test_importing_a_differently_spelt_name_fills_in_the_existing_track() -> None:
    track = make_track(artist_name="Daft Punk", title="One More Time")
    raw = {"artist_name": "daft punk", "track_title": "one  more time", "spotify_id": SPOTIFY_ID}
    assert importing.upsert_one(raw) == track.pk
    assert Track.objects.get().spotify_id == SPOTIFY_ID


def test_losing_the_insert_race_returns_the_winners_track() -> None:
    winner = make_track(artist_name="deadmau5", title="Strobe")
    loser = Track(artist_name="Deadmau5", title="Strobe")
    track, created = identity.insert_or_find(loser, lambda: named("deadmau5", "Strobe")[0])
    assert (track, created) == (winner, False)
    assert Track.objects.count() == EnrichmentStatus.objects.count() == 1


def test_an_insert_refused_for_another_reason_is_not_hidden() -> None:
    make_track(artist_name="deadmau5", title="Strobe")
    invalid = Track(artist_name="deadmau5", title="Ghosts", bpm=-1)
    with pytest.raises(IntegrityError):
        identity.insert_or_find(invalid, lambda: named("deadmau5", "Strobe")[0])


def _without_identity_constraints() -> None:
    """The table as before migration 0006, so it can hold duplicates again."""
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX track_artist_title_unique")
        cursor.execute("DROP INDEX track_spotify_id_unique")


def _aged(track: Track, days: int) -> Track:
    created = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=days)
    Track.objects.filter(pk=track.pk).update(created_at=created)
    return track


def test_the_migration_keeps_every_duplicate_and_marks_it_as_the_oldests() -> None:
    _without_identity_constraints()
    newer = _aged(make_track(artist_name="daft punk", title="One More Time", bpm=122), 2)
    oldest = _aged(make_track(artist_name="Daft Punk", title="One More Time"), 1)
    newest = _aged(make_track(artist_name="Daft  Punk", title="one more time"), 3)
    other = _aged(make_track(artist_name="Daft Punk", title="One More Time (Radio Edit)"), 4)
    migration.mark_duplicates(apps, None)
    after = {track.pk: track for track in Track.objects.all()}
    assert len(after) == 4
    assert "duplicate_of" not in after[oldest.pk].metadata
    assert "duplicate_of" not in after[other.pk].metadata
    for duplicate in (newer, newest):
        mark = {"track_id": str(oldest.pk), "artist_title": True}
        assert after[duplicate.pk].metadata["duplicate_of"] == mark
    assert after[newer.pk].bpm == 122


def test_after_the_migration_the_name_finds_the_oldest_track() -> None:
    _without_identity_constraints()
    _aged(make_track(artist_name="daft punk", title="One More Time"), 2)
    oldest = _aged(make_track(artist_name="Daft Punk", title="One More Time"), 1)
    migration.mark_duplicates(apps, None)
    assert importing.upsert_one({"artist_name": "DAFT PUNK", "track_title": "One More Time"}) == (
        oldest.pk
    )


def test_the_migration_marks_a_second_holder_of_a_spotify_id() -> None:
    _without_identity_constraints()
    oldest = _aged(make_track(spotify_id=SPOTIFY_ID, metadata={"lastfm_tags": ["house"]}), 1)
    newer = _aged(make_track(spotify_id=SPOTIFY_ID, metadata={"lastfm_tags": ["techno"]}), 2)
    migration.mark_duplicates(apps, None)
    mark = {"track_id": str(oldest.pk), "spotify_id": SPOTIFY_ID}
    newer.refresh_from_db()
    assert newer.metadata == {"lastfm_tags": ["techno"], "duplicate_of": mark}
    assert Track.objects.get(pk=oldest.pk).spotify_id == SPOTIFY_ID


def test_after_the_migration_the_unique_indexes_can_be_built() -> None:
    _without_identity_constraints()
    make_track(artist_name="Daft Punk", title="One More Time", spotify_id=SPOTIFY_ID)
    make_track(artist_name="daft punk", title="One More Time", spotify_id=SPOTIFY_ID)
    make_track(artist_name="Justice", title="D.A.N.C.E.", spotify_id=SPOTIFY_ID)
    migration.mark_duplicates(apps, None)
    with connection.schema_editor() as editor:
        for constraint in Track._meta.constraints:
            if constraint.name in ("track_artist_title_unique", "track_spotify_id_unique"):
                editor.add_constraint(Track, constraint)
    assert Track.objects.filter(identity.CANONICAL).count() == 1
