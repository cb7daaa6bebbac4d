"""Discogs database search: releases containing a track, with label, catno, country and year.

https://www.discogs.com/developers#page:database,header:database-search
Search needs a personal token (`Authorization: Discogs token=...`). Each search result already
carries label list, catno, country, year, genres and styles: no second call is needed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from django.conf import settings

from enrichment.genres import canonical_genres
from enrichment.lookups import Attempt, Outcome
from enrichment.matching import Candidate, Query, decide, score_candidate
from enrichment.sources import registry
from enrichment.sources.base import Source
from enrichment.sources.registry import Provider
from enrichment.sources.types import (
    Supplies,
    as_dict,
    dicts,
    get_int,
    get_str,
    opt_int,
    opt_str,
    parsing,
    strings,
)

SEARCH_TTL = timedelta(days=14)
MAX_PER_PAGE = 100
# Discogs numbers namesakes ("Enjoy (8)") and marks name variations with "*".
_ARTIST_SUFFIX = re.compile(r"\s*(\(\d+\)|\*)$")


@dataclass(frozen=True)
class DiscogsRelease(Supplies):
    """One release from a Discogs database search."""

    id: int
    title: str  # "Artist - Release", as Discogs sends it
    artist: str
    release_title: str
    labels: tuple[str, ...]
    catno: str | None
    country: str | None
    year: int | None
    genres: tuple[str, ...]
    styles: tuple[str, ...]
    formats: tuple[str, ...]

    @property
    def label(self) -> str | None:
        """The first (main) label; "Not On Label" is not a label."""
        if not self.labels or self.labels[0].lower().startswith("not on label"):
            return None
        return self.labels[0]

    def supplied(self) -> dict[str, Any]:
        """Discogs id, label, catalogue number, country, year and genres (styles first)."""
        genres = list(canonical_genres(self.styles, self.genres))
        return {
            "genre": genres[0] if genres else None,
            "genres": genres,
            "discogs_id": self.id,
            "label": self.label,
            "catalog_number": self.catno,
            "release_country": self.country,
            "release_date": date(self.year, 1, 1) if self.year else None,
            "release_date_precision": "year" if self.year else None,
        }

    def to_candidate(self) -> Candidate:
        """This release as a candidate (its title is the release's, e.g. a single's)."""
        return Candidate(
            source="discogs",
            identifier=str(self.id),
            artist=self.artist,
            title=self.release_title,
        )


def parse_result(item: Mapping[str, Any]) -> DiscogsRelease:
    """Read one search result."""
    title = get_str(item, "title")
    artist, separator, release_title = title.partition(" - ")
    if not separator:
        artist, release_title = "", title
    catno = opt_str(item, "catno")
    year = opt_int(item, "year")
    return DiscogsRelease(
        id=get_int(item, "id"),
        title=title,
        artist=_clean_artist(artist),
        release_title=release_title.strip(),
        labels=strings(item, "label"),  # a list, or one string in older answers
        catno=None if catno is None or catno.lower() == "none" else catno,
        country=opt_str(item, "country"),
        year=year if year and 1000 <= year <= 9999 else None,
        genres=strings(item, "genre"),
        styles=strings(item, "style"),
        formats=strings(item, "format"),
    )


def _clean_artist(credit: str) -> str:
    names = [_ARTIST_SUFFIX.sub("", name) for name in re.split(r"(\s*[,&/]\s*)", credit)]
    return "".join(names).strip()


class DiscogsSource(Source):
    """Discogs database search (token auth)."""

    name = "discogs"

    @classmethod
    def missing_configuration(cls) -> str | None:
        """Search requires a personal access token."""
        if settings.DISCOGS_TOKEN:
            return None
        return "set DISCOGS_TOKEN (a personal access token from discogs.com/settings/developers)"

    def auth_headers(self) -> dict[str, str]:
        """The token header (never cached or stored)."""
        return {"Authorization": f"Discogs token={settings.DISCOGS_TOKEN}"}

    def search(self, artist: str, title: str, limit: int = 10) -> list[DiscogsRelease]:
        """Releases by an artist containing a track, best first."""
        # https://www.discogs.com/developers#page:database,header:database-search
        params: dict[str, str | int] = {
            "type": "release",
            "artist": artist,
            "track": title,
            "per_page": max(1, min(limit, MAX_PER_PAGE)),
        }
        payload = self.get_json("database/search", params, endpoint="search", ttl=SEARCH_TTL)
        if payload is None:
            return []
        with parsing(self.name, "search"):
            results = dicts(as_dict(payload, "body"), "results", required=True)
            releases = [item for item in results if item.get("type", "release") == "release"]
            return [parse_result(item) for item in releases[:limit]]


def release_step(attempt: Attempt, provider: Provider) -> Outcome:
    """The release by our artist that carries this track (label, catalog number, country).

    Discogs searches releases filtered by track title, so a result's own title is the
    release's ("For Lack Of A Better Name"), not the track's: match on the artist with the
    track title we asked for; among our artist's releases prefer the one from the year we
    already know (Spotify/MusicBrainz), then one named like the track, then the earliest.
    """
    query = attempt.query
    discogs = attempt.source(provider.api, DiscogsSource)
    releases = attempt.not_rejected(provider.name, discogs.search(query.artist, query.title))
    if not releases:
        return Outcome("not_found", "no candidates (or all rejected by a curator)")
    candidates = [replace(r.to_candidate(), title=query.title) for r in releases]
    decision = decide(query, candidates)
    if decision.accepted is None:
        return attempt.undecided(provider.name, decision)
    ours = [
        (position, release)
        for position, (release, candidate) in enumerate(zip(releases, candidates, strict=True))
        if score_candidate(query, candidate).score >= decision.accepted.score - 1e-9
    ]
    known_year = _known_release_year(attempt, provider.name)
    best = min(ours, key=lambda item: _release_rank(query, item[1], item[0], known_year))[1]
    attempt.accept(provider.name, best, decision.accepted.score)
    return Outcome("data", decision.reason)


def _known_release_year(attempt: Attempt, ours: str) -> int | None:
    """The release year another provider found, the most trusted one's first."""
    for name in registry.precedence()["release_date"]:
        found = attempt.found.get(name)
        if name != ours and found and found.values.get("release_date"):
            return int(found.values["release_date"].year)
    return attempt.known_release_year


def _release_rank(
    query: Query, release: DiscogsRelease, position: int, known_year: int | None
) -> tuple[float, ...]:
    year_gap = abs(release.year - known_year) if known_year and release.year else 100
    named_like_track = score_candidate(
        query, replace(release.to_candidate(), artist=query.artist)
    ).components["title"]
    return (year_gap, -named_like_track, release.year or 9999, position)
