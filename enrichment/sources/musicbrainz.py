"""MusicBrainz web service: ISRC lookup, recording search and recording lookup.

https://musicbrainz.org/doc/MusicBrainz_API
Always `fmt=json`, and a User-Agent with contact details (MusicBrainz blocks anonymous agents).
A recording lookup cannot include labels (`labels` is only a valid `inc` on releases: asking
for it on a recording is a 400), so label and catalogue number come from a release's
`label-info` only where a payload carries it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from django.conf import settings

from enrichment.lookups import identify
from enrichment.matching import Candidate
from enrichment.sources import batching
from enrichment.sources import cache as response_cache
from enrichment.sources.base import NOT_FOUND_TTL, Source
from enrichment.sources.types import (
    PayloadError,
    Supplies,
    as_dict,
    as_uuid,
    dicts,
    get_str,
    normalise_isrc,
    opt_dict,
    opt_int,
    opt_str,
    parsing,
    partial_date,
    strings,
)
from enrichment.titles import parse_version

LOOKUP_TTL = timedelta(days=90)
SEARCH_TTL = timedelta(days=14)
MAX_SEARCH_ISRCS = 100  # one search answers at most `limit` (<= 100) recordings
ISRC_PARAMS = {"inc": "artists releases", "fmt": "json"}
_NOT_FOUND = {
    "error": "Not Found",
    "help": "For usage, please see: https://musicbrainz.org/development/mmd",
}
_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+|https?://\S+|www\.\S+")
_NO_LABEL = {"[no label]"}  # MusicBrainz's placeholders, not real values
_NO_CATALOG = {"[none]", "none"}


@dataclass(frozen=True)
class ArtistCredit:
    """One name in an artist credit, with the text joining it to the next."""

    name: str
    artist_id: str | None
    joinphrase: str


@dataclass(frozen=True)
class Release:
    """A release a recording appears on."""

    id: str
    title: str
    date: date | None
    date_precision: str | None
    country: str | None
    labels: tuple[str, ...]
    catalog_numbers: tuple[str, ...]


@dataclass(frozen=True)
class Recording(Supplies):
    """A MusicBrainz recording."""

    id: uuid.UUID
    title: str
    length_ms: int | None
    score: int | None  # 0..100, search results only
    credits: tuple[ArtistCredit, ...]
    isrcs: tuple[str, ...]
    first_release_date: date | None
    first_release_precision: str | None
    releases: tuple[Release, ...]
    disambiguation: str | None = None  # "live", "radio edit", "Armand Van Helden remix"

    @property
    def version_title(self) -> str:
        """The title with the disambiguation's version words, so matching reads the version.

        A disambiguation that names no version ("stereo", "no disambiguation") stays out.
        """
        note = self.disambiguation
        if not note or not parse_version([note]).kinds:
            return self.title
        return f"{self.title} ({note})"

    @property
    def artists(self) -> tuple[str, ...]:
        """Credited artist names."""
        return tuple(credit.name for credit in self.credits)

    @property
    def artist_ids(self) -> tuple[str, ...]:
        """Artist MBIDs, from `artist-credit[i].artist.id`."""
        return tuple(credit.artist_id for credit in self.credits if credit.artist_id)

    @property
    def artist_credit(self) -> str:
        """The credit as displayed: names joined by their joinphrases."""
        return "".join(credit.name + credit.joinphrase for credit in self.credits).strip()

    @property
    def first_release(self) -> Release | None:
        """The earliest dated release (else the first listed)."""
        dated = [release for release in self.releases if release.date is not None]
        if dated:
            return min(dated, key=lambda release: release.date or date.max)
        return self.releases[0] if self.releases else None

    def supplied(self) -> dict[str, Any]:
        """MBID, the ISRC when only one, length, first release date and that release's data."""
        release = self.first_release
        released = (self.first_release_date, self.first_release_precision)
        if released[0] is None and release is not None:  # lookups may omit first-release-date
            released = (release.date, release.date_precision)
        return {
            "musicbrainz_id": self.id,
            "isrc": self.isrcs[0] if len(self.isrcs) == 1 else None,
            "duration_ms": self.length_ms,
            "release_date": released[0],
            "release_date_precision": released[1],
            "release_country": release.country if release else None,
            "label": release.labels[0] if release and release.labels else None,
            "catalog_number": release.catalog_numbers[0]
            if release and release.catalog_numbers
            else None,
        }

    def to_candidate(self) -> Candidate:
        """This recording as a search candidate for matching."""
        return Candidate(
            source="musicbrainz",
            identifier=str(self.id),
            artist=self.artist_credit,
            title=self.version_title,
            artists=self.artists,
            duration_ms=self.length_ms,
            upstream_score=None if self.score is None else self.score / 100,
            isrc=self.isrcs[0] if len(self.isrcs) == 1 else None,
        )


