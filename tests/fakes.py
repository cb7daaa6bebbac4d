"""Fake adapters for pipeline tests: typed results in, call log out (no HTTP at all)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from enrichment.sources import registry
from enrichment.sources.deezer import DeezerTrack
from enrichment.sources.discogs import DiscogsRelease
from enrichment.sources.lastfm import LastfmTrack
from enrichment.sources.musicbrainz import ArtistCredit, Recording
from enrichment.sources.spotify import SpotifyTrack
from enrichment.sources.types import AudioFeatures

LISTS = {"search", "search_isrc", "isrc"}


class Fakes:
    """What each fake source method answers, and the log of calls made."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], Any] = {}
        self.calls: list[tuple[str, str, tuple[Any, ...]]] = []

    def on(self, source: str, method: str, answer: Any) -> None:
        """Answer with a value, or raise it if it is an exception."""
        self.answers[(source, method)] = answer

    def called(self, source: str | None = None) -> list[str]:
        """ "source.method" of every call (of one source if given), in order."""
        return [f"{s}.{m}" for s, m, _ in self.calls if source in (None, s)]

    def classes(self) -> dict[str, type]:
        """Fake source classes, one per registry API."""
        return {api.name: self._class(api.name, api.adapter()) for api in registry.APIS}

    def _class(self, name: str, adapter: type) -> type:
        fakes = self

        class FakeSource:
            def __init__(self, *, force_refresh: bool = False) -> None:
                self.force_refresh = force_refresh
                self.network_calls = 0
                self.cache_hits = 0

            def __getattr__(self, attribute: str) -> Callable[..., Any]:
                # A capability alias (`lookup = track`) is the real method it names.
                method = getattr(getattr(adapter, attribute, None), "__name__", attribute)

                def call(*args: Any, **kwargs: Any) -> Any:
                    fakes.calls.append((name, method, args))
                    self.network_calls += 1
                    answer = fakes.answers.get((name, method), _default(name, method))
                    if isinstance(answer, BaseException):
                        raise answer
                    return answer

                return call

        return FakeSource


def _default(source: str, method: str) -> Any:
    if method in LISTS:
        return []
    if source == "reccobeats":
        return {}
    return None


def spotify_track(
    title: str = "Strobe", artists: tuple[str, ...] = ("deadmau5",), **changes: Any
) -> SpotifyTrack:
    values: dict[str, Any] = {
        "id": "0gxyHStUsqpMadRV0Di1Qt",
        "name": title,
        "artists": artists,
        "artist_ids": tuple(f"artist{i}" for i, _ in enumerate(artists)),
        "duration_ms": 633000,
        "isrc": "USUS11000356",
        "popularity": 61,
        "album": "For Lack",
        "release_date": dt.date(2009, 9, 22),
        "release_date_precision": "day",
        "explicit": False,
    }
    return SpotifyTrack(**(values | changes))


def recording(title: str = "Strobe", artist: str = "deadmau5", **changes: Any) -> Recording:
    values: dict[str, Any] = {
        "id": uuid.UUID("5b6b2b8e-0d3b-4a5d-9b0e-6a1f3d2c1b00"),
        "title": title,
        "length_ms": 633000,
        "score": 100,
        "credits": (ArtistCredit(artist, "4a00ec9d-c635-463a-8cd4-eb61725f0c60", ""),),
        "isrcs": ("USUS11000356",),
        "first_release_date": dt.date(2009, 9, 22),
        "first_release_precision": "day",
        "releases": (),
    }
    return Recording(**(values | changes))


def deezer_track(title: str = "Strobe", artist: str = "deadmau5", **changes: Any) -> DeezerTrack:
    values: dict[str, Any] = {
        "id": 3135556,
        "title": title,
        "title_version": None,
        "artist": artist,
        "contributors": (artist,),
        "isrc": "USUS11000356",
        "duration_ms": 633000,
        "bpm": 128.0,
        "gain": -9.1,
        "release_date": dt.date(2009, 9, 22),
    }
    return DeezerTrack(**(values | changes))


def features(**changes: Any) -> AudioFeatures:
    values: dict[str, Any] = {
        "spotify_id": "0gxyHStUsqpMadRV0Di1Qt",
        "tempo": 128.01,
        "key": 9,
        "mode": 0,
        "energy": 0.81,
        "danceability": 0.62,
        "valence": 0.2,
        "acousticness": 0.01,
        "instrumentalness": 0.9,
        "liveness": 0.1,
        "speechiness": 0.04,
        "loudness": -8.2,
        "time_signature": 4,
        "duration_ms": 633000,
    }
    return AudioFeatures(**(values | changes))


def discogs_release(artist: str = "deadmau5", **changes: Any) -> DiscogsRelease:
    values: dict[str, Any] = {
        "id": 1987654,
        "title": f"{artist} - For Lack Of A Better Name",
        "artist": artist,
        "release_title": "For Lack Of A Better Name",
        "labels": ("Mau5trap",),
        "catno": "MAU5CD002",
        "country": "Canada",
        "year": 2009,
        "genres": ("Electronic",),
        "styles": ("Progressive House",),
        "formats": ("CD",),
    }
    return DiscogsRelease(**(values | changes))


def lastfm_track(name: str = "Strobe", artist: str = "deadmau5", **changes: Any) -> LastfmTrack:
    values: dict[str, Any] = {
        "name": name,
        "artist": artist,
        "mbid": None,
        "url": None,
        "listeners": 51234,
        "playcount": 912345,
        "tags": ("progressive house", "electronic"),
        "duration_ms": 633000,
    }
    return LastfmTrack(**(values | changes))


def full_catalogue(fakes: Fakes) -> None:
    """Every source knows "deadmau5 - Strobe" and answers consistently."""
    fakes.on("spotify", "search", [spotify_track()])
    fakes.on("spotify", "search_isrc", [spotify_track()])
    fakes.on("spotify", "track", spotify_track())
    fakes.on("spotify", "audio_features", features())
    fakes.on("musicbrainz", "isrc", [recording()])
    fakes.on("musicbrainz", "search", [recording()])
    fakes.on("deezer", "track_by_isrc", deezer_track())
    fakes.on("deezer", "search", [deezer_track()])
    fakes.on("reccobeats", "audio_features", {"0gxyHStUsqpMadRV0Di1Qt": features(tempo=127.9)})
    fakes.on("discogs", "search", [discogs_release()])
    fakes.on("lastfm", "track_info_by_mbid", lastfm_track())
    fakes.on("lastfm", "track_info", lastfm_track())
