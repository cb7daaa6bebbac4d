"""The registry lists every source in waterfall order, says which are configured, and ranks them."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.conf import settings

from enrichment.models import UNIT_FEATURES
from enrichment.sources import registry
from enrichment.sources.registry import SOURCES, configured_sources

pytestmark = pytest.mark.django_db  # the shared fixtures clear database-backed caches


def test_every_source_is_registered_under_its_settings_key() -> None:
    assert list(SOURCES) == [
        "spotify", "musicbrainz", "deezer", "discogs", "lastfm", "reccobeats", "tidal",
    ]  # fmt: skip
    assert all(source.name == name for name, source in SOURCES.items())
    assert set(SOURCES) == set(settings.SOURCES)


def test_configured_sources_names_what_is_missing(settings: Any) -> None:
    settings.SPOTIFY_CLIENT_ID = settings.SPOTIFY_CLIENT_SECRET = ""
    settings.MUSICBRAINZ_USER_AGENT = "SongNodes/1.0 ( ops@example.org )"
    settings.DISCOGS_TOKEN = ""
    settings.LASTFM_API_KEY = "a-key"
    problems = configured_sources()
    assert "SPOTIFY_CLIENT_ID" in (problems["spotify"] or "")
    assert "DISCOGS_TOKEN" in (problems["discogs"] or "")
    assert problems["musicbrainz"] is None and problems["lastfm"] is None
    assert problems["deezer"] is None and problems["reccobeats"] is None


def test_an_opt_in_source_is_in_the_default_sources_only_with_all_its_credentials() -> None:
    others = ["spotify", "musicbrainz", "deezer", "discogs", "lastfm", "reccobeats"]
    assert registry.default_sources({}) == others
    assert registry.default_sources({"TIDAL_CLIENT_ID": "an-id"}) == others
    both = {"TIDAL_CLIENT_ID": "an-id", "TIDAL_CLIENT_SECRET": "a-secret"}
    assert registry.default_sources(both) == [*others, "tidal"]


def test_tidal_without_credentials_names_both_variables(settings: Any) -> None:
    settings.TIDAL_CLIENT_ID, settings.TIDAL_CLIENT_SECRET = "an-id", ""
    assert "TIDAL_CLIENT_SECRET" in (configured_sources()["tidal"] or "")
    settings.TIDAL_CLIENT_SECRET = "a-secret"
    assert configured_sources()["tidal"] is None


def test_every_entry_loads_an_adapter_named_after_its_api() -> None:
    for entry in registry.PROVIDERS:
        module, _, name = entry.adapter_path.rpartition(".")
        adapter = getattr(importlib.import_module(module), name)
        assert adapter is entry.adapter()
        assert adapter.name == entry.api, entry.name


def test_every_entry_names_the_step_an_attempt_runs_for_it() -> None:
    for entry in registry.PROVIDERS:
        assert callable(entry.step()), entry.name
        assert entry.step_path.startswith(entry.adapter_path.rpartition(".")[0]), entry.name


def test_precedence_ranks_are_unique_per_field() -> None:
    ranks: dict[str, list[int]] = {}
    for entry in registry.PROVIDERS:
        for field, rank in entry.supplies.items():
            ranks.setdefault(field, []).append(rank)
    duplicated = {field: sorted(r) for field, r in ranks.items() if len(set(r)) != len(r)}
    assert duplicated == {}


def test_precedence_is_the_table_merging_has_always_followed() -> None:
    audio = ("spotify_features", "reccobeats")
    # TIDAL's tempo and key (where it has analysed a track) rank just below ReccoBeats; Deezer's
    # coarser bpm stays the last resort.
    assert registry.precedence() == {
        "spotify_id": ("spotify",),
        "isrc": ("spotify", "musicbrainz", "deezer"),
        "musicbrainz_id": ("musicbrainz",),
        "discogs_id": ("discogs",),
        "deezer_id": ("deezer",),
        "tidal_id": ("tidal",),
        "bpm": (*audio, "tidal", "deezer"),
        "key_pitch_class": (*audio, "tidal"),
        **{feature: audio for feature in UNIT_FEATURES},
        "loudness": audio,
        "time_signature": audio,
        "duration_ms": ("spotify", "musicbrainz", "deezer", *audio),
        "label": ("discogs", "musicbrainz", "spotify"),
        "catalog_number": ("discogs", "musicbrainz"),
        "release_date": ("musicbrainz", "spotify", "deezer", "discogs"),
        "release_country": ("musicbrainz", "discogs"),
        "spotify_popularity": ("spotify",),
        "lastfm_playcount": ("lastfm",),
        "lastfm_listeners": ("lastfm",),
        # Discogs styles and genres beat crowd tags for electronic music.
        "genre": ("discogs", "lastfm"),
        "genres": ("discogs", "lastfm"),
    }


def test_a_capability_is_asked_whenever_its_api_is_enabled() -> None:
    assert registry.providers_for(["deezer", "spotify"]) == [
        "deezer",
        "spotify",
        "spotify_features",
    ]
    assert registry.providers_for(["deezer", "lastfm"]) == ["deezer", "lastfm"]


def test_a_fallback_is_outranked_on_every_field_by_the_provider_it_stands_in_for() -> None:
    assert registry.outranked_by("reccobeats") == ("spotify_features",)
    assert registry.outranked_by("deezer") == ()
    assert registry.outranked_by("spotify") == ()
    assert registry.outranked_by("tidal") == ()  # its id is its own: always asked


def test_an_identifier_column_names_the_provider_it_belongs_to() -> None:
    assert registry.identifier_source("spotify_id").name == "spotify"
    assert registry.identifier_source("deezer_id").name == "deezer"
    with pytest.raises(KeyError):
        registry.identifier_source("isrc")


def test_sources_lists_apis_only_and_loads_adapters_on_demand() -> None:
    assert len(SOURCES) == len(registry.APIS)
    assert "spotify_features" not in SOURCES
    with pytest.raises(KeyError):
        SOURCES["spotify_features"]
