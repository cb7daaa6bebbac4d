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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from enrichment.camelot import MAJOR, MINOR
from enrichment.lookups import Attempt, Outcome
from enrichment.sources.client_credentials import ClientCredentialsSource
from enrichment.sources.errors import (
    PermanentSourceError,
)
from enrichment.sources.registry import Provider
from enrichment.sources.types import (
    Supplies,
    as_dict,
    dicts,
    get_str,
    normalise_isrc,
    opt_float,
    opt_str,
    parsing,
)

LOOKUP_TTL = timedelta(days=30)
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


class TidalSource(ClientCredentialsSource):
    """TIDAL Open API v2 with a client-credentials token."""

    name = "tidal"
    settings_prefix = "TIDAL"
    app_description = "a TIDAL developer app's credentials"
    # https://developer.tidal.com/documentation/api-sdk/api-sdk-authorization

    def track_by_isrc(self, isrc: str) -> TidalTrack | None:
        """The track with an ISRC (several resources may carry it: one is chosen)."""
        # https://developer.tidal.com/apiref (GET /tracks?filter[isrc]=...)
        wanted = normalise_isrc(isrc) or ""
        params = {"filter[isrc]": wanted, "countryCode": COUNTRY_CODE}
        payload = self.authorised_get(
            "tracks", params, endpoint="tracks", ttl=LOOKUP_TTL, headers={"Accept": JSON_API}
        )
        if payload is None:
            return None
        with parsing(self.name, "tracks"):
            return best_track(dicts(as_dict(payload, "body"), "data", required=True), wanted)

    # --- error refinements -------------------------------------------------------------------
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
