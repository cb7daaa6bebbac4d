"""Spotify Web API: track lookup, ISRC and text search, audio features.

https://developer.spotify.com/documentation/web-api
Client-credentials token, kept per process until shortly before it expires. Apps created after
2024-11-27 get 403 on audio features: that marks the capability unavailable for a day (shared
through Django's database cache) so the pipeline falls back to ReccoBeats without asking again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.cache import cache as django_cache

from enrichment.lookups import Attempt, Outcome, identify
from enrichment.matching import Candidate
from enrichment.sources.client_credentials import ClientCredentialsSource
from enrichment.sources.errors import (
    CapabilityUnavailable,
    SourceError,
)
from enrichment.sources.protocols import AnalysesTrack
from enrichment.sources.registry import Provider
from enrichment.sources.types import (
    AudioFeatures,
    Supplies,
    as_dict,
    audio_features_from,
    dicts,
    get_str,
    id_batch,
    normalise_isrc,
    opt_dict,
    opt_int,
    opt_str,
    parsing,
    partial_date,
)

LOOKUP_TTL = timedelta(days=7)  # a track carries popularity, which moves
SEARCH_TTL = timedelta(days=14)
FEATURES_TTL = timedelta(days=90)
MAX_SEARCH_LIMIT = 10  # development-mode apps get at most 10 search items (2026)
MAX_FEATURE_IDS = 100
FEATURES_UNAVAILABLE_KEY = "sources:spotify:audio-features-unavailable"
FEATURES_UNAVAILABLE_FOR = timedelta(hours=24)
# A process reads the shared flag at most this often (seconds), not once per track. Another
# process's discovery reaches it within this time; meanwhile its own calls get the same 403,
# and with it the same outcome (and the flag set here at once).
FEATURES_FLAG_RECHECK = 30.0


@dataclass(frozen=True)
class SpotifyTrack(Supplies):
    """A Spotify track object."""

    id: str
    name: str
    artists: tuple[str, ...]
    artist_ids: tuple[str, ...]
    duration_ms: int | None
    isrc: str | None
    popularity: int | None  # absent for development-mode apps since 2026
    album: str | None
    release_date: date | None
    release_date_precision: str | None
    explicit: bool

    def supplied(self) -> dict[str, Any]:
        """Identifiers, duration, release date and popularity."""
        return {
            "spotify_id": self.id,
            "isrc": self.isrc,
            "duration_ms": self.duration_ms,
            "release_date": self.release_date,
            "release_date_precision": self.release_date_precision,
            "spotify_popularity": self.popularity,
        }

    def to_candidate(self) -> Candidate:
        """This track as a search candidate for matching."""
        return Candidate(
            source="spotify",
            identifier=self.id,
            artist=", ".join(self.artists),
            title=self.name,
            artists=self.artists,
            duration_ms=self.duration_ms,
            isrc=self.isrc,
        )


def parse_track(item: Mapping[str, Any]) -> SpotifyTrack:
    """Read one track object."""
    # https://developer.spotify.com/documentation/web-api/reference/get-track
    artists = dicts(item, "artists", required=True)
    album = opt_dict(item, "album")
    released = partial_date(
        opt_str(album, "release_date"), opt_str(album, "release_date_precision")
    )
    return SpotifyTrack(
        id=get_str(item, "id"),
        name=get_str(item, "name"),
        artists=tuple(get_str(artist, "name") for artist in artists),
        artist_ids=tuple(artist["id"] for artist in artists if isinstance(artist.get("id"), str)),
        duration_ms=opt_int(item, "duration_ms"),
        isrc=normalise_isrc(opt_str(opt_dict(item, "external_ids"), "isrc")),
        popularity=opt_int(item, "popularity"),
        album=opt_str(album, "name"),
        release_date=released[0] if released else None,
        release_date_precision=released[1] if released else None,
        explicit=item.get("explicit") is True,
    )


def _quoted(text: str) -> str:
    # Spotify's field filters take a quoted phrase; a quote inside it cannot be escaped.
    return '"' + text.replace('"', " ").strip() + '"'


class SpotifySource(ClientCredentialsSource):
    """Spotify Web API with a client-credentials token."""

    name = "spotify"
    settings_prefix = "SPOTIFY"
    app_description = "a Spotify app's credentials"
    # https://developer.spotify.com/documentation/web-api/tutorials/client-credentials-flow

    # --- public lookups --------------------------------------------------------------------
    def track(self, spotify_id: str) -> SpotifyTrack | None:
        """One track by id."""
        # https://developer.spotify.com/documentation/web-api/reference/get-track
        payload = self.authorised_get(f"tracks/{spotify_id}", {}, endpoint="tracks", ttl=LOOKUP_TTL)
        if payload is None:
            return None
        with parsing(self.name, "tracks"):
            return parse_track(as_dict(payload, "track"))

    def search_isrc(self, isrc: str) -> list[SpotifyTrack]:
        """Tracks carrying an ISRC."""
        # https://developer.spotify.com/documentation/web-api/reference/search
        return self._search(f"isrc:{isrc}", MAX_SEARCH_LIMIT)

    def search(self, artist: str, title: str, limit: int = 10) -> list[SpotifyTrack]:
        """Tracks matching `track:"T" artist:"A"`."""
        # https://developer.spotify.com/documentation/web-api/reference/search
        return self._search(f"track:{_quoted(title)} artist:{_quoted(artist)}", limit)

    # The identification capabilities (protocols.Identifies) under their protocol names.
    lookup = track
    search_by_isrc = search_isrc

    def audio_features(self, spotify_id: str) -> AudioFeatures | None:
        """Features of one track."""
        # https://developer.spotify.com/documentation/web-api/reference/get-audio-features
        payload = self._features(f"audio-features/{spotify_id}", {})
        if payload is None:
            return None
        with parsing(self.name, "audio-features"):
            return audio_features_from(as_dict(payload, "audio features"), spotify_id)

    def audio_features_batch(self, spotify_ids: Iterable[str]) -> dict[str, AudioFeatures]:
        """Features of up to 100 tracks by id."""
        # https://developer.spotify.com/documentation/web-api/reference/get-several-audio-features
        ids = id_batch(spotify_ids, MAX_FEATURE_IDS)
        if not ids:
            return {}
        payload = self._features("audio-features", {"ids": ",".join(ids)})
        if payload is None:
            return {}
        with parsing(self.name, "audio-features"):
            items = dicts(as_dict(payload, "body"), "audio_features", required=True)
            found = (audio_features_from(item, get_str(item, "id")) for item in items)
            return {features.spotify_id: features for features in found}

    # --- the calls ---------------------------------------------------------------------------
    def _search(self, query: str, limit: int) -> list[SpotifyTrack]:
        params: dict[str, str | int] = {
            "q": query,
            "type": "track",
            "limit": max(1, min(limit, MAX_SEARCH_LIMIT)),
        }
        payload = self.authorised_get("search", params, endpoint="search", ttl=SEARCH_TTL)
        if payload is None:
            return []
        with parsing(self.name, "search"):
            page = as_dict(as_dict(payload, "body").get("tracks"), "'tracks'")
            return [parse_track(item) for item in dicts(page, "items", required=True)]

    def _features(self, path: str, params: dict[str, str | int]) -> Any | None:
        if _features_flag.unavailable():
            raise CapabilityUnavailable(self.name, "audio features are not available to this app")
        try:
            return self.authorised_get(path, params, endpoint="audio-features", ttl=FEATURES_TTL)
        except CapabilityUnavailable:
            _features_flag.mark_unavailable()
            raise

    # --- error refinements -------------------------------------------------------------------
    def auth_error(self, status: int, endpoint: str, body: str) -> SourceError:
        """A 403 on audio features is a missing capability (token refusals: configuration)."""
        if status == 403 and endpoint == "audio-features":
            return CapabilityUnavailable(
                self.name, f"audio-features: HTTP 403: not available to this app ({body})"
            )
        return super().auth_error(status, endpoint, body)


identify_track = identify(SpotifySource)


def audio_features_step(attempt: Attempt, provider: Provider) -> Outcome:
    """Spotify's audio features (403 for newer apps: marked unavailable, ReccoBeats serves)."""
    if not attempt.spotify_id:
        return Outcome("skipped", "no Spotify id")
    analyser: AnalysesTrack = attempt.source(provider.api, SpotifySource)
    features = analyser.audio_features(attempt.spotify_id)
    if features is None:
        return Outcome("not_found")
    return attempt.accept(provider.name, features, attempt.confidence_of(provider.api))


class _FeaturesFlag:
    """The shared "audio features unavailable to this app" flag (in the default cache, every
    process's), read at most every FEATURES_FLAG_RECHECK seconds by this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = False
        self._read_at = float("-inf")

    def unavailable(self) -> bool:
        with self._lock:
            if time.monotonic() - self._read_at < FEATURES_FLAG_RECHECK:
                return self._value
        value = bool(django_cache.get(FEATURES_UNAVAILABLE_KEY))
        with self._lock:
            self._value, self._read_at = value, time.monotonic()
        return value

    def mark_unavailable(self) -> None:
        django_cache.set(FEATURES_UNAVAILABLE_KEY, True, FEATURES_UNAVAILABLE_FOR.total_seconds())
        with self._lock:
            self._value, self._read_at = True, time.monotonic()

    def forget(self) -> None:
        """Read the shared flag afresh next time (tests clear the cache between tests)."""
        with self._lock:
            self._value, self._read_at = False, float("-inf")


_features_flag = _FeaturesFlag()
forget_features_flag = _features_flag.forget
