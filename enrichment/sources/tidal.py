"""TIDAL Open API v2: a track's TIDAL id, BPM and key by ISRC.

https://developer.tidal.com/apiref (OpenAPI: tidal-music/tidal-sdk-web packages/api/bin/
tidal-api-oas.json). Client-credentials token from https://auth.tidal.com/v1/oauth2/token
(HTTP Basic client id:secret), kept per process until shortly before it expires. Answers are
JSON:API documents: `{"data": [{"id", "type": "tracks", "attributes": {...}}], "included"}`,
errors `{"errors": [{"status": "404", "code", "detail"}]}` (status a string).

The spec lists `bpm`, `key` (C, CSharp, D, Eb, E, F, FSharp, G, Ab, A, Bb, B, UNKNOWN) and
`keyScale` (MAJOR, MINOR, modal scales, UNKNOWN) on tracks, but no recorded answer carries them:
every one is optional, and a key name or scale not in the tables below gives no key at all.
TIDAL documents no rate numbers and no Retry-After; a 429 pauses as the seam decides.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings

from enrichment.camelot import MAJOR, MINOR
from enrichment.lookups import Attempt, Outcome
from enrichment.sources.base import Source
from enrichment.sources.errors import (
    ConfigurationError,
    PermanentSourceError,
    SourceError,
    Unauthorized,
)
from enrichment.sources.registry import Provider
from enrichment.sources.types import (
    Supplies,
    as_dict,
    dicts,
    get_int,
    get_str,
    normalise_isrc,
    opt_float,
    opt_str,
    parsing,
)

LOOKUP_TTL = timedelta(days=30)
TOKEN_MARGIN_SECONDS = 60.0  # stop using a token this long before TIDAL expires it
# Catalogue availability differs by country; one fixed country keeps answers (and cache keys)
# the same on every machine. The captures of real answers all asked for US.
COUNTRY_CODE = "US"
JSON_API = "application/vnd.api+json"
# The spec's key names -> pitch class (0 = C .. 11 = B); "UNKNOWN" and anything else: no key.
PITCH_CLASSES = {
    "C": 0, "CSharp": 1, "D": 2, "Eb": 3, "E": 4, "F": 5,
    "FSharp": 6, "G": 7, "Ab": 8, "A": 9, "Bb": 10, "B": 11,
}  # fmt: skip
# Scales with a Camelot key. Aeolian is the natural minor; the other modes (Dorian, blues,
# pentatonic, ...) have no major/minor reading that would not be a guess.
MODES = {"MAJOR": MAJOR, "MINOR": MINOR, "AEOLIAN": MINOR}


@dataclass(frozen=True)
class TidalTrack(Supplies):
    """A TIDAL track resource: its id and, when TIDAL has analysed it, tempo and key."""

    id: str
    title: str
    isrc: str | None
    bpm: float | None
    key_pitch_class: int | None  # None when the key name is missing or not in PITCH_CLASSES
    key_mode: int | None  # 1 major, 0 minor; None for other scales

    @property
    def analysed(self) -> bool:
        """Does this resource carry a tempo or a usable key?"""
        return self.bpm is not None or self.key_pitch_class is not None

    def supplied(self) -> dict[str, Any]:
        """TIDAL id, BPM, and pitch class with mode (only together)."""
        has_key = self.key_pitch_class is not None and self.key_mode is not None
        return {
            "tidal_id": self.id,
            "bpm": self.bpm,
            "key_pitch_class": self.key_pitch_class if has_key else None,
            "key_mode": self.key_mode if has_key else None,
        }


def parse_track(item: Mapping[str, Any]) -> TidalTrack:
    """Read one JSON:API resource of type "tracks"."""
    kind = get_str(item, "type")
    if kind != "tracks":
        raise ValueError(f"'type' should be 'tracks', got {kind!r}")
    attributes = as_dict(item.get("attributes"), "'attributes'")
    bpm = opt_float(attributes, "bpm")
    return TidalTrack(
        id=get_str(item, "id"),
        title=get_str(attributes, "title"),
        isrc=normalise_isrc(opt_str(attributes, "isrc")),
        bpm=bpm or None,  # 0 would mean "not measured", never a tempo
        key_pitch_class=PITCH_CLASSES.get(opt_str(attributes, "key") or ""),
        key_mode=MODES.get(opt_str(attributes, "keyScale") or ""),
    )


def best_track(items: list[dict[str, Any]], isrc: str) -> TidalTrack | None:
    """The track carrying the ISRC asked for (an analysed one first), or None."""
    tracks = [parse_track(item) for item in items]
    carrying = [track for track in tracks if track.isrc == isrc]
    chosen = [track for track in carrying if track.analysed] or carrying
    return chosen[0] if chosen else None


class TidalSource(Source):
    """TIDAL Open API v2 with a client-credentials token."""

    name = "tidal"
    # (token URL, client id) -> (token, monotonic expiry): one token per app per process.
    _tokens: ClassVar[dict[tuple[str, str], tuple[str, float]]] = {}
    _token_lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def missing_configuration(cls) -> str | None:
        """Both client id and secret are needed for a token."""
        if settings.TIDAL_CLIENT_ID and settings.TIDAL_CLIENT_SECRET:
            return None
        return "set TIDAL_CLIENT_ID and TIDAL_CLIENT_SECRET (a TIDAL developer app's credentials)"

    @classmethod
    def forget_tokens(cls) -> None:
        """Drop every cached token (tests, or after credentials change)."""
        with cls._token_lock:
            cls._tokens.clear()

    def track_by_isrc(self, isrc: str) -> TidalTrack | None:
        """The track with an ISRC (several resources may carry it: one is chosen)."""
        # https://developer.tidal.com/apiref (GET /tracks?filter[isrc]=...)
        wanted = normalise_isrc(isrc) or ""
        params = {"filter[isrc]": wanted, "countryCode": COUNTRY_CODE}
        payload = self._get("tracks", params)
        if payload is None:
            return None
        with parsing(self.name, "tracks"):
            return best_track(dicts(as_dict(payload, "body"), "data", required=True), wanted)

    def _get(self, path: str, params: Mapping[str, str | int]) -> Any | None:
        """One API call; on 401 the token is renewed and the call made once more."""
        headers = {"Accept": JSON_API}
        try:
            return self.get_json(path, params, endpoint=path, ttl=LOOKUP_TTL, headers=headers)
        except Unauthorized:
            self._drop_token()
            return self.get_json(path, params, endpoint=path, ttl=LOOKUP_TTL, headers=headers)

    # --- the token ---------------------------------------------------------------------------
    def auth_headers(self) -> dict[str, str]:
        """The bearer token (never cached with a response)."""
        return {"Authorization": f"Bearer {self._access_token()}"}

    def _app(self) -> tuple[str, str]:
        return settings.TIDAL_AUTH_URL, settings.TIDAL_CLIENT_ID

    def _access_token(self) -> str:
        with self._token_lock:  # one token request per process, not one per thread
            cached = self._tokens.get(self._app())
            if cached is not None and time.monotonic() < cached[1]:
                return cached[0]
            token, lifetime = self._request_token()
            expires_at = time.monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, 0.0)
            self._tokens[self._app()] = (token, expires_at)
            return token

    def _drop_token(self) -> None:
        with self._token_lock:
            self._tokens.pop(self._app(), None)

    def _request_token(self) -> tuple[str, float]:
        """A new token (client-credentials grant, HTTP Basic)."""
        # https://developer.tidal.com/documentation/api-sdk/api-sdk-authorization
        payload = self.post_form(
            settings.TIDAL_AUTH_URL,
            {"grant_type": "client_credentials"},
            endpoint="token",
            basic_auth=(settings.TIDAL_CLIENT_ID, settings.TIDAL_CLIENT_SECRET),
        )
        if payload is None:
            raise ConfigurationError(self.name, "token: HTTP 404: check TIDAL_AUTH_URL")
        with parsing(self.name, "token"):
            body = as_dict(payload, "token")
            return get_str(body, "access_token"), float(get_int(body, "expires_in"))

    # --- error refinements -------------------------------------------------------------------
    def auth_error(self, status: int, endpoint: str, body: str) -> SourceError:
        """Token refusals name the credentials; other 401/403s are the seam's."""
        if endpoint == "token":
            return ConfigurationError(
                self.name, f"token: HTTP {status}: TIDAL_CLIENT_ID/SECRET rejected ({body[:200]})"
            )
        return super().auth_error(status, endpoint, body)

    def client_error(self, status: int, endpoint: str, body: str) -> SourceError | None:
        """A 400 from the token endpoint (invalid_client) means the credentials are wrong."""
        if endpoint == "token":
            return ConfigurationError(
                self.name, f"token: HTTP {status}: TIDAL_CLIENT_ID/SECRET rejected ({body[:200]})"
            )
        return super().client_error(status, endpoint, body)

    def check_body(self, endpoint: str, payload: Any) -> None:
        """A JSON:API errors document sent with a 2xx is an error, never an empty answer."""
        if isinstance(payload, dict) and "errors" in payload and "data" not in payload:
            raise PermanentSourceError(self.name, f"{endpoint}: errors {payload['errors']!r}")


def isrc_step(attempt: Attempt, provider: Provider) -> Outcome:
    """TIDAL id, BPM and key by the track's ISRC (learnt by then, or imported with it)."""
    if not attempt.isrc:
        return Outcome("skipped", "no ISRC")
    source = attempt.source(provider.api, TidalSource)
    return attempt.exact(provider.name, source.track_by_isrc(attempt.isrc))
