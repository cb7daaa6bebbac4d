"""An attempt asks the providers the registry lists, in its order, each by the step it names."""

from __future__ import annotations

import dataclasses
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
