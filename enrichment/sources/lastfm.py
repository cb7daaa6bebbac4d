"""Last.fm track.getInfo: listeners, playcount and top tags.

https://www.last.fm/api/show/track.getInfo
Errors come inside the JSON body, with HTTP 200 or a 4xx (https://www.last.fm/api/errors):
6 = not found, 29 = rate limit, 10/26 = bad or suspended key, 11/16 = temporarily down.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings

from enrichment.genres import canonical_genres
from enrichment.lookups import Attempt, Outcome
from enrichment.matching import Candidate, score_candidate
from enrichment.sources.base import NotFound, Source
from enrichment.sources.errors import (
    ConfigurationError,
    PermanentSourceError,
    RateLimited,
    SourceError,
    TransientSourceError,
)
from enrichment.sources.registry import Provider
from enrichment.sources.types import (
    Supplies,
    as_dict,
    as_uuid,
    get_int,
    get_str,
    opt_int,
    opt_str,
    parsing,
    unique,
)

INFO_TTL = timedelta(days=7)  # tags and play counts move
RATE_LIMIT_PAUSE = 30.0  # seconds; Last.fm does not say how long error 29 lasts
NOT_FOUND = 6
RATE_LIMIT = 29
KEY_ERRORS = {4, 9, 10, 13, 26}  # auth failed, session, invalid key, signature, suspended key
TEMPORARY = {8, 11, 16}  # operation failed, service offline, temporarily unavailable
_ERROR_CODE = re.compile(r'"error"\s*:\s*(\d+)')
# An answer to an artist/title query must look like our track to be believed.
MIN_SCORE = 0.75


@dataclass(frozen=True)
class LastfmTrack(Supplies):
    """A Last.fm track with its popularity and top tags."""

    name: str
    artist: str
    mbid: str | None
    url: str | None
    listeners: int
    playcount: int
    tags: tuple[str, ...]  # lower case, most used first
    duration_ms: int | None

    def supplied(self) -> dict[str, Any]:
        """Play count, listeners, tags, the genres among the tags, and duration.

        Last.fm's mbid is left out: it is often an old track id, not a recording MBID.
        """
        genres = list(canonical_genres(self.tags))
        return {
            "lastfm_playcount": self.playcount,
            "lastfm_listeners": self.listeners,
            "lastfm_tags": list(self.tags),
            "genre": genres[0] if genres else None,
            "genres": genres,
            "duration_ms": self.duration_ms,
        }

    def to_candidate(self) -> Candidate:
        """This track as a candidate (autocorrect may have answered another song)."""
        return Candidate(
            source="lastfm",
            identifier=self.url or self.mbid or f"{self.artist} - {self.name}",
            artist=self.artist,
            title=self.name,
            duration_ms=self.duration_ms,
        )


def parse_track(payload: Any) -> LastfmTrack:
    """Read a track.getInfo body."""
    track = as_dict(as_dict(payload, "body").get("track"), "'track'")
    artist = track.get("artist")
    mbid = as_uuid(opt_str(track, "mbid"))
    return LastfmTrack(
        name=get_str(track, "name"),
        artist=artist if isinstance(artist, str) else get_str(as_dict(artist, "artist"), "name"),
        mbid=str(mbid) if mbid else None,
        url=opt_str(track, "url"),
        listeners=get_int(track, "listeners"),
        playcount=get_int(track, "playcount"),
        tags=_tags(track.get("toptags")),
        duration_ms=opt_int(track, "duration") or None,  # "0" means unknown
    )


def _tags(toptags: Any) -> tuple[str, ...]:
    # `toptags.tag` is a list, a single object when there is one tag, or missing/"".
    if not isinstance(toptags, Mapping):
        return ()
    tags = toptags.get("tag")
    items = tags if isinstance(tags, list) else [tags] if isinstance(tags, Mapping) else []
    names = (opt_str(as_dict(tag, "tag"), "name") for tag in items)
    return unique([name.lower() for name in names if name])


def error_for(source: str, endpoint: str, code: int, message: str) -> SourceError | None:
    """The error for a Last.fm error code; None for error 6 (not found)."""
    text = f"{endpoint}: Last.fm error {code}: {message}"
    if code == NOT_FOUND:
        return None
    if code == RATE_LIMIT:
        return RateLimited(source, text, retry_after=RATE_LIMIT_PAUSE)
    if code in KEY_ERRORS:
        return ConfigurationError(source, f"{text} (check LASTFM_API_KEY)")
    if code in TEMPORARY:
        return TransientSourceError(source, text)
    return PermanentSourceError(source, text)


class LastfmSource(Source):
    """Last.fm track info (api_key as a query parameter, never cached)."""

    name = "lastfm"
    secret_params = ("api_key",)

    @classmethod
    def missing_configuration(cls) -> str | None:
        """Every call needs an API key."""
        if settings.LASTFM_API_KEY:
            return None
        return "set LASTFM_API_KEY (from https://www.last.fm/api/account/create)"

    def auth_params(self) -> dict[str, str]:
        """The API key (named in secret_params, so never in a cache key or row)."""
        return {"api_key": settings.LASTFM_API_KEY}

    def track_info(self, artist: str, title: str) -> LastfmTrack | None:
        """A track by artist and title, Last.fm's autocorrection on."""
        # https://www.last.fm/api/show/track.getInfo
        return self._track_info({"artist": artist, "track": title, "autocorrect": 1})

    def track_info_by_mbid(self, mbid: str) -> LastfmTrack | None:
        """A track by MusicBrainz id."""
        # https://www.last.fm/api/show/track.getInfo
        return self._track_info({"mbid": mbid})

    def _track_info(self, params: dict[str, str | int]) -> LastfmTrack | None:
        query = {"method": "track.getInfo", **params, "format": "json"}
        # "/" keeps the documented trailing slash of .../2.0/
        payload = self.get_json("/", query, endpoint="track.getInfo", ttl=INFO_TTL)
        if payload is None:
            return None
        with parsing(self.name, "track.getInfo"):
            return parse_track(payload)

    def check_body(self, endpoint: str, payload: Any) -> None:
        """Raise for `{"error": N, "message": ...}` bodies sent with HTTP 200."""
        if not isinstance(payload, dict) or "error" not in payload:
            return
        code = payload["error"]
        if isinstance(code, bool) or not isinstance(code, int):
            raise TypeError(f"error code should be an integer, got {code!r}")
        error = error_for(self.name, endpoint, code, str(payload.get("message", "")))
        if error is None:
            raise NotFound
        raise error

    def client_error(self, status: int, endpoint: str, body: str) -> SourceError | None:
        """A 4xx carrying a Last.fm error body: mapped by its code; error 6 is not found."""
        match = _ERROR_CODE.search(body)
        if match is None:
            return super().client_error(status, endpoint, body)
        return error_for(self.name, endpoint, int(match.group(1)), f"HTTP {status} ({body[:200]})")


def track_step(attempt: Attempt, provider: Provider) -> Outcome:
    """Tags, playcount and listeners: by MusicBrainz id, else by (autocorrected) name."""
    lastfm = attempt.source(provider.api, LastfmSource)
    if attempt.musicbrainz_id:
        track = lastfm.track_info_by_mbid(attempt.musicbrainz_id)
        if track is not None:
            return attempt.accept(provider.name, track, 1.0)
    track = lastfm.track_info(attempt.query.artist, attempt.query.title)
    if track is None:
        return Outcome("not_found")
    # Autocorrect can land on another song: believe it only if it looks like ours.
    scored = score_candidate(attempt.query, track.to_candidate())
    if scored.score < MIN_SCORE:
        return Outcome("not_found", f"Last.fm answered a different track ({scored.score:.2f})")
    return attempt.accept(provider.name, track, scored.score)