def parse_recording(item: Mapping[str, Any]) -> Recording:
    """Read one recording object (lookup, ISRC or search result)."""
    recording_id = as_uuid(get_str(item, "id"))
    if recording_id is None:
        raise PayloadError(f"recording id {item.get('id')!r} is not a UUID")
    released = partial_date(opt_str(item, "first-release-date"))
    return Recording(
        id=recording_id,
        title=get_str(item, "title"),
        length_ms=opt_int(item, "length"),
        score=opt_int(item, "score"),
        credits=tuple(_credit(credit) for credit in dicts(item, "artist-credit")),
        isrcs=tuple(filter(None, map(normalise_isrc, strings(item, "isrcs")))),
        first_release_date=released[0] if released else None,
        first_release_precision=released[1] if released else None,
        releases=tuple(_release(release) for release in dicts(item, "releases")),
        disambiguation=opt_str(item, "disambiguation"),
    )


def _credit(credit: Mapping[str, Any]) -> ArtistCredit:
    artist = opt_dict(credit, "artist")
    return ArtistCredit(
        name=opt_str(credit, "name") or get_str(artist, "name"),
        artist_id=opt_str(artist, "id"),
        joinphrase=credit.get("joinphrase") or "",
    )


def _release(release: Mapping[str, Any]) -> Release:
    released = partial_date(opt_str(release, "date"))
    infos = dicts(release, "label-info")
    labels = (opt_str(opt_dict(info, "label"), "name") for info in infos)
    catalog_numbers = (opt_str(info, "catalog-number") for info in infos)
    return Release(
        id=get_str(release, "id"),
        title=get_str(release, "title"),
        date=released[0] if released else None,
        date_precision=released[1] if released else None,
        country=opt_str(release, "country"),
        labels=tuple(name for name in labels if name and name.lower() not in _NO_LABEL),
        catalog_numbers=tuple(
            number for number in catalog_numbers if number and number.lower() not in _NO_CATALOG
        ),
    )


def lucene_escape(text: str) -> str:
    """Text with Lucene's special characters (quotes included) backslash-escaped."""
    return _LUCENE_SPECIAL.sub(r"\\\1", text.strip())


def lucene_phrase(text: str) -> str:
    """A quoted Lucene phrase, safe whatever the text holds."""
    return f'"{lucene_escape(text)}"'


