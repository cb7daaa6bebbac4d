"""An attempt asks the providers the registry lists, in its order, each by the step it names."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest

from enrichment.lookups import Attempt, Outcome, run_all
from enrichment.matching import Query
from enrichment.sources import registry
from enrichment.sources.registry import Provider
from tests import fakes as f


def attempt(enabled: list[str] | None = None, **changes: Any) -> Attempt:
    apis = enabled if enabled is not None else [api.name for api in registry.APIS]
    values: dict[str, Any] = {
        "query": Query("deadmau5", "Strobe"),
        "spotify_id": None,
        "isrc": None,
        "musicbrainz_id": None,
        "enabled": registry.providers_for(apis),
    }
    return Attempt(**(values | changes))


@dataclasses.dataclass(frozen=True)
class Plays:
    """A result of the made-up provider below."""

    playcount: int

    def fields(self) -> dict[str, Any]:
        return {"lastfm_playcount": self.playcount}


def made_up_step(attempt: Attempt, provider: Provider) -> Outcome:
    """The step of a provider that exists only in a test's registry entry."""
    return attempt.accept(provider.name, Plays(7), 1.0)


def test_every_enabled_provider_is_asked_once_in_registry_order(upstream: f.Fakes) -> None:
    working = attempt()
    run_all(working)
    assert list(working.outcomes) == [entry.name for entry in registry.PROVIDERS]
    assert working.outcomes["reccobeats"].outcome == "skipped"  # Spotify supplied features
    assert {name for name, o in working.outcomes.items() if o.outcome == "data"} == {
        "spotify",
        "musicbrainz",
        "deezer",
        "spotify_features",
        "discogs",
        "lastfm",
    }


def test_a_capability_shares_its_apis_adapter_and_is_asked_only_with_it(
    upstream: f.Fakes,
) -> None:
    working = attempt()
    run_all(working)
    assert "spotify_features" not in working.sources  # one Spotify adapter, one call count
    assert working.sources["spotify"].network_calls == 2
    without_spotify = attempt(["deezer"])
    run_all(without_spotify)
    assert list(without_spotify.outcomes) == ["deezer"]


def test_a_provider_settled_earlier_is_not_asked_again(upstream: f.Fakes) -> None:
    working = attempt(skip={"deezer", "spotify_features"})
    run_all(working)
    assert "deezer" not in working.outcomes and "spotify_features" not in working.outcomes
    assert upstream.called("deezer") == []
    assert "spotify.audio_features" not in upstream.called()


def test_identifiers_learnt_from_one_provider_drive_the_next(upstream: f.Fakes) -> None:
    working = attempt(["spotify", "musicbrainz", "lastfm"])
    run_all(working)
    assert upstream.called() == [
        "spotify.search",
        "musicbrainz.isrc",
        "spotify.audio_features",
        "lastfm.track_info_by_mbid",
    ]
    assert working.isrc == "USUS11000356" and working.musicbrainz_id is not None
    assert working.tags == ["progressive house", "electronic"]


