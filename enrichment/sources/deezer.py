"""Deezer public API: track by ISRC or id, and track search.

https://developers.deezer.com/api
No key. Errors come as HTTP 200 with `{"error": {"type", "message", "code"}}`
(https://developers.deezer.com/api/errors): 800 = no data, 4 = quota, 700 = service busy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from enrichment.lookups import identify_by_isrc
from enrichment.matching import Candidate
from enrichment.sources.base import NotFound, Source
from enrichment.sources.errors import (
    ConfigurationError,
    PermanentSourceError,
    RateLimited,
    TransientSourceError,
)
from enrichment.sources.types import (
    Supplies,
    as_dict,
    dicts,
    get_int,
    get_str,
    normalise_isrc,
    opt_dict,
    opt_float,
    opt_int,
    opt_str,
    parsing,
    partial_date,
    unique,
)

LOOKUP_TTL = timedelta(days=90)
SEARCH_TTL = timedelta(days=14)
MAX_SEARCH_LIMIT = 100
QUOTA_PAUSE = 5.0  # seconds: Deezer counts its quota over 5-second windows
NO_DATA = 800
QUOTA = 4
BUSY = 700
TOKEN_ERRORS = {200, 300}  # permission, invalid token


@dataclass(frozen=True)
class DeezerTrack(Supplies):
    """A Deezer track (search items carry no isrc, bpm, gain or release date)."""

    id: int
    title: str
    title_version: str | None
    artist: str
    contributors: tuple[str, ...]
    isrc: str | None
    duration_ms: int | None
    bpm: float | None  # Deezer's 0 means unknown
    gain: float | None
    release_date: date | None

    def supplied(self) -> dict[str, Any]:
        """Deezer id, ISRC, duration, bpm and release date."""
        return {
            "deezer_id": self.id,
            "isrc": self.isrc,
            "duration_ms": self.duration_ms,
            "bpm": self.bpm,
            "release_date": self.release_date,
            "release_date_precision": "day" if self.release_date else None,
        }

    @property
    def version_title(self) -> str:
        """The title with its `title_version` ("(Remastered)"), which `title` usually holds."""
        version = self.title_version
        if not version or version.casefold() in self.title.casefold():
            return self.title
        return f"{self.title} {version if version.startswith('(') else f'({version})'}"

    def to_candidate(self) -> Candidate:
        """This track as a search candidate for matching (the version read from the title)."""
        return Candidate(
            source="deezer",
            identifier=str(self.id),
            artist=self.artist,
            title=self.version_title,
            artists=self.contributors or (self.artist,),
            duration_ms=self.duration_ms,
            isrc=self.isrc,
        )


def parse_track(item: Mapping[str, Any]) -> DeezerTrack:
    """Read one track object (https://developers.deezer.com/api/track)."""
    seconds = opt_int(item, "duration")
    bpm = opt_float(item, "bpm")
    released = partial_date(opt_str(item, "release_date"))  # "0000-00-00" when unknown
    contributors = (get_str(person, "name") for person in dicts(item, "contributors"))
    return DeezerTrack(
        id=get_int(item, "id"),
        title=get_str(item, "title"),
        title_version=opt_str(item, "title_version"),
        artist=get_str(as_dict(item.get("artist"), "'artist'"), "name"),
        contributors=unique(list(contributors)),
        isrc=normalise_isrc(opt_str(item, "isrc")),
        duration_ms=seconds * 1000 if seconds else None,
        bpm=bpm or None,
        gain=opt_float(item, "gain"),
        release_date=released[0] if released and released[1] == "day" else None,
    )


def _phrase(text: str) -> str:
    # Deezer's advanced search takes "quoted" values and has no escape for a quote.
    return '"' + text.replace('"', " ").strip() + '"'


class DeezerSource(Source):
    """Deezer tracks by ISRC, id or search."""

    name = "deezer"

    def track_by_isrc(self, isrc: str) -> DeezerTrack | None:
        """The track with an ISRC."""
        # https://developers.deezer.com/api/track (GET /track/isrc:{ISRC})
        return self._track(f"track/isrc:{normalise_isrc(isrc)}")

    def track(self, deezer_id: int | str) -> DeezerTrack | None:
        """One track by Deezer id."""
        # https://developers.deezer.com/api/track
        return self._track(f"track/{deezer_id}")

    # The identification capabilities (protocols.IdentifiesByIsrc) under their protocol names.
    lookup = track
    lookup_isrc = track_by_isrc

    def search(self, artist: str, title: str, limit: int = 10) -> list[DeezerTrack]:
        """Tracks matching `artist:"A" track:"T"`, best first."""
        # https://developers.deezer.com/api/search
        params: dict[str, str | int] = {
            "q": f"artist:{_phrase(artist)} track:{_phrase(title)}",
            "limit": max(1, min(limit, MAX_SEARCH_LIMIT)),
        }
        payload = self.get_json("search", params, endpoint="search", ttl=SEARCH_TTL)
        if payload is None:
            return []
        with parsing(self.name, "search"):
            items = dicts(as_dict(payload, "body"), "data", required=True)
            return [parse_track(item) for item in items]

    def _track(self, path: str) -> DeezerTrack | None:
        payload = self.get_json(path, None, endpoint="track", ttl=LOOKUP_TTL)
        if payload is None:
            return None
        with parsing(self.name, "track"):
            return parse_track(as_dict(payload, "track"))

    def check_body(self, endpoint: str, payload: Any) -> None:
        """Raise for `{"error": {...}}` bodies sent with HTTP 200."""
        if not isinstance(payload, dict) or "error" not in payload:
            return
        error = opt_dict(payload, "error")
        code, message = error.get("code"), f"{endpoint}: Deezer error {error}"
        if code == NO_DATA:
            raise NotFound
        if code == QUOTA:
            raise RateLimited(self.name, message, retry_after=QUOTA_PAUSE)
        if code == BUSY:
            raise TransientSourceError(self.name, message)
        if code in TOKEN_ERRORS:
            raise ConfigurationError(self.name, message)
        raise PermanentSourceError(self.name, message)


identify_track = identify_by_isrc(DeezerSource)
