"""ReccoBeats: Spotify-style audio features looked up by Spotify track id.

https://reccobeats.com/docs/apis/get-audio-features
No key. Up to 40 ids per call ("size must be between 1 and 40"). Answers are keyed by
ReccoBeats's own id: the Spotify id comes from `href` (the track's public Spotify page, the
registry's link template for `spotify_id`), and ids it does not know are absent from `content`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

from enrichment.lookups import Attempt, Outcome
from enrichment.sources import registry
from enrichment.sources.base import Source
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
    parsing,
)

FEATURES_TTL = timedelta(days=90)
MAX_IDS = 40
# "https://<host>/track/{}" -> a pattern finding the id after "<host>/track/" (any scheme).
_TRACK_PAGE = registry.identifier_source("spotify_id").link_template or ""
_SPOTIFY_TRACK_HREF = re.compile(
    re.escape(_TRACK_PAGE.split("://", 1)[-1]).replace(re.escape("{}"), "([0-9A-Za-z]+)")
)


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
    # The Spotify id came from a match (or from outside): our confidence is that match's.
    source_of_id = registry.identifier_source("spotify_id").name
    return attempt.accept(provider.name, item, attempt.confidence_of(source_of_id))
