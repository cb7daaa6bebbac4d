"""The per-source steps of one enrichment attempt: identify first, then fan out.

Each step asks one provider and records an Outcome; a SourceError never escapes a step (it
becomes that provider's outcome), so one failing API cannot sink the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from enrichment.logging import log_context
from enrichment.matching import MatchDecision, Query, decide, score_candidate, worth_reviewing
from enrichment.merge import Found
from enrichment.models import SourceOutcome
from enrichment.sources.base import Source
from enrichment.sources.errors import SourceError
from enrichment.sources.registry import SOURCES

# Outcomes that settle a provider for this track (the re-run does not ask it again).
SETTLED = SourceOutcome.settled()
# A Last.fm answer to an artist/title query must look like our track to be believed.
LASTFM_MIN_SCORE = 0.75


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
    sources: dict[str, Source] = field(default_factory=dict)

    def source(self, name: str) -> Any:
        """This attempt's adapter for a source (created once, so call counters add up)."""
        if name not in self.sources:
            self.sources[name] = SOURCES[name](force_refresh=self.force_refresh)
        return self.sources[name]

    def wants(self, provider: str, source: str | None = None) -> bool:
        """Should this attempt ask the provider (enabled, and not settled before)?"""
        return (source or provider) in self.enabled and provider not in self.skip

    def ask(self, provider: str, step: Callable[[], Outcome]) -> None:
        """Run one step, turning any SourceError into that provider's outcome."""
        try:
            with log_context(source=provider):
                self.outcomes[provider] = step()
        except SourceError as error:
            self.outcomes[provider] = Outcome(error.outcome, error.message, error.retry_after)

    def accept(self, provider: str, result: Any, confidence: float) -> Outcome:
        """Record a provider's result as found data and learn its identifiers."""
        values = result.fields()
        self.found[provider] = Found(provider, values, confidence)
        self.spotify_id = self.spotify_id or values.get("spotify_id")
        self.isrc = self.isrc or values.get("isrc")
        mbid = values.get("musicbrainz_id")
        self.musicbrainz_id = self.musicbrainz_id or (str(mbid) if mbid else None)
        if provider == "lastfm":
            self.tags = list(values.get("lastfm_tags", ()))
        if self.query.duration_ms is None and values.get("duration_ms"):
            # A duration from an identified source sharpens every later text match.
            self.query = replace(self.query, duration_ms=values["duration_ms"])
        return Outcome("data")

    def undecided(self, provider: str, decision: MatchDecision) -> Outcome:
        """No confident match: keep plausible candidates for a curator, else not found."""
        if not worth_reviewing(decision):
            best = decision.ranked[0].candidate
            return Outcome("not_found", f"only other tracks (best: {best.artist} - {best.title})")
        self.reviews[provider] = decision.to_dict()
        return Outcome("review", decision.reason)

    def not_rejected(self, provider: str, results: Sequence[Any]) -> list[Any]:
        """Results a curator has not already rejected for this track."""
        refused = set(self.rejected.get(provider, ()))
        return [result for result in results if result.to_candidate().identifier not in refused]

    def choose(self, provider: str, results: Sequence[Any]) -> Outcome:
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


def run_all(attempt: Attempt) -> None:
    """Identify with identifiers first (text search only without one), then fan out."""
    if attempt.wants("spotify"):
        attempt.ask("spotify", lambda: spotify_track(attempt))
    if attempt.wants("musicbrainz"):
        attempt.ask("musicbrainz", lambda: musicbrainz_recording(attempt))
    if attempt.wants("deezer"):
        attempt.ask("deezer", lambda: deezer_track(attempt))
    if attempt.wants("spotify_features", "spotify"):
        attempt.ask("spotify_features", lambda: spotify_features(attempt))
    if attempt.wants("reccobeats"):
        attempt.ask("reccobeats", lambda: reccobeats_features(attempt))
    if attempt.wants("discogs"):
        attempt.ask("discogs", lambda: discogs_release(attempt))
    if attempt.wants("lastfm"):
        attempt.ask("lastfm", lambda: lastfm_track(attempt))


def identify(
    attempt: Attempt,
    provider: str,
    known_id: str | None,
    lookup: Callable[[str], Any],
    by_isrc: Callable[[str], Sequence[Any]],
    search: Callable[[str, str], Sequence[Any]],
) -> Outcome:
    """By the source's own id, else by ISRC, else by text search (scored)."""
    if known_id:
        result = lookup(known_id)
        return attempt.accept(provider, result, 1.0) if result else Outcome("not_found")
    if attempt.isrc:
        return attempt.choose(provider, by_isrc(attempt.isrc))
    return attempt.choose(provider, search(attempt.query.artist, attempt.query.title))


def spotify_track(attempt: Attempt) -> Outcome:
    """Spotify: track by id, search by ISRC, or text search."""
    spotify = attempt.source("spotify")
    return identify(
        attempt, "spotify", attempt.spotify_id, spotify.track, spotify.search_isrc, spotify.search
    )