class MusicBrainzSource(Source):
    """MusicBrainz recordings by ISRC, MBID or search."""

    name = "musicbrainz"

    @classmethod
    def missing_configuration(cls) -> str | None:
        """MusicBrainz requires a User-Agent naming the application and a contact."""
        agent = settings.MUSICBRAINZ_USER_AGENT
        if not agent:
            return "set MUSICBRAINZ_USER_AGENT, e.g. 'SongNodes/1.0 ( you@example.org )'"
        if not _CONTACT.search(agent):
            return (
                "MUSICBRAINZ_USER_AGENT needs a contact (an email or URL), "
                "e.g. 'SongNodes/1.0 ( you@example.org )'"
            )
        return None

    def user_agent(self) -> str:
        """The configured User-Agent with contact details."""
        return str(settings.MUSICBRAINZ_USER_AGENT)

    def isrc(self, isrc: str) -> list[Recording]:
        """Recordings carrying an ISRC (each lists it: the answer names it once, at the top).

        Not cached yet, the ISRC is asked in a batch with those of other waiting tracks
        (`isrc_batch`); the single lookup only when the batch leaves it undecided.
        """
        # https://musicbrainz.org/doc/MusicBrainz_API#Non-MBID_Lookups
        # A space in `inc` goes on the wire as "+", the documented separator.
        code = normalise_isrc(isrc)
        found, payload = batching.cached_answer(self, f"isrc/{isrc}", ISRC_PARAMS, "isrc")
        others = [] if found or code is None or self.force_refresh else self._waiting(code)
        if code is not None and others:  # alone, the single lookup is the better question
            with batching.one_batch_at_a_time(self.name):
                # The batch before ours (another worker's) may have answered this ISRC.
                found, payload = batching.cached_answer(self, f"isrc/{isrc}", ISRC_PARAMS, "isrc")
                if not found:
                    found, payload = self.isrc_batch(code, others)
        if not found:
            payload = self.get_json(f"isrc/{isrc}", ISRC_PARAMS, endpoint="isrc", ttl=LOOKUP_TTL)
        return [
            recording
            if code is None or code in recording.isrcs
            # an ISRC answer lists no `isrcs` per recording: each carries the one asked for
            else replace(recording, isrcs=(*recording.isrcs, code))
            for recording in self._recordings(payload, "isrc")
        ]

    def _waiting(self, code: str) -> list[str]:
        """ISRCs of up to 99 other waiting tracks this source has not resolved."""
        return batching.waiting_isrcs(self.name, "musicbrainz_id", code, MAX_SEARCH_ISRCS - 1)

    def isrc_batch(self, code: str, others: list[str]) -> tuple[bool, Any]:
        """One `isrc:(A OR B ...)` search for this ISRC and up to 99 of other waiting tracks.

        Each ISRC's share is cached as its single lookup's answer: its recordings, or a not
        found when the answer was complete (fewer results than the limit). (True, this ISRC's
        payload), or (False, None) when the answer leaves it undecided (a leftover).
        """
        wanted = [code, *others[: MAX_SEARCH_ISRCS - 1]]
        payload = self._isrc_search(wanted)
        if payload is None:  # no answer to share out: nothing is decided
            return False, None
        with parsing(self.name, "recording-search"):
            items = dicts(as_dict(payload, "body"), "recordings")
            complete = len(items) < MAX_SEARCH_ISRCS
            answers: dict[str, list[dict[str, Any]]] = {each: [] for each in wanted}
            for item in items:
                for carried in filter(None, map(normalise_isrc, strings(item, "isrcs"))):
                    answers.get(carried, []).append({k: v for k, v in item.items() if k != "score"})
        for each, recordings in answers.items():
            if recordings:
                body = {"isrc": each, "recordings": recordings}
                batching.file_answer(self, f"isrc/{each}", ISRC_PARAMS, body, ttl=LOOKUP_TTL)
            elif complete:
                batching.file_answer(
                    self, f"isrc/{each}", ISRC_PARAMS, _NOT_FOUND, status=404, ttl=NOT_FOUND_TTL
                )
        response_cache.write_held()  # the next batch (any worker's) must see these shares
        if answers[code]:
            return True, {"isrc": code, "recordings": answers[code]}
        return complete, None

    def recording(self, mbid: str) -> Recording | None:
        """One recording with artists, releases and ISRCs (labels are not allowed here)."""
        # https://musicbrainz.org/doc/MusicBrainz_API#Lookups
        params = {"inc": "artists releases isrcs", "fmt": "json"}
        payload = self.get_json(f"recording/{mbid}", params, endpoint="recording", ttl=LOOKUP_TTL)
        if payload is None:
            return None
        with parsing(self.name, "recording"):
            return parse_recording(as_dict(payload, "recording"))

    # The identification capabilities (protocols.Identifies) under their protocol names.
    lookup = recording
    search_by_isrc = isrc

    def search(self, artist: str, title: str, limit: int = 10) -> list[Recording]:
        """Recordings matching `recording:"T" AND artist:"A"`, best first."""
        # https://musicbrainz.org/doc/MusicBrainz_API/Search#Recording
        query = f"recording:{lucene_phrase(title)} AND artist:{lucene_phrase(artist)}"
        return self._search(query, limit, ttl=SEARCH_TTL)

    def search_isrcs(self, isrcs: Iterable[str]) -> dict[str, list[Recording]]:
        """Recordings for up to 100 ISRCs in one `isrc:(A OR B ...)` search; [] when none."""
        wanted = sorted({code for code in map(normalise_isrc, isrcs) if code})
        if not wanted:
            return {}
        found = self._recordings(self._isrc_search(wanted), "recording-search")
        return {code: [rec for rec in found if code in rec.isrcs] for code in wanted}

    def _isrc_search(self, codes: list[str]) -> Any:
        """The raw answer of one `isrc:(A OR B ...)` recording search (at most 100 codes)."""
        # https://musicbrainz.org/doc/MusicBrainz_API/Search#Recording
        if len(codes) > MAX_SEARCH_ISRCS:
            raise ValueError(f"at most {MAX_SEARCH_ISRCS} ISRCs per call, got {len(codes)}")
        terms = " OR ".join(lucene_escape(code) for code in sorted(codes))
        params: dict[str, str | int] = {
            "query": f"isrc:({terms})",
            "limit": MAX_SEARCH_ISRCS,
            "fmt": "json",
        }
        # An ISRC answer is as stable as an ID lookup, so it keeps as long.
        return self.get_json("recording", params, endpoint="recording-search", ttl=LOOKUP_TTL)

    def _search(self, query: str, limit: int, *, ttl: timedelta) -> list[Recording]:
        params: dict[str, str | int] = {
            "query": query,
            "limit": max(1, min(limit, 100)),
            "fmt": "json",
        }
        payload = self.get_json("recording", params, endpoint="recording-search", ttl=ttl)
        return self._recordings(payload, "recording-search")

    def _recordings(self, payload: Any, endpoint: str) -> list[Recording]:
        if payload is None:
            return []
        with parsing(self.name, endpoint):
            body = as_dict(payload, "body")
            return [parse_recording(item) for item in dicts(body, "recordings", required=True)]


identify_recording = identify(MusicBrainzSource)
