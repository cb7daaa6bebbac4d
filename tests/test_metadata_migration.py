"""Migration 0005 brings older metadata to the canonical shape and keeps what was there."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrichment import track_metadata
from enrichment.models import Track
from tests.factories import make_track

pytestmark = pytest.mark.django_db

migration = importlib.import_module("enrichment.migrations.0005_canonical_track_metadata")
AT = "2026-11-20T10:00:00+00:00"
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def migrated(metadata: Any) -> dict[str, Any]:
    """The track's metadata after the migration ran over a row holding `metadata`."""
    track = make_track()
    Track.objects.filter(pk=track.pk).update(metadata=metadata)
    migration.canonicalize(apps, None)
    return Track.objects.get(pk=track.pk).metadata


def test_the_three_old_provenance_shapes_keep_every_key() -> None:
    merged = {"source": "spotify_features", "fetched_at": AT, "confidence": 0.9}
    derived = {**merged, "derived": True}
    curator = {"source": "curator", "fetched_at": AT, "confidence": 1.0, "curator": "carla"}
    review = {"source": "curator-review", "fetched_at": AT, "confidence": 1.0,
              "provider": "spotify", "score": 0.87654321, "curator": "carla"}  # fmt: skip
    provenance = {"bpm": merged, "key": derived, "label": curator, "spotify_id": review}
    after = migrated({"provenance": provenance})["provenance"]
    assert after["bpm"] == merged
    assert after["key"] == derived
    assert after["label"] == curator
    assert after["spotify_id"] == {**review, "score": 0.877}


def test_a_source_name_alone_becomes_an_entry_that_does_not_invent_a_time() -> None:
    after = migrated({"provenance": {"isrc": "musicbrainz"}})["provenance"]
    assert after["isrc"] == {"source": "musicbrainz", "fetched_at": None, "confidence": None}


def test_missing_keys_are_filled_and_numbers_normalised() -> None:
    provenance = {"bpm": {"source": "deezer", "confidence": "0.95"}, "label": {"source": "x"}}
    after = migrated({"provenance": provenance})["provenance"]
    assert after["bpm"] == {"source": "deezer", "fetched_at": None, "confidence": 0.95}
    assert after["label"] == {"source": "x", "fetched_at": None, "confidence": None}


def test_an_empty_review_no_longer_flags_the_track() -> None:
    after = migrated({"review": {}, "lastfm_tags": ["house"]})
    assert after == {"lastfm_tags": ["house"]}
    assert not Track.objects.filter(track_metadata.awaiting_review()).exists()


def test_sources_and_refused_identifiers_are_sorted_without_repeats() -> None:
    metadata = {"enrichment_sources": ["spotify", "deezer", "spotify"],
                "rejected": {"spotify": ["b", "a", "b"]}}  # fmt: skip
    after = migrated(metadata)
    assert after["enrichment_sources"] == ["deezer", "spotify"]
    assert after["rejected"] == {"spotify": ["a", "b"]}


def test_unknown_keys_and_unreadable_entries_are_kept_as_they_are() -> None:
    metadata = {"provenance": {"bpm": {"confidence": 0.5}, "key": 7}, "note": {"any": "thing"}}
    assert migrated(metadata) == metadata


def test_metadata_the_writers_build_is_already_canonical() -> None:
    track = Track(artist_name="deadmau5", title="Strobe")
    entry = track_metadata.provenance_entry("spotify", NOW, 0.93)
    track_metadata.record_provenance(track, "isrc", entry)
    track_metadata.record_provenance(track, "key", track_metadata.derived_from(entry))
    track_metadata.add_sources(track, ["spotify", "deezer"])
    track_metadata.record_decision(track, "discogs", curator="carla", at=NOW, rejected=["2", "1"])
    assert migration.canonical_metadata(track.metadata) == track.metadata


def test_a_second_run_writes_nothing_and_updated_at_stays() -> None:
    stale = make_track(metadata={"provenance": {"isrc": "musicbrainz"}})
    clean = make_track(metadata={"enrichment_sources": ["deezer"]})
    before = {track.pk: track.updated_at for track in (stale, clean)}
    migration.canonicalize(apps, None)
    with CaptureQueriesContext(connection) as second_run:
        migration.canonicalize(apps, None)
    assert not [query for query in second_run if query["sql"].startswith("UPDATE")]
    for track in Track.objects.filter(pk__in=before):
        assert track.updated_at == before[track.pk]
    assert Track.objects.get(pk=stale.pk).metadata["provenance"]["isrc"]["source"] == "musicbrainz"
