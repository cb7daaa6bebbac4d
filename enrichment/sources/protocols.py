"""What the enrichment steps need of an adapter and of its results, as typing protocols.

Adapters satisfy these structurally: each identifying adapter names its own lookups by the
capability they fulfil (`lookup = track`), so one common identification step serves them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from enrichment.matching import Candidate
from enrichment.sources.types import AudioFeatures


class Result(Protocol):
    """An adapter's answer: the Track columns it supplies."""

    def fields(self) -> dict[str, Any]: ...


class SearchResult(Result, Protocol):
    """An answer that may be another track: it can be scored against the query."""

    def to_candidate(self) -> Candidate: ...


class Adapter(Protocol):
    """Any adapter instance: the call counters an attempt adds up."""

    network_calls: int
    cache_hits: int


# --- identification capabilities ---------------------------------------------------------
class LooksUp(Adapter, Protocol):
    """Finds the one item with the provider's own id (None when there is none)."""

    def lookup(self, identifier: str, /) -> SearchResult | None: ...


class SearchesIsrc(Adapter, Protocol):
    """Finds the items carrying an ISRC: candidates, scored like a text search."""

    def search_by_isrc(self, isrc: str, /) -> Sequence[SearchResult]: ...


class LooksUpIsrc(Adapter, Protocol):
    """Finds the one track an ISRC belongs to (None when there is none)."""

    def lookup_isrc(self, isrc: str, /) -> SearchResult | None: ...


class SearchesText(Adapter, Protocol):
    """Finds candidates by artist and title, best first."""

    def search(self, artist: str, title: str, /) -> Sequence[SearchResult]: ...


class LooksUpOrSearches(LooksUp, SearchesText, Protocol):
    """What every identifying provider does: look up by own id, search by text."""


class Identifies(LooksUp, SearchesIsrc, SearchesText, Protocol):
    """Identifies a track by own id, else by an ISRC search, else by text search."""


class IdentifiesByIsrc(LooksUp, LooksUpIsrc, SearchesText, Protocol):
    """Identifies a track by own id or by ISRC (both exact), else by text search."""


# --- audio-analysis capabilities ------------------------------------------------------------
class AnalysesTrack(Adapter, Protocol):
    """Audio features of one track, by Spotify id."""

    def audio_features(self, spotify_id: str, /) -> AudioFeatures | None: ...


class AnalysesTracks(Adapter, Protocol):
    """Audio features of several tracks by Spotify id; unknown ids are absent."""

    def audio_features(self, spotify_ids: Iterable[str], /) -> Mapping[str, AudioFeatures]: ...
