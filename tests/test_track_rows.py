"""track_rows.load: a track and its status in one statement, as the ORM would build them."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import connection, transaction
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from enrichment import track_rows
from enrichment.models import EnrichmentStatus, Track
from tests.factories import make_track

pytestmark = pytest.mark.django_db


def fields_of(instance: Model) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_the_track_and_its_status_are_as_the_orm_reads_them() -> None:
    track = make_track(
        bpm=128.01,
        energy=0.8,
        release_date=datetime.date(2009, 10, 5),
        release_date_precision="day",
        genres=["progressive house"],
        locked_fields=["bpm"],
        metadata={"provenance": {"bpm": {"source": "spotify_features"}}, "tags": ["house"]},
        isrc="USUS10900001",
    )
    EnrichmentStatus.objects.filter(track=track).update(
        status="partial", source_outcomes={"lastfm": {"outcome": "pending"}}, retry_count=2
    )
    with CaptureQueriesContext(connection) as queries:
        loaded = track_rows.load(str(track.pk))
        status = loaded.enrichment_status  # in place: no statement of its own
        assert status.track is loaded
    assert len(queries) == 1
    expected = Track.objects.select_related("enrichment_status").get(pk=track.pk)
    assert fields_of(loaded) == fields_of(expected)
    assert fields_of(status) == fields_of(expected.enrichment_status)
    assert isinstance(loaded.metadata, dict) and isinstance(status.source_outcomes, dict)
    loaded.title = "Changed"
    loaded.save(update_fields=["title"])  # an instance the ORM saves as a stored row
    assert Track.objects.get(pk=track.pk).title == "Changed"


def test_a_missing_track_or_locked_status_is_does_not_exist() -> None:
    with pytest.raises(Track.DoesNotExist):
        track_rows.load(uuid.uuid4())
    track = make_track(status=None)
    assert track_rows.load(track.pk).pk == track.pk  # unlocked: the status is read on use
    with pytest.raises(EnrichmentStatus.DoesNotExist), transaction.atomic():
        track_rows.load(track.pk, lock=True)


def test_the_locked_read_holds_both_rows_until_the_transaction_ends() -> None:
    track = make_track()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        track_rows.load(track.pk, lock=True)
    assert any("FOR UPDATE OF t, s" in q["sql"] for q in queries)


def test_a_claim_sets_the_status_and_reads_both_rows_in_one_statement() -> None:
    track = make_track(bpm=124.0)
    EnrichmentStatus.objects.filter(track=track).update(status="failed", retry_count=2)
    now = datetime.datetime.now(datetime.UTC)
    stale = now - datetime.timedelta(minutes=30)
    with CaptureQueriesContext(connection) as queries:
        claimed = track_rows.claim(track.pk, status="in_progress", now=now, stale=stale)
        assert claimed is not None
        status = claimed.enrichment_status
    assert len(queries) == 1
    stored = Track.objects.select_related("enrichment_status").get(pk=track.pk)
    assert fields_of(claimed) == fields_of(stored)
    assert fields_of(status) == fields_of(stored.enrichment_status)
    assert (status.status, status.claimed_at, status.last_attempt) == ("in_progress", now, now)
    assert status.retry_count == 2
    # Held: a second claim takes nothing; once the claim is older than `stale`, it does.
    assert track_rows.claim(track.pk, status="in_progress", now=now, stale=stale) is None
    later = now + datetime.timedelta(hours=1)
    assert track_rows.claim(track.pk, status="in_progress", now=later, stale=later) is not None


def test_nothing_is_claimed_without_a_status_row_or_a_track() -> None:
    now = datetime.datetime.now(datetime.UTC)
    track = make_track(status=None)
    assert track_rows.claim(track.pk, status="in_progress", now=now, stale=now) is None
    assert track_rows.claim(uuid.uuid4(), status="in_progress", now=now, stale=now) is None