def musicbrainz_recording(attempt: Attempt) -> Outcome:
    """MusicBrainz: recording by MBID, ISRC lookup, or search (with MB's own score)."""
    mb = attempt.source("musicbrainz")
    return identify(
        attempt, "musicbrainz", attempt.musicbrainz_id, mb.recording, mb.isrc, mb.search
    )


def deezer_track(attempt: Attempt) -> Outcome:
    """By Deezer id or ISRC (bpm, gain, duration), else by text search."""
    deezer = attempt.source("deezer")
    for lookup, key in ((deezer.track, attempt.deezer_id), (deezer.track_by_isrc, attempt.isrc)):
        if key:
            track = lookup(key)
            return attempt.accept("deezer", track, 1.0) if track else Outcome("not_found")
    return attempt.choose("deezer", deezer.search(attempt.query.artist, attempt.query.title))


def spotify_features(attempt: Attempt) -> Outcome:
    """Spotify's audio features (403 for newer apps: marked unavailable, ReccoBeats serves)."""
    if not attempt.spotify_id:
        return Outcome("skipped", "no Spotify id")
    features = attempt.source("spotify").audio_features(attempt.spotify_id)
    if features is None:
        return Outcome("not_found")
    return attempt.accept("spotify_features", features, _confidence(attempt, "spotify"))


def reccobeats_features(attempt: Attempt) -> Outcome:
    """ReccoBeats' features by Spotify id, only when Spotify gave none."""
    if "spotify_features" in attempt.found:
        return Outcome("skipped", "Spotify supplied audio features")
    if not attempt.spotify_id:
        return Outcome("skipped", "no Spotify id")
    features = attempt.source("reccobeats").audio_features([attempt.spotify_id])
    item = features.get(attempt.spotify_id)
    if item is None:
        return Outcome("not_found")
    return attempt.accept("reccobeats", item, _confidence(attempt, "spotify"))


def discogs_release(attempt: Attempt) -> Outcome:
    """The release by our artist that carries this track (label, catalog number, country).

    Discogs searches releases filtered by track title, so a result's own title is the
    release's ("For Lack Of A Better Name"), not the track's: match on the artist with the
    track title we asked for; among our artist's releases prefer the one from the year we
    already know (Spotify/MusicBrainz), then one named like the track, then the earliest.
    """
    query = attempt.query
    releases = attempt.not_rejected(
        "discogs", attempt.source("discogs").search(query.artist, query.title)
    )
    if not releases:
        return Outcome("not_found", "no candidates (or all rejected by a curator)")
    candidates = [replace(r.to_candidate(), title=query.title) for r in releases]
    decision = decide(query, candidates)
    if decision.accepted is None:
        return attempt.undecided("discogs", decision)
    ours = [
        (position, release)
        for position, (release, candidate) in enumerate(zip(releases, candidates, strict=True))
        if score_candidate(query, candidate).score >= decision.accepted.score - 1e-9
    ]
    known_year = _known_release_year(attempt)
    best = min(ours, key=lambda item: _release_rank(query, item[1], item[0], known_year))[1]
    attempt.accept("discogs", best, decision.accepted.score)
    return Outcome("data", decision.reason)


def _known_release_year(attempt: Attempt) -> int | None:
    for provider in ("musicbrainz", "spotify", "deezer"):
        found = attempt.found.get(provider)
        if found and found.values.get("release_date"):
            return int(found.values["release_date"].year)
    return None


def _release_rank(
    query: Query, release: Any, position: int, known_year: int | None
) -> tuple[float, ...]:
    year_gap = abs(release.year - known_year) if known_year and release.year else 100
    named_like_track = score_candidate(
        query, replace(release.to_candidate(), artist=query.artist)
    ).components["title"]
    return (year_gap, -named_like_track, release.year or 9999, position)


def lastfm_track(attempt: Attempt) -> Outcome:
    """Tags, playcount and listeners: by MusicBrainz id, else by (autocorrected) name."""
    lastfm = attempt.source("lastfm")
    if attempt.musicbrainz_id:
        track = lastfm.track_info_by_mbid(attempt.musicbrainz_id)
        if track is not None:
            return attempt.accept("lastfm", track, 1.0)
    track = lastfm.track_info(attempt.query.artist, attempt.query.title)
    if track is None:
        return Outcome("not_found")
    # Autocorrect can land on another song: believe it only if it looks like ours.
    scored = score_candidate(attempt.query, track.to_candidate())
    if scored.score < LASTFM_MIN_SCORE:
        return Outcome("not_found", f"Last.fm answered a different track ({scored.score:.2f})")
    return attempt.accept("lastfm", track, scored.score)


def _confidence(attempt: Attempt, provider: str) -> float:
    found = attempt.found.get(provider)
    return found.confidence if found else 1.0
