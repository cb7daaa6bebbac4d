"""ReccoBeats: Spotify-style audio features looked up by Spotify track id.

https://reccobeats.com/docs/apis/get-audio-features
No key. Up to 40 ids per call ("size must be between 1 and 40"). Answers are keyed by
ReccoBeats's own id: the Spotify id comes from `href` (the track's public Spotify page, the
registry's link template for `spotify_id`), and ids it does not know are absent from `content`.
Each row carries the analysed recording's `isrc`: when it is not the track's, the features
belong to another recording and are not taken (a curator note says so). Errors come as
`{"status": 4004, "errors": [{"path": ..., "message": ...}]}` (validation) or
`{"status": ..., "error": "...", "path": ...}`, with the HTTP status.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from enrichment.lookups import Attempt, Note, Outcome
from enrichment.sources import registry
from enrichment.sources.base import Source
from enrichment.sources.errors import PermanentSourceError, SourceError
from enrichment.sources.protocols import AnalysesTracks
from enrichment.sources.registry import Provider
from enrichment.sources.types import (
    AudioFeatures,
    PayloadError,
    as_dict,
    audio_features_from,
    dicts,
    get_str,
    id_batch,
    opt_str,
    parsing,
)

FEATURES_TTL = timedelta(days=90)
MAX_IDS = 40
# "https://<host>/track/{}" -> a pattern finding the id after "<host>/track/" (any scheme).
_TRACK_PAGE = registry.identifier_source("spotify_id").link_template or ""
_SPOTIFY_TRACK_HREF = re.compile(
    re.escape(_TRACK_PAGE.split("://", 1)[-1]).replace(re.escape("{}"), "([0-9A-Za-z]+)")
)


def error_text(body: Any) -> str | None:
    """ "4004 getAudioFeatures.ids: size must be between 1 and 40" from an error body, if one."""
    if not isinstance(body, dict) or not ("errors" in body or "error" in body):
        return None
    reasons = [
        ": ".join(filter(None, (opt_str(item, "path"), opt_str(item, "message"))))
        for item in body.get("errors") or []
        if isinstance(item, dict)
    ]
    if isinstance(body.get("error"), str):
        reasons.append(body["error"])
    return " ".join(filter(None, [str(body.get("status") or ""), "; ".join(reasons)]))


def spotify_id_from_href(href: str) -> str:
    """The Spotify track id at the end of a Spotify track page URL."""
    match = _SPOTIFY_TRACK_HREF.search(href)
    if match is None:
        raise PayloadError(f"href {href!r} is not a Spotify track URL")
    return match.group(1)


class ReccoBeatsSource(Source):
    """ReccoBeats audio features (the fallback when Spotify refuses them)."""

    name = "reccobeats"

    def audio_features(self, spotify_ids: Iterable[str]) -> dict[str, AudioFeatures]:
        """Features for up to 40 Spotify ids, keyed by Spotify id; unknown ids are absent."""
        # https://reccobeats.com/docs/apis/get-audio-features
        ids = id_batch(spotify_ids, MAX_IDS)
        if not ids:
            return {}
        params = {"ids": ",".join(ids)}
        payload = self.get_json(
            "audio-features", params, endpoint="audio-features", ttl=FEATURES_TTL
        )
        if payload is None:
            return {}
        with parsing(self.name, "audio-features"):
            items = dicts(as_dict(payload, "body"), "content", required=True)
            found = (
                audio_features_from(i, spotify_id_from_href(get_str(i, "href"))) for i in items
            )
            return {
                features.spotify_id: features for features in found if features.spotify_id in ids
            }

    def check_body(self, endpoint: str, payload: Any) -> None:
        """An error body sent with HTTP 200 is the error it describes, not an empty answer."""
        if isinstance(payload, dict) and "content" not in payload:
            reason = error_text(payload)
            if reason:
                raise PermanentSourceError(self.name, f"{endpoint}: ReccoBeats error {reason}")

    def client_error(self, status: int, endpoint: str, body: str) -> SourceError | None:
        """A 4xx names what was wrong with our request (`errors[].path` and `message`)."""
        try:
            reason = error_text(json.loads(body))
        except ValueError:
            reason = None
        if reason is None:
            return super().client_error(status, endpoint, body)
        return PermanentSourceError(self.name, f"{endpoint}: HTTP {status}: {reason}")


def audio_features_step(attempt: Attempt, provider: Provider) -> Outcome:
    """Features by Spotify id, only when an audio analysis ranked above gave none."""
    better = [name for name in registry.outranked_by(provider.name) if name in attempt.found]
    if better:  # named by its API: "Spotify supplied audio features"
        api = registry.provider(registry.provider(better[0]).api)
        return Outcome("skipped", f"{api.label} supplied audio features")
    if not attempt.spotify_id:
        return Outcome("skipped", "no Spotify id")
    analyser: AnalysesTracks = attempt.source(provider.api, ReccoBeatsSource)
    item = analyser.audio_features([attempt.spotify_id]).get(attempt.spotify_id)
    if item is None:
        return Outcome("not_found")
    if item.isrc and attempt.isrc and item.isrc != attempt.isrc:
        detail = (
            f"the row for Spotify id {attempt.spotify_id} is ISRC {item.isrc}, "
            f"the track's is {attempt.isrc}: features not taken"
        )
        attempt.notes.append(Note("isrc_mismatch", provider.name, item.isrc, "isrc", (detail,)))
        return Outcome("not_found", detail)
    # The Spotify id came from a match (or from outside): our confidence is that match's.
    source_of_id = registry.identifier_source("spotify_id").name
    return attempt.accept(provider.name, item, attempt.confidence_of(source_of_id))
