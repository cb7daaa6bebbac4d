"""Track search: a pasted identifier or link finds its track exactly; words match by prefix.

Word search is full-text search over artist and title (the `track_search_idx` GIN index, which
must stay the same expression as SEARCH_DOCUMENT): every word must start a word of the track.
"""

from __future__ import annotations

import re
import uuid

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Q, QuerySet

from enrichment.models import ISRC_REGEX, SPOTIFY_ID_REGEX, Track

_LINKS = (
    (re.compile(r"spotify\.com/(?:[\w-]+/)?track/([0-9A-Za-z]{22})"), "spotify_id"),
    (re.compile(r"^spotify:track:([0-9A-Za-z]{22})$"), "spotify_id"),
    (re.compile(r"musicbrainz\.org/recording/([0-9a-fA-F-]{36})"), "musicbrainz_id"),
    (re.compile(r"discogs\.com/(?:[\w-]+/)?release/(\d+)"), "discogs_id"),
    (re.compile(r"deezer\.com/(?:[a-z]{2}/)?track/(\d+)"), "deezer_id"),
    (re.compile(r"musicbrainz\.org/isrc/([A-Za-z0-9]{12})"), "isrc"),
)
_MAX_BIGINT = 2**63 - 1
_WORD = re.compile(r"\w+")
SEARCH_DOCUMENT = SearchVector("artist_name", "title", config="simple")


def identifier_query(term: str) -> Q | None:
    """The exact match for an id or link (track id, MBID, ISRC, Spotify/Discogs/Deezer id)."""
    term = term.strip()
    for pattern, field in _LINKS:
        if found := pattern.search(term):
            value = found.group(1)
            return Q(**{field: value.upper() if field == "isrc" else value})
    compact = term.replace("-", "").upper()
    if re.fullmatch(ISRC_REGEX, compact) and not compact.isdigit():
        return Q(isrc=compact)
    if re.fullmatch(SPOTIFY_ID_REGEX, term):
        return Q(spotify_id=term)
    if term.isdigit() and int(term) <= _MAX_BIGINT:
        return Q(discogs_id=int(term)) | Q(deezer_id=int(term))
    try:
        as_uuid = uuid.UUID(term)
    except ValueError:
        return None
    return Q(pk=as_uuid) | Q(musicbrainz_id=as_uuid)


def search_tracks(queryset: QuerySet[Track], term: str) -> QuerySet[Track] | None:
    """Tracks whose artist/title words start with every word of the term (None: no words).

    "Artist - Title" also requires each part in its own column (checked on the few rows the
    index finds).
    """
    words = _WORD.findall(term.casefold())
    if not words:
        return None
    query = SearchQuery(
        " & ".join(f"{word}:*" for word in words), config="simple", search_type="raw"
    )
    found = queryset.alias(search_document=SEARCH_DOCUMENT).filter(search_document=query)
    artist, separator, title = term.partition(" - ")
    if separator and artist.strip() and title.strip():
        found = found.filter(artist_name__icontains=artist.strip(), title__icontains=title.strip())
    return found