def test_a_new_provider_needs_only_a_registry_entry_and_its_step(
    upstream: f.Fakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    made_up = Provider(
        name="madeup",
        label="Made up",
        adapter_path="tests.fakes.Fakes",
        step_path="tests.test_lookups.made_up_step",
        api_url="https://example.org",
        rate_limit=1.0,
        supplies={"lastfm_playcount": 1},
        identifies=False,
    )
    monkeypatch.setattr(registry, "PROVIDERS", (*registry.PROVIDERS, made_up))
    working = attempt(["madeup"])
    run_all(working)
    assert working.outcomes["madeup"].outcome == "data"
    assert working.found["madeup"].values == {"lastfm_playcount": 7}
    assert upstream.calls == []


# Identifiers are authoritative: what the track's own id or ISRC finds is that track.
ISRC = "USUS11000356"


def test_an_isrc_search_accepts_the_recording_carrying_it_though_the_artist_is_in_another_script(
    upstream: f.Fakes,
) -> None:
    upstream.on("spotify", "search_isrc", [f.spotify_track(artists=("デッドマウス",))])
    working = attempt(["spotify"], isrc=ISRC)
    run_all(working)
    assert working.outcomes["spotify"].outcome == "data"
    assert working.found["spotify"].confidence == 1.0
    (note,) = working.notes
    assert (note.kind, note.provider, note.identifier, note.found_by) == (
        "text_disagrees",
        "spotify",
        ISRC,
        "isrc",
    )
    assert note.details == ("artist 'deadmau5' vs 'デッドマウス'",)


def test_an_isrc_search_accepts_a_title_that_names_a_remixer_the_typed_title_omits(
    upstream: f.Fakes,
) -> None:
    remix = f.recording(title="Strobe (Michael Woods Remix)")
    upstream.on("musicbrainz", "isrc", [remix])
    working = attempt(["musicbrainz"], isrc=ISRC)
    run_all(working)
    assert working.outcomes["musicbrainz"].outcome == "data"
    assert working.musicbrainz_id == str(remix.id)
    assert working.notes[0].details == ("version plain vs michael woods remix",)


def test_a_musicbrainz_isrc_answer_without_artist_credit_still_gives_the_mbid(
    upstream: f.Fakes,
) -> None:
    upstream.on("musicbrainz", "isrc", [f.recording(credits=(), score=None)])
    working = attempt(["musicbrainz"], isrc=ISRC)
    run_all(working)
    assert working.outcomes["musicbrainz"].outcome == "data"
    assert working.musicbrainz_id == "5b6b2b8e-0d3b-4a5d-9b0e-6a1f3d2c1b00"
    assert working.notes == []  # an artist not credited is unknown, not a disagreement


def test_several_releases_of_one_recording_under_one_isrc_are_no_conflict(
    upstream: f.Fakes,
) -> None:
    album = f.spotify_track(id="0gxyHStUsqpMadRV0Di1Qt")
    single = f.spotify_track(id="1gxyHStUsqpMadRV0Di1Qt", title="Strobe - Remastered 2019")
    upstream.on("spotify", "search_isrc", [album, single])
    working = attempt(["spotify"], isrc=ISRC)
    run_all(working)
    assert working.outcomes["spotify"].outcome == "data"
    assert working.spotify_id == "0gxyHStUsqpMadRV0Di1Qt"  # the better-scored release
    assert working.notes == []


def test_different_recordings_under_one_isrc_are_a_conflict_the_text_decides(
    upstream: f.Fakes,
) -> None:
    other_id = uuid.UUID("6c6b2b8e-0d3b-4a5d-9b0e-6a1f3d2c1b00")
    radio = f.recording(id=other_id, title="Strobe (Radio Edit)", length_ms=212000)
    upstream.on("musicbrainz", "isrc", [radio, f.recording()])
    working = attempt(["musicbrainz"], isrc=ISRC)
    run_all(working)
    (note,) = working.notes
    assert (note.kind, note.identifier) == ("isrc_conflict", ISRC)
    assert note.details == ("deadmau5 - Strobe", "deadmau5 - Strobe (Radio Edit)")
    assert working.musicbrainz_id == "5b6b2b8e-0d3b-4a5d-9b0e-6a1f3d2c1b00"  # the plain one


def test_an_isrc_search_hit_stating_another_isrc_is_not_taken(upstream: f.Fakes) -> None:
    upstream.on("spotify", "search_isrc", [f.spotify_track(isrc="GBAAA9900303")])
    working = attempt(["spotify"], isrc=ISRC)
    run_all(working)
    assert working.outcomes["spotify"].outcome == "not_found"
    assert "spotify" not in working.found


def test_a_lookup_by_the_tracks_own_id_is_accepted_and_notes_a_different_title(
    upstream: f.Fakes,
) -> None:
    upstream.on("deezer", "track", f.deezer_track(title="Strobe (Extended Mix)"))
    working = attempt(["deezer"], deezer_id="3135556")
    run_all(working)
    assert working.outcomes["deezer"].outcome == "data"
    (note,) = working.notes
    assert (note.provider, note.identifier, note.found_by) == ("deezer", "3135556", "deezer_id")
    assert note.details == ("version plain vs extended",)


def test_a_recording_found_by_identifier_that_agrees_with_the_text_leaves_no_note(
    upstream: f.Fakes,
) -> None:
    working = attempt(isrc=ISRC)
    run_all(working)
    assert working.notes == []


def test_reccobeats_features_of_a_row_with_another_isrc_are_not_taken_and_noted(
    upstream: f.Fakes,
) -> None:
    other = f.features(tempo=174.0, isrc="GBAAA9900303")
    upstream.on("reccobeats", "audio_features", {"0gxyHStUsqpMadRV0Di1Qt": other})
    working = attempt(["reccobeats"], spotify_id="0gxyHStUsqpMadRV0Di1Qt", isrc=ISRC)
    run_all(working)
    outcome = working.outcomes["reccobeats"]
    assert outcome.outcome == "not_found" and "features not taken" in outcome.detail
    assert "reccobeats" not in working.found
    (note,) = working.notes
    assert (note.kind, note.provider, note.identifier) == (
        "isrc_mismatch",
        "reccobeats",
        "GBAAA9900303",
    )


def test_reccobeats_features_of_a_row_with_the_tracks_isrc_are_taken(upstream: f.Fakes) -> None:
    same = f.features(tempo=127.9, isrc=ISRC)
    upstream.on("reccobeats", "audio_features", {"0gxyHStUsqpMadRV0Di1Qt": same})
    working = attempt(["reccobeats"], spotify_id="0gxyHStUsqpMadRV0Di1Qt", isrc=ISRC)
    run_all(working)
    assert working.found["reccobeats"].values["bpm"] == 127.9
    assert working.notes == []
