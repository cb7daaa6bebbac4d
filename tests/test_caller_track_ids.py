"""Any caller's track_id names a track: our UUID, or their own string kept as its external id."""

from __future__ import annotations

import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from enrichment.importing import upsert_one
from enrichment.models import Track, jobs, track_id_problem
from tests.factories import make_track

pytestmark = pytest.mark.django_db

SCRAPER_ID = "a3f1c9e2b4d60718"  # the original's scrapers send 16-hex ids


def test_a_uuid_equal_to_a_primary_key_names_that_track() -> None:
    track = make_track()
    assert Track.objects.by_track_id(str(track.pk)) == track
    assert Track.objects.by_track_id(str(track.pk).upper()) == track


def test_any_other_string_is_looked_up_as_an_external_id() -> None:
    track = make_track(external_id="test-track-123")
    assert Track.objects.by_track_id("test-track-123") == track
    assert Track.objects.by_track_id("test-track-124") is None
    assert Track.objects.by_track_id(str(uuid.uuid4())) is None


def test_a_uuid_that_is_no_primary_key_may_be_an_external_id() -> None:
    theirs = str(uuid.uuid4())
    track = make_track(external_id=theirs)
    assert Track.objects.by_track_id(theirs) == track


def test_our_primary_key_wins_over_another_tracks_equal_external_id() -> None:
    ours = make_track()
    make_track(external_id=str(ours.pk))
    assert Track.objects.by_track_id(str(ours.pk)) == ours


def test_external_ids_are_unique_and_never_blank() -> None:
    make_track(external_id="dup")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_track(external_id="dup")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_track(external_id="")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("test-track-123", None),
        ("x" * 255, None),
        ("x" * 256, "longer than 255 characters"),
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("tab\there", "contains a control character"),
        ("nul\x00", "contains a control character"),
        ("bad \ud800", "is not valid Unicode"),
        (42, "must be a string"),
    ],
)
def test_track_ids_are_bounded_printable_strings(value: object, problem: str | None) -> None:
    assert track_id_problem(value) == problem


def test_the_track_id_callers_get_back_is_theirs_else_ours() -> None:
    assert make_track(external_id=SCRAPER_ID).track_id == SCRAPER_ID
    plain = make_track()
    assert plain.track_id == str(plain.pk)


def test_import_keeps_non_uuid_ids_and_finds_the_track_by_them_again(tmp_path: Path) -> None:
    path = tmp_path / "tracks.csv"
    path.write_text(
        f"artist_name,track_title,track_id\ndeadmau5,Strobe,{SCRAPER_ID}\n"
        "Daft Punk,One More Time,test-track-123\n"
    )
    out = StringIO()
    call_command("import_tracks", str(path), "--quiet-progress", stdout=out, stderr=out)
    assert "created 2" in out.getvalue()
    assert Track.objects.get(external_id=SCRAPER_ID).title == "Strobe"
    call_command("import_tracks", str(path), "--quiet-progress", stdout=out, stderr=out)
    assert Track.objects.count() == 2
    assert "unchanged 2" in out.getvalue()


def test_a_new_uuid_id_serves_as_our_key_and_is_kept_as_theirs() -> None:
    theirs = str(uuid.uuid4())
    pk = upsert_one({"artist_name": "deadmau5", "track_title": "Strobe", "track_id": theirs})
    track = Track.objects.get(pk=pk)
    assert (str(track.pk), track.external_id, track.track_id) == (theirs, theirs, theirs)


def test_a_track_found_by_name_adopts_the_callers_id() -> None:
    track = make_track(artist_name="deadmau5", title="Strobe")
    pk = upsert_one({"artist_name": "deadmau5", "track_title": "Strobe", "track_id": SCRAPER_ID})
    track.refresh_from_db()
    assert (pk, track.external_id) == (track.pk, SCRAPER_ID)


def test_a_bad_track_id_row_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "tracks.csv"
    path.write_text(f"artist_name,track_title,track_id\ndeadmau5,Strobe,{'x' * 256}\n")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_tracks", str(path), "--quiet-progress", stdout=out, stderr=out)
    assert "track_id" in out.getvalue()
    assert not Track.objects.exists()


def test_manage_enrich_takes_an_external_id() -> None:
    track = make_track(external_id="test-track-123")
    out = StringIO()
    call_command("enrich", "test-track-123", stdout=out)
    assert "queued 1 job(s)" in out.getvalue()
    with pytest.raises(CommandError, match="no such track: test-track-999"):
        call_command("enrich", "test-track-999", stdout=out)
    assert [job.args["track_id"] for job in jobs().enrichment()] == [str(track.pk)]
