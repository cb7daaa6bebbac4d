"""Track metadata has one typed shape, and each thing in it one writer."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

import pytest

from enrichment import track_metadata
from enrichment.merge import Found, merge
from enrichment.models import Track
from tests.factories import make_track

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
REQUIRED = {"source", "fetched_at", "confidence"}


def unsaved(**metadata: object) -> Track:
    return Track(artist_name="deadmau5", title="Strobe", metadata=dict(metadata))


def test_every_writer_builds_provenance_with_the_same_required_keys() -> None:
    merged = merge({}, {}, set(), {"spotify": Found("spotify", {"isrc": "USUS11000356"})}, NOW)
    curator = track_metadata.provenance_entry(track_metadata.CURATOR, NOW, curator="carla")
    review = track_metadata.provenance_entry(
        track_metadata.CURATOR_REVIEW, NOW, curator="carla", provider="spotify", score=0.87654
    )
    for entry in (merged.provenance["isrc"], curator, review):
        assert set(entry) >= REQUIRED
        assert entry["fetched_at"] == NOW.isoformat()
    assert curator == {"source": "curator", "fetched_at": NOW.isoformat(), "confidence": 1.0,
                       "curator": "carla"}  # fmt: skip
    assert (review["provider"], review["score"]) == ("spotify", 0.877)


def test_confidence_is_kept_to_three_decimals() -> None:
    entry = track_metadata.provenance_entry("musicbrainz", NOW, 0.912345)
    assert entry["confidence"] == 0.912


def test_a_derived_entry_copies_its_origin_and_says_so() -> None:
    origin = track_metadata.provenance_entry("spotify_features", NOW, 0.9)
    derived = track_metadata.derived_from(origin)
    assert derived == {**origin, "derived": True}
    assert "derived" not in origin


def test_recorded_provenance_is_read_back_with_its_source() -> None:
    track = unsaved()
    entry = track_metadata.provenance_entry("deezer", NOW)
    track_metadata.record_provenance(track, "bpm", entry)
    assert track_metadata.provenance(track) == {"bpm": entry}
    assert track_metadata.origin(track, "bpm") == "deezer"
    assert track_metadata.origin(track, "isrc") is None  # imported


def test_sources_accumulate_sorted_without_repeats() -> None:
    track = unsaved(enrichment_sources=["spotify"])
    track_metadata.add_sources(track, ["lastfm", "spotify", "deezer"])
    assert track.metadata["enrichment_sources"] == ["deezer", "lastfm", "spotify"]


def test_clearing_the_last_review_drops_the_needs_review_key() -> None:
    track = unsaved()
    track_metadata.set_review(track, "spotify", {"reason": "close call", "ranked": []})
    track_metadata.set_review(track, "discogs", {"reason": "close call", "ranked": []})
    track_metadata.clear_review(track, "spotify")
    assert list(track_metadata.reviews(track)) == ["discogs"]
    track_metadata.clear_review(track, "discogs")
    assert "review" not in track.metadata


def test_an_accepted_candidate_closes_the_review_and_notes_who_and_when() -> None:
    track = unsaved(review={"spotify": {"reason": "close call"}})
    track_metadata.record_decision(track, "spotify", curator="carla", at=NOW, accepted="id-1")
    assert "review" not in track.metadata
    assert track_metadata.reviewed(track)["spotify"] == {
        "decision": "accepted", "identifier": "id-1", "by": "carla", "at": NOW.isoformat()
    }  # fmt: skip
    assert track_metadata.rejected(track) == {}


def test_rejected_candidates_are_remembered_sorted_and_without_repeats() -> None:
    track = unsaved(review={"spotify": {"reason": "close call"}}, rejected={"spotify": ["b"]})
    track_metadata.record_decision(track, "spotify", curator="carla", at=NOW, rejected=["c", "b"])
    assert track_metadata.rejected(track) == {"spotify": ["b", "c"]}
    decision = track_metadata.reviewed(track)["spotify"]
    assert (decision["decision"], decision["identifiers"]) == ("rejected", ["c", "b"])


def test_an_attempt_without_refusals_leaves_the_last_ones() -> None:
    track = unsaved()
    track_metadata.set_kept(track, {"bpm": "locked by a curator"})
    track_metadata.set_kept(track, {})
    assert track_metadata.kept(track) == {"bpm": "locked by a curator"}


def test_a_duplicate_isrc_names_the_track_that_holds_it() -> None:
    track, holder = unsaved(), uuid.uuid4()
    track_metadata.mark_duplicate(track, "USUS11000356", holder)
    track_metadata.mark_enriched(track, NOW)
    assert track.metadata["duplicate_of"] == {"isrc": "USUS11000356", "track_id": str(holder)}
    assert track.metadata["enriched_at"] == NOW.isoformat()


def test_a_missing_document_reads_as_empty() -> None:
    track = unsaved()
    track.metadata = None
    assert track_metadata.provenance(track) == {}
    assert track_metadata.sources(track) == []
    assert track_metadata.tags(track) == []
    track_metadata.set_tags(track, ["house"])
    assert track.metadata == {"lastfm_tags": ["house"]}


@pytest.mark.django_db
def test_queries_find_tracks_awaiting_review_and_by_source_of_data() -> None:
    waiting = make_track(metadata={"review": {"discogs": {}}, "enrichment_sources": ["deezer"]})
    make_track(metadata={"enrichment_sources": ["spotify"]})
    reviewing = Track.objects.filter(track_metadata.awaiting_review())
    assert list(reviewing) == [waiting]
    assert not Track.objects.filter(track_metadata.awaiting_review("spotify")).exists()
    assert list(Track.objects.filter(track_metadata.with_data_from("deezer"))) == [waiting]
    annotated = Track.objects.annotate(used=track_metadata.sources_used()).get(pk=waiting.pk)
    assert annotated.used == ["deezer"]


def a_note(identifier: str = "USUS11000356") -> track_metadata.CuratorNote:
    return track_metadata.note_entry(identifier, "isrc", ["artist 'a' vs 'b'"], NOW)


def test_a_note_is_kept_by_kind_and_source_and_the_last_one_takes_its_key_along() -> None:
    track = unsaved()
    assert track_metadata.add_note(track, "text_disagrees", "deezer", a_note())
    assert track.metadata["notes"]["text_disagrees"]["deezer"] == {
        "identifier": "USUS11000356",
        "found_by": "isrc",
        "details": ["artist 'a' vs 'b'"],
        "at": NOW.isoformat(),
    }
    track_metadata.clear_notes(track, "deezer")
    assert "notes" not in track.metadata


def test_a_note_of_an_unknown_kind_is_refused_naming_the_kinds() -> None:
    with pytest.raises(ValueError, match=r"'typo'.*isrc_conflict"):
        track_metadata.add_note(unsaved(), "typo", "deezer", a_note())


@pytest.mark.parametrize("decision", ["dismissed", "kept"])
def test_a_settled_note_is_not_raised_again_but_one_about_another_identifier_is(
    decision: Literal["kept", "dismissed"],
) -> None:
    track = unsaved()
    track_metadata.add_note(track, "isrc_conflict", "catalogue", a_note())
    track_metadata.resolve_note(
        track, "isrc_conflict", "catalogue", decision=decision, curator="carla", at=NOW
    )
    assert not track_metadata.add_note(track, "isrc_conflict", "catalogue", a_note())
    assert track_metadata.add_note(track, "isrc_conflict", "catalogue", a_note("GBAAA9900303"))
    (done,) = track_metadata.resolved_notes(track)
    assert (done["identifier"], done["decision"], done["by"]) == (
        "USUS11000356",
        decision,
        "carla",
    )
