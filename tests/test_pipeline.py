"""The waterfall: identify first, match with confidence, fan out, merge, and tell the truth."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from enrichment import pipeline, track_metadata
from enrichment.models import EnrichmentStatus, Track
from enrichment.sources.errors import (
    BreakerOpen,
    CapabilityUnavailable,
    RateLimited,
    TransientSourceError,
    Unconfigured,
)
from tests import fakes as f
from tests.factories import make_track

pytestmark = pytest.mark.django_db
STROBE_ID = "0gxyHStUsqpMadRV0Di1Qt"  # the fake catalogue's Spotify id for Strobe


def strobe(**fields: Any) -> Track:
    return make_track(artist_name="deadmau5", title="Strobe", **fields)


def status_of(track: Track) -> EnrichmentStatus:
    return EnrichmentStatus.objects.get(track=track)


def test_text_search_identifies_then_identifiers_drive_every_other_lookup(
    upstream: f.Fakes,
) -> None:
    track = strobe()
    result = pipeline.enrich(track.pk)
    assert upstream.called() == [
        "spotify.search",  # no identifier: text search, scored
        "musicbrainz.isrc",  # then the ISRC Spotify gave, not another text search
        "deezer.track_by_isrc",
        "spotify.audio_features",
        "discogs.search",
        "lastfm.track_info_by_mbid",  # the MBID MusicBrainz gave
    ]
    assert result.status == "completed", result.errors
    track.refresh_from_db()
    assert track.spotify_id == "0gxyHStUsqpMadRV0Di1Qt"
    assert track.isrc == "USUS11000356"
    assert str(track.musicbrainz_id) == "5b6b2b8e-0d3b-4a5d-9b0e-6a1f3d2c1b00"
    assert (track.deezer_id, track.discogs_id) == (3135556, 1987654)
    assert (track.bpm, track.key, track.camelot_key, track.open_key) == (
        128.01,
        "A minor",
        "8A",
        "1m",
    )
    assert (track.label, track.catalog_number, track.release_country) == (
        "Mau5trap",
        "MAU5CD002",
        "Canada",
    )
    assert track.lastfm_playcount == 912345
    assert track.metadata["lastfm_tags"] == ["progressive house", "electronic"]
    assert track.metadata["enrichment_sources"] == [
        "deezer",
        "discogs",
        "lastfm",
        "musicbrainz",
        "spotify",
        "spotify_features",
    ]
    assert track.metadata["provenance"]["bpm"]["source"] == "spotify_features"
    assert track.title == "Strobe" and track.artist_name == "deadmau5"


def test_an_existing_spotify_id_is_looked_up_directly_without_search(upstream: f.Fakes) -> None:
    track = strobe(spotify_id="0gxyHStUsqpMadRV0Di1Qt")
    pipeline.enrich(track.pk)
    assert upstream.called("spotify")[0] == "spotify.track"
    assert "spotify.search" not in upstream.called()


def test_an_existing_isrc_is_used_by_every_identifying_source(upstream: f.Fakes) -> None:
    track = strobe(isrc="USUS11000356")
    pipeline.enrich(track.pk)
    called = upstream.called()
    assert {"spotify.search_isrc", "musicbrainz.isrc", "deezer.track_by_isrc"} <= set(called)
    assert "spotify.search" not in called and "musicbrainz.search" not in called


def test_reccobeats_serves_features_when_spotify_refuses_them(upstream: f.Fakes) -> None:
    upstream.on("spotify", "audio_features", CapabilityUnavailable("spotify", "403 for new apps"))
    track = strobe()
    result = pipeline.enrich(track.pk)
    track.refresh_from_db()
    assert track.bpm == 127.9
    assert track.metadata["provenance"]["energy"]["source"] == "reccobeats"
    assert result.status == "completed"  # "unavailable" is a settled answer


def test_deezer_bpm_is_the_last_fallback(upstream: f.Fakes) -> None:
    upstream.on("spotify", "audio_features", None)
    upstream.on("reccobeats", "audio_features", {})
    track = strobe()
    pipeline.enrich(track.pk)
    track.refresh_from_db()
    assert track.bpm == 128.0
    assert track.metadata["provenance"]["bpm"]["source"] == "deezer"
    assert track.camelot_key is None  # no key from Deezer: nothing invented


def test_the_original_is_chosen_over_its_remix(upstream: f.Fakes) -> None:
    remix = f.spotify_track("Strobe (Michael Woods Remix)", id="1" * 22, isrc="USUS11000999")
    upstream.on("spotify", "search", [remix, f.spotify_track()])
    track = strobe()
    pipeline.enrich(track.pk)
    track.refresh_from_db()
    assert track.spotify_id == "0gxyHStUsqpMadRV0Di1Qt"


def test_a_remix_asked_for_but_only_the_original_found_goes_to_review(upstream: f.Fakes) -> None:
    upstream.on("spotify", "search", [f.spotify_track()])
    upstream.on("musicbrainz", "search", [f.recording()])
    upstream.on("deezer", "search", [f.deezer_track()])
    upstream.on("lastfm", "track_info", f.lastfm_track())
    track = make_track(artist_name="deadmau5", title="Strobe (Club Edit)")
    result = pipeline.enrich(track.pk)
    track.refresh_from_db()
    assert track.spotify_id is None and track.isrc is None and track.musicbrainz_id is None
    assert result.status in {"partial", "failed"}
    review = track.metadata["review"]["spotify"]
    assert review["accepted"] is None
    assert review["ranked"][0]["components"]["version"] < 0.5
    assert "review" in (status_of(track).error_message or "")


def test_same_title_by_another_artist_is_never_written(upstream: f.Fakes) -> None:
    other = f.spotify_track(artists=("Some Other Band",), id="2" * 22, isrc="GBXXX0000001")
    upstream.on("spotify", "search", [other])
    upstream.on("musicbrainz", "search", [f.recording(artist="Some Other Band")])
    upstream.on("deezer", "search", [f.deezer_track(artist="Some Other Band")])
    upstream.on("discogs", "search", [f.discogs_release(artist="Some Other Band")])
    upstream.on("lastfm", "track_info", f.lastfm_track(artist="Some Other Band"))
    track = strobe()
    pipeline.enrich(track.pk)
    track.refresh_from_db()
    assert track.spotify_id is None
    assert track.discogs_id is None
    assert track.lastfm_playcount is None
    # Someone else's song is not a question for a curator: not found, nothing to review.
    assert "review" not in track.metadata
    outcomes = status_of(track).source_outcomes
    assert outcomes["spotify"]["outcome"] == "not_found"
    assert "Some Other Band" in outcomes["spotify"]["detail"]


def test_a_feat_credit_in_the_title_still_matches(upstream: f.Fakes) -> None:
    upstream.on(
        "spotify",
        "search",
        [f.spotify_track("Titanium", ("David Guetta", "Sia"), isrc="GBXXX1100001")],
    )
    track = make_track(artist_name="David Guetta", title="Titanium (feat. Sia)")
    pipeline.enrich(track.pk)
    track.refresh_from_db()
    assert track.spotify_id == "0gxyHStUsqpMadRV0Di1Qt"


def test_locked_fields_survive_enrichment(upstream: f.Fakes) -> None:
    track = strobe(bpm=127.0, camelot_key="9A", locked_fields=["bpm", "camelot_key"])
    pipeline.enrich(track.pk)
    track.refresh_from_db()
    assert (track.bpm, track.camelot_key) == (127.0, "9A")
    assert track.key == "A minor"  # not locked: derived as usual
    assert track.metadata["kept"]["bpm"] == "locked by a curator"


def test_a_transient_failure_makes_the_track_partial_and_the_rerun_asks_only_that_source(
    upstream: f.Fakes,
) -> None:
    upstream.on("discogs", "search", RateLimited("discogs", "HTTP 429", retry_after=30))
    track = strobe()
    first = pipeline.enrich(track.pk)
    assert first.status == "partial"
    assert first.retry_after == 30
    status = status_of(track)
    assert status.source_outcomes["discogs"]["outcome"] == "rate_limited"
    assert "discogs" in (status.error_message or "")
    upstream.on("discogs", "search", [f.discogs_release()])
    upstream.calls.clear()
    second = pipeline.enrich(track.pk)
    assert upstream.called() == ["discogs.search"]
    assert second.status == "completed"
    track.refresh_from_db()
    assert track.label == "Mau5trap" and track.spotify_id == "0gxyHStUsqpMadRV0Di1Qt"


def test_an_open_breaker_is_transient_never_not_found(upstream: f.Fakes) -> None:
    upstream.on("lastfm", "track_info_by_mbid", BreakerOpen("lastfm", "open", retry_after=60))
    track = strobe()
    result = pipeline.enrich(track.pk)
    assert result.status == "partial"
    assert status_of(track).source_outcomes["lastfm"]["outcome"] == "breaker_open"


def test_nothing_usable_is_failed_and_counted(upstream: f.Fakes) -> None:
    for source, method in [
        ("spotify", "search"),
        ("musicbrainz", "search"),
        ("deezer", "search"),
        ("discogs", "search"),
        ("lastfm", "track_info"),
    ]:
        upstream.on(source, method, TransientSourceError(source, "timed out"))
    track = strobe()
    result = pipeline.enrich(track.pk)
    assert result.status == "failed"
    assert result.transient
    assert status_of(track).retry_count == 1
    pipeline.enrich(track.pk)
    assert status_of(track).retry_count == 2


def test_a_track_no_source_knows_fails_with_a_clear_message(upstream: f.Fakes) -> None:
    for source, method in [
        ("spotify", "search"),
        ("musicbrainz", "search"),
        ("deezer", "search"),
        ("discogs", "search"),
    ]:
        upstream.on(source, method, [])
    upstream.on("lastfm", "track_info", None)
    track = make_track(artist_name="Nobody", title="Nothing")
    result = pipeline.enrich(track.pk)
    assert result.status == "failed"
    assert not result.transient
    assert status_of(track).error_message == "not found in any source"


def test_an_unconfigured_source_makes_the_track_partial(upstream: f.Fakes) -> None:
    upstream.on("lastfm", "track_info_by_mbid", Unconfigured("lastfm", "LASTFM_API_KEY is not set"))
    track = strobe()
    result = pipeline.enrich(track.pk)
    assert result.status == "partial"
    assert "LASTFM_API_KEY" in (status_of(track).error_message or "")


def test_a_source_left_out_of_enrichment_sources_is_not_asked_and_not_missed(
    upstream: f.Fakes, settings: Any
) -> None:
    settings.ENRICHMENT_SOURCES = ["spotify", "musicbrainz", "deezer", "reccobeats", "discogs"]
    track = strobe()
    result = pipeline.enrich(track.pk)
    assert "lastfm.track_info_by_mbid" not in upstream.called()
    assert result.status == "completed", result.errors


def test_a_track_claimed_by_another_worker_is_left_alone(upstream: f.Fakes) -> None:
    track = strobe(status="in_progress")
    EnrichmentStatus.objects.filter(track=track).update(claimed_at=timezone.now())
    result = pipeline.enrich(track.pk)
    assert not result.claimed
    assert upstream.calls == []


def test_a_stale_claim_of_a_dead_worker_is_taken_over(upstream: f.Fakes) -> None:
    track = strobe(status="in_progress")
    EnrichmentStatus.objects.filter(track=track).update(
        claimed_at=timezone.now() - timedelta(hours=1)
    )
    assert pipeline.enrich(track.pk).status == "completed"


def test_a_crash_while_persisting_is_recorded_as_failed_not_left_in_progress(
    upstream: f.Fakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "_apply", broken)
    track = strobe()
    with pytest.raises(RuntimeError):
        pipeline.enrich(track.pk)
    status = status_of(track)
    assert status.status == "failed"
    assert "disk full" in (status.error_message or "")
    assert status.retry_count == 1


def test_a_crash_is_recorded_without_the_credentials_its_text_carries(
    upstream: f.Fakes, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.LASTFM_API_KEY = "configured-key-5566"

    def broken(*args: Any) -> Any:
        raise RuntimeError("GET /?api_key=configured-key-5566 failed")

    monkeypatch.setattr(pipeline, "_apply", broken)
    track = strobe()
    with pytest.raises(RuntimeError):
        pipeline.enrich(track.pk)
    message = status_of(track).error_message or ""
    assert "failed" in message and "configured-key" not in message


def test_force_refresh_asks_every_source_again(upstream: f.Fakes) -> None:
    track = strobe()
    pipeline.enrich(track.pk)
    upstream.calls.clear()
    pipeline.enrich(track.pk)
    assert upstream.calls == []  # everything settled: nothing to ask
    pipeline.enrich(track.pk, force_refresh=True)
    assert len(upstream.calls) == 6


def test_an_isrc_held_by_the_same_recording_marks_this_track_its_duplicate(
    upstream: f.Fakes,
) -> None:
    holder = make_track(artist_name="deadmau5.", title="Strobe", isrc="USUS11000356")
    track = strobe()
    pipeline.enrich(track.pk)
    track.refresh_from_db()
    assert track.isrc is None
    assert track.metadata["duplicate_of"]["track_id"] == str(holder.pk)
    assert "notes" not in track.metadata


def test_an_isrc_held_by_another_title_or_version_is_a_conflict_note_not_a_duplicate(
    upstream: f.Fakes,
) -> None:
    holder = make_track(artist_name="deadmau5", title="Strobe (Club Edit)", isrc="USUS11000356")
    track = strobe()
    pipeline.enrich(track.pk)
    track.refresh_from_db()
    holder.refresh_from_db()
    assert track.isrc is None and holder.isrc == "USUS11000356"  # not spread
    assert "duplicate_of" not in track.metadata
    note = track.metadata["notes"]["isrc_conflict"]["catalogue"]
    assert (note["identifier"], note["holder"]) == ("USUS11000356", str(holder.pk))
    assert "Strobe (Club Edit)" in note["details"][0]
    assert Track.objects.filter(track_metadata.has_note("isrc_conflict")).get() == track


def test_a_spotify_id_held_by_another_track_is_not_written_twice(upstream: f.Fakes) -> None:
    holder = make_track(artist_name="deadmau5", title="Strobe (dupe)", spotify_id=STROBE_ID)
    track = strobe()
    result = pipeline.enrich(track.pk)
    track.refresh_from_db()
    assert result.status != "failed"
    assert track.spotify_id is None
    assert track.metadata["duplicate_of"] == {"track_id": str(holder.pk), "spotify_id": STROBE_ID}


def test_result_reports_sources_fields_and_duration(upstream: f.Fakes) -> None:
    result = pipeline.enrich(strobe().pk)
    assert result.sources_used == [
        "deezer",
        "discogs",
        "lastfm",
        "musicbrainz",
        "spotify",
        "spotify_features",
    ]
    assert {"spotify_id", "bpm", "camelot_key", "label"} <= set(result.metadata_acquired)
    assert result.duration_seconds >= 0
    assert result.errors == {}


def test_candidates_a_curator_rejected_are_not_proposed_again(upstream: f.Fakes) -> None:
    remix = f.spotify_track("Strobe (Club Edit)", id="1" * 22)
    upstream.on("spotify", "search", [f.spotify_track(), remix])
    track = make_track(
        artist_name="deadmau5",
        title="Strobe (Club Edit)",
        metadata={"rejected": {"spotify": ["1" * 22]}},
    )
    pipeline.enrich(track.pk, force_refresh=True)
    track.refresh_from_db()
    assert track.spotify_id is None
    review = track.metadata.get("review", {}).get("spotify", {"ranked": []})
    assert all(c["candidate"]["identifier"] != "1" * 22 for c in review["ranked"])


def test_a_known_deezer_id_is_looked_up_directly(upstream: f.Fakes) -> None:
    upstream.on("deezer", "track", f.deezer_track())
    track = strobe(deezer_id=3135556)
    pipeline.enrich(track.pk)
    assert "deezer.track" in upstream.called()
    assert "deezer.track_by_isrc" not in upstream.called()


def test_text_that_disagrees_with_the_identifier_is_a_filterable_note_on_the_track(
    upstream: f.Fakes,
) -> None:
    upstream.on("deezer", "track_by_isrc", f.deezer_track(artist="デッドマウス"))
    track = strobe(isrc="USUS11000356")
    pipeline.enrich(track.pk)
    track.refresh_from_db()
    assert track.deezer_id == 3135556  # taken: the ISRC found it
    note = track.metadata["notes"]["text_disagrees"]["deezer"]
    assert (note["identifier"], note["found_by"]) == ("USUS11000356", "isrc")
    assert note["details"] == ["artist 'deadmau5' vs 'デッドマウス'"]
    assert list(Track.objects.filter(track_metadata.has_note("text_disagrees"))) == [track]


def test_a_provider_asked_again_replaces_its_notes(upstream: f.Fakes) -> None:
    upstream.on("deezer", "track_by_isrc", f.deezer_track(artist="デッドマウス"))
    track = strobe(isrc="USUS11000356")
    pipeline.enrich(track.pk)
    upstream.on("deezer", "track_by_isrc", f.deezer_track())
    pipeline.enrich(track.pk, force_refresh=True)
    track.refresh_from_db()
    assert "notes" not in track.metadata


def test_a_catalogue_conflict_ends_when_the_holder_gives_the_isrc_up(upstream: f.Fakes) -> None:
    holder = make_track(artist_name="deadmau5", title="Strobe (Club Edit)", isrc="USUS11000356")
    track = strobe()
    pipeline.enrich(track.pk)
    Track.objects.filter(pk=holder.pk).update(isrc=None)
    pipeline.enrich(track.pk, force_refresh=True)
    track.refresh_from_db()
    assert track.isrc == "USUS11000356"
    assert "notes" not in track.metadata


def test_a_provider_that_failed_keeps_its_earlier_notes(upstream: f.Fakes) -> None:
    upstream.on("deezer", "track_by_isrc", f.deezer_track(artist="デッドマウス"))
    track = strobe(isrc="USUS11000356")
    pipeline.enrich(track.pk)
    upstream.on("deezer", "track_by_isrc", TransientSourceError("deezer", "HTTP 502"))
    pipeline.enrich(track.pk, force_refresh=True)
    track.refresh_from_db()
    assert "deezer" in track.metadata["notes"]["text_disagrees"]
