"""The per-provider steps of one enrichment attempt: identify first, then fan out.

Each step asks one provider and records an Outcome; a SourceError never escapes a step (it
becomes that provider's outcome), so one failing API cannot sink the others. Which step a
provider runs is its registry entry's `step_path`; the common shapes are built here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

from enrichment.logging import log_context
from enrichment.matching import MatchDecision, Query, decide, worth_reviewing
from enrichment.merge import Found
from enrichment.models import SourceOutcome
from enrichment.sources import registry
from enrichment.sources.base import Source
from enrichment.sources.errors import MalformedResponse, SourceError
from enrichment.sources.protocols import (
    Adapter,
    Identifies,
    IdentifiesByIsrc,
    LooksUpOrSearches,
    Result,
    SearchResult,
)
from enrichment.sources.registry import SOURCES, Provider

# Outcomes that settle a provider for this track (the re-run does not ask it again).
SETTLED = SourceOutcome.settled()

A = TypeVar("A", bound=Adapter)
R = TypeVar("R", bound=SearchResult)


@dataclass
class Outcome:
    """How one provider answered in one attempt."""

    outcome: str  # data | not_found | skipped | review | transient | rate_limited | ...
    detail: str = ""
    retry_after: float | None = None

    @property
    def transient(self) -> bool:
        return self.outcome in SourceOutcome.transient()


@dataclass
class Attempt:
    """Working state of one attempt: identifiers learnt so far, what each provider said."""

    query: Query
    spotify_id: str | None
    isrc: str | None
    musicbrainz_id: str | None
    enabled: Sequence[str]
    deezer_id: str | None = None
    rejected: dict[str, list[str]] = field(
        default_factory=dict
    )  # provider -> ids a curator refused
    skip: set[str] = field(default_factory=set)  # settled on an earlier attempt
    force_refresh: bool = False
    found: dict[str, Found] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    reviews: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    sources: dict[str, Adapter] = field(default_factory=dict)

    def source(self, api: str, adapter: type[A]) -> A:
        """This attempt's adapter for an API (created once, so call counters add up)."""
        if api not in self.sources:
            self.sources[api] = SOURCES[api](force_refresh=self.force_refresh)
        # SOURCES is the seam: tests put fakes there that stand in for `adapter` structurally.
        return cast(A, self.sources[api])

    def identifier(self, column: str | None) -> str | None:
        """The identifier this attempt knows for a track column (spotify_id, isrc, ...)."""
        value = getattr(self, column, None) if column else None
        return value if isinstance(value, str) and value else None

    def confidence_of(self, provider: str) -> float:
        """How sure we are of a provider's match (1.0 when it was not matched this attempt)."""
        found = self.found.get(provider)
        return found.confidence if found else 1.0

    def wants(self, provider: Provider) -> bool:
        """Should this attempt ask the provider (its API enabled, and not settled before)?"""
        return provider.api in self.enabled and provider.name not in self.skip

    def ask(self, provider: Provider, step: Step) -> None:
        """Run one step, turning any SourceError into that provider's outcome."""
        try:
            with log_context(source=provider.name):
                self.outcomes[provider.name] = step(self, provider)
        except SourceError as error:
            self.outcomes[provider.name] = Outcome(error.outcome, error.message, error.retry_after)
            source = self.sources.get(provider.api)
            if isinstance(error, MalformedResponse) and isinstance(source, Source):
                source.forget_stored()  # never serve the unreadable answer again

    def accept(self, provider: str, result: Result, confidence: float) -> Outcome:
        """Record a provider's result as found data and learn its identifiers."""
        values = result.fields()
        self.found[provider] = Found(provider, values, confidence)
        self.spotify_id = self.spotify_id or values.get("spotify_id")
        self.isrc = self.isrc or values.get("isrc")
        mbid = values.get("musicbrainz_id")
        self.musicbrainz_id = self.musicbrainz_id or (str(mbid) if mbid else None)
        if "lastfm_tags" in values:
            self.tags = list(values["lastfm_tags"])
        if self.query.duration_ms is None and values.get("duration_ms"):
            # A duration from an identified source sharpens every later text match.
            self.query = replace(self.query, duration_ms=values["duration_ms"])
        return Outcome("data")

    def exact(self, provider: str, result: Result | None) -> Outcome:
        """Accept the answer of a lookup by identifier outright; none is a definite not-found."""
        return self.accept(provider, result, 1.0) if result else Outcome("not_found")

    def undecided(self, provider: str, decision: MatchDecision) -> Outcome:
        """No confident match: keep plausible candidates for a curator, else not found."""
        if not worth_reviewing(decision):
            best = decision.ranked[0].candidate
            return Outcome("not_found", f"only other tracks (best: {best.artist} - {best.title})")
        self.reviews[provider] = decision.to_dict()
        return Outcome("review", decision.reason)

    def not_rejected(self, provider: str, results: Sequence[R]) -> list[R]:
        """Results a curator has not already rejected for this track."""
        refused = set(self.rejected.get(provider, ()))
        return [result for result in results if result.to_candidate().identifier not in refused]

    def choose(self, provider: str, results: Sequence[SearchResult]) -> Outcome:
        """Score search results; accept a confident best, else keep them for review."""
        results = self.not_rejected(provider, results)
        if not results:
            return Outcome("not_found", "no candidates (or all rejected by a curator)")
        by_id = {result.to_candidate().identifier: result for result in results}
        decision = decide(self.query, [result.to_candidate() for result in results])
        if decision.accepted is None:
            return self.undecided(provider, decision)
        accepted = decision.accepted
        self.accept(provider, by_id[accepted.candidate.identifier], accepted.score)
        return Outcome("data", decision.reason)


# How an attempt asks one provider: registry entries name theirs (`step_path`).
Step = Callable[[Attempt, Provider], Outcome]


def run_all(attempt: Attempt) -> None:
    """Ask every wanted provider in registry order: identifiers first, then the fan-out."""
    for provider in registry.PROVIDERS:
        if attempt.wants(provider):
            attempt.ask(provider, provider.step())


def identify(adapter: type[Identifies]) -> Step:
    """The common step: by the provider's own id, else by ISRC, else by text search (scored)."""

    def step(attempt: Attempt, provider: Provider) -> Outcome:
        source = attempt.source(provider.api, adapter)
        return _identified(
            attempt,
            provider,
            source,
            lambda isrc: attempt.choose(provider.name, source.search_by_isrc(isrc)),
        )

    return step


def identify_by_isrc(adapter: type[IdentifiesByIsrc]) -> Step:
    """Like `identify`, for a provider whose ISRC lookup answers the one track (exact)."""

    def step(attempt: Attempt, provider: Provider) -> Outcome:
        source = attempt.source(provider.api, adapter)
        return _identified(
            attempt,
            provider,
            source,
            lambda isrc: attempt.exact(provider.name, source.lookup_isrc(isrc)),
        )

    return step


def _identified(
    attempt: Attempt,
    provider: Provider,
    source: LooksUpOrSearches,
    by_isrc: Callable[[str], Outcome],
) -> Outcome:
    """By the provider's own id, else `by_isrc` with the track's ISRC, else by text search."""
    known = attempt.identifier(provider.id_field)
    if known:
        return attempt.exact(provider.name, source.lookup(known))
    if attempt.isrc:
        return by_isrc(attempt.isrc)
    query = attempt.query
    return attempt.choose(provider.name, source.search(query.artist, query.title))
