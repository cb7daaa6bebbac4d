"""Track search: a pasted identifier or link finds its track exactly; words match by prefix.

Word search is full-text search over artist and title (the `track_search_idx` GIN index, which
must stay the same expression as SEARCH_DOCUMENT): every word must start a word of the track.
"""

from __future__ import annotations

import re
import uuid
from functools import reduce
from operator import or_

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q, QuerySet

from enrichment.models import ISRC_REGEX, Track
from enrichment.sources.registry import PROVIDERS

_MAX_BIGINT = 2**63 - 1
_WORD = re.compile(r"\w+")
SEARCH_DOCUMENT = SearchVector("artist_name", "title", config="simple")
# The identifier columns of the providers (a bare id is looked for in those of its type).
ID_FIELDS = tuple(p.id_field for p in PROVIDERS if p.id_field)


def value_pattern(field: str) -> str:
    """What a value of one identifier column looks like inside a link."""
    column = Track._meta.get_field(field)
    if isinstance(column, models.UUIDField):
        return "[0-9a-fA-F-]{36}"
    if isinstance(column, models.IntegerField):
        return r"\d+"
    for validator in getattr(column, "validators", ()):  # a column stating its pattern
        if isinstance(validator, RegexValidator):
            return re.compile(validator.regex).pattern.removeprefix("^").removesuffix("$")
    length = getattr(column, "max_length", None)
    return f"[0-9A-Za-z]{{{length}}}" if length else "[0-9A-Za-z]+"


def link_patterns(
    field: str, template: str, uri_scheme: str | None = None
) -> list[re.Pattern[str]]:
    """Patterns finding a field's value in a pasted page link (and the provider's app URI).

    A page link may carry a locale segment before the path (".../intl-de/track/...",
    ".../fr/track/...") and any subdomain; an app URI is "<scheme>:<kind>:<id>", the kind being
    the link's last path segment (how Spotify's apps copy a track).
    """
    value = value_pattern(field)
    host, _, path = template.split("{}", 1)[0].split("://", 1)[-1].partition("/")
    domain = ".".join(host.split(".")[-2:])
    patterns = [re.compile(rf"{re.escape(domain)}/(?:[\w-]+/)?{re.escape(path)}({value})")]
    if uri_scheme:
        kind = path.strip("/").rsplit("/", 1)[-1]
        patterns.append(re.compile(rf"^{re.escape(uri_scheme)}:{re.escape(kind)}:({value})$"))
    return patterns


_LINKS = tuple(
    (pattern, field)
    for field, template, scheme in (
        *(
            (p.id_field, p.link_template, p.name)
            for p in PROVIDERS
            if p.id_field and p.link_template
        ),
        *((name, page[1], None) for p in PROVIDERS for name, page in p.other_links.items()),
    )
    for pattern in link_patterns(field, template, scheme)
)


def bare_id_query(term: str) -> Q | None:
    """The match of a bare value in every provider identifier column of its type (or the pk)."""
    found: list[Q] = []
    as_uuid = _uuid(term)
    for field in ID_FIELDS:
        column = Track._meta.get_field(field)
        if isinstance(column, models.UUIDField):
            if as_uuid is not None:
                found.append(Q(**{field: as_uuid}))
        elif isinstance(column, models.IntegerField):
            if term.isdigit() and int(term) <= _MAX_BIGINT:
                found.append(Q(**{field: int(term)}))
        elif re.fullmatch(value_pattern(field), term):
            found.append(Q(**{field: term}))
    if as_uuid is not None:
        found.insert(0, Q(pk=as_uuid))
    return reduce(or_, found) if found else None


def _uuid(term: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(term)
    except ValueError:
        return None


def identifier_query(term: str) -> Q | None:
    """The exact match for an id or link (track id, ISRC, any provider's id or page link)."""
    term = term.strip()
    for pattern, field in _LINKS:
        if found := pattern.search(term):
            value = found.group(1)
            return Q(**{field: value.upper() if field == "isrc" else value})
    compact = term.replace("-", "").upper()
    if re.fullmatch(ISRC_REGEX, compact) and not compact.isdigit():
        return Q(isrc=compact)
    return bare_id_query(term)


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
