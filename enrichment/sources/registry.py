"""Every upstream source, in waterfall order, and which of them are configured.

Adding a source is one new module plus one line here.
"""

from __future__ import annotations

from enrichment.sources.base import Source
from enrichment.sources.deezer import DeezerSource
from enrichment.sources.discogs import DiscogsSource
from enrichment.sources.lastfm import LastfmSource
from enrichment.sources.musicbrainz import MusicBrainzSource
from enrichment.sources.reccobeats import ReccoBeatsSource
from enrichment.sources.spotify import SpotifySource

# Identifying sources first (they find spotify_id / isrc / musicbrainz_id), then the ones that
# need those identifiers (ReccoBeats needs a Spotify id; Last.fm prefers an MBID).
SOURCES: dict[str, type[Source]] = {
    "spotify": SpotifySource,
    "musicbrainz": MusicBrainzSource,
    "deezer": DeezerSource,
    "discogs": DiscogsSource,
    "lastfm": LastfmSource,
    "reccobeats": ReccoBeatsSource,
}


def configured_sources() -> dict[str, str | None]:
    """Each source's missing-configuration message, or None when it can be used."""
    return {name: source.missing_configuration() for name, source in SOURCES.items()}
