"""The registry lists every source in waterfall order and says which are configured."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from enrichment.sources.registry import SOURCES, configured_sources

pytestmark = pytest.mark.django_db  # the shared fixtures clear database-backed caches


def test_every_source_is_registered_under_its_settings_key() -> None:
    assert list(SOURCES) == ["spotify", "musicbrainz", "deezer", "discogs", "lastfm", "reccobeats"]
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
