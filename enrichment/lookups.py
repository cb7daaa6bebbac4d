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
from enrichment.matching import (
    MatchDecision,
    Query,
    ScoredCandidate,
    decide,
    recording_key,
    score_candidate,
    text_disagreements,
    worth_reviewing,
)
from enrichment.merge import Found
from enrichment.models import SourceOutcome
from enrichment.sources import registry
from enrichment.sources.base import Source
from enrichment.sources.cache import writes_together
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


@dataclass(frozen=True)
class Note:
    """Something a curator should see about an identifier (track_metadata.NOTE_KINDS)."""

    kind: str  # text_disagrees | isrc_conflict | isrc_mismatch
    provider: str
    identifier: str  # the identifier the note is about (an ISRC, a provider's id)
    found_by: str  # the track column that identifier belongs in (isrc, spotify_id, ...)
    details: tuple[str, ...]


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
    # Left to follow-up jobs (enrichment.pacing): not asked by this attempt, marked pending.
    pending: set[str] = field(default_factory=set)
    # Slow sources asked by this attempt because their API was free (enrichment.pacing).
    inline: set[str] = field(default_factory=set)
    # The release year the track already holds (a follow-up attempt has no other finds).
    known_release_year: int | None = None
    force_refresh: bool = False
    found: dict[str, Found] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    reviews: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    sources: dict[str, Adapter] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)

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
        asked = provider.name not in self.skip and provider.name not in self.pending
        return provider.api in self.enabled and asked

    def hand_over_failures(self) -> None:
        """Slow sources asked here only because their API was free, and that failed in a way
        a retry may fix, go to their follow-up jobs like the others: pending, and the track's
        job is not retried for them."""
        for name in sorted(self.inline):
            outcome = self.outcomes.get(name)
            retry = outcome is not None and outcome.outcome == SourceOutcome.MALFORMED
            if outcome is not None and (outcome.transient or retry):
                del self.outcomes[name]
                self.pending.add(name)

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

    def exact(
        self, provider: str, result: Result | None, found_by: str = "", identifier: str = ""
    ) -> Outcome:
        """Accept the answer of a lookup by identifier outright; none is a definite not-found.

        The identifier is authoritative: text that differs (another script, a title without
        its remixer) becomes a note for a curator (when the lookup names its identifier and
        the answer can be scored), never a reason to drop the recording.
        """
        if not result:
            return Outcome("not_found")
        to_candidate = getattr(result, "to_candidate", None)
        if found_by and callable(to_candidate):
            scored = score_candidate(self.query, to_candidate())
            self.note_text(provider, scored, found_by, identifier)
        return self.accept(provider, result, 1.0)

    def note_text(
        self, provider: str, scored: ScoredCandidate, found_by: str, identifier: str
    ) -> None:
        """Note how the typed title or artist differs from a recording found by identifier."""
        details = text_disagreements(scored)
        if details:
            self.notes.append(Note("text_disagrees", provider, identifier, found_by, details))

    def carrying(self, provider: str, isrc: str, results: Sequence[SearchResult]) -> Outcome:
        """The answer of a search by ISRC: the recording carrying it is this track's.

        One recording (several releases of it count as one) is accepted whatever its text.
        Different recordings (other titles or versions) carrying one ISRC are a conflict: it
        is noted, and the text decides between them like any search (or a curator does).
        """
        results = [r for r in self.not_rejected(provider, results) if _carries(r, isrc)]
        if not results:
            return Outcome("not_found", f"nothing carries ISRC {isrc}")
        ranked = decide(self.query, [result.to_candidate() for result in results]).ranked
        recordings = {recording_key(item.candidate): item.candidate for item in ranked}
        if len(recordings) > 1:
            shown = tuple(f"{c.artist or '?'} - {c.title}" for c in recordings.values())
            self.notes.append(Note("isrc_conflict", provider, isrc, "isrc", shown))
            return self.choose(provider, results)
        best = ranked[0]
        by_id = {result.to_candidate().identifier: result for result in results}
        self.note_text(provider, best, "isrc", isrc)
        self.accept(provider, by_id[best.candidate.identifier], 1.0)
        return Outcome("data", f"accepted: the recording carrying ISRC {isrc}")

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
    """Ask every wanted provider in registry order: identifiers first, then the fan-out.
    The answers go into the response cache together, in one statement, at the end."""
    with writes_together():
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
            lambda isrc: attempt.carrying(provider.name, isrc, source.search_by_isrc(isrc)),
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
            lambda isrc: attempt.exact(provider.name, source.lookup_isrc(isrc), "isrc", isrc),
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
    if known and provider.id_field:
        return attempt.exact(provider.name, source.lookup(known), provider.id_field, known)
    if attempt.isrc:
        return by_isrc(attempt.isrc)
    query = attempt.query
    return attempt.choose(provider.name, source.search(query.artist, query.title))


def _carries(result: SearchResult, isrc: str) -> bool:
    """Does the result carry the ISRC (one that names no single ISRC may carry several)?"""
    carried = result.to_candidate().isrc
    return carried is None or carried == isrc
