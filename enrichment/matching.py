"""Decide which search candidate is the track meant, or keep the choice for curator review.

Scoring follows beets' autotag distance: named components, each 0..1, combined by one weight
table. A component is left out when there is nothing to compare (unknown duration, no artist
credit on the candidate, no upstream score), so missing data neither helps nor hurts, and every
stored score can be recomputed from its stored components with `combine`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from typing import Any

from enrichment.titles import (
    CREDIT_JOINERS,
    Credits,
    ParsedTitle,
    Version,
    normalise,
    parse_title,
    split_artists,
    split_names,
)

# score = sum(weight * component) / sum(weight of the components present).
# With all five present, one key component at 0 and the rest perfect gives at most 0.76,
# and a duration 30 s+ off gives 0.84: each alone is enough to send a match to review.
WEIGHTS: dict[str, float] = {
    "title": 4.0,  # base title (version and credits removed): the strongest single signal
    "artist": 3.0,  # same title by someone else is a different track (covers, namesakes)
    "version": 3.0,  # a remix/edit/live take of the right song is still the wrong recording
    "duration": 2.0,  # only when both known; catches unlabelled extended mixes and namesakes
    "upstream": 0.5,  # the source's own relevance score: a tie-breaker, not evidence
}

# The artist component is a blend of three checks (sums to 1).
ARTIST_COVERAGE = 0.7  # share of the query's artists credited anywhere on the candidate
ARTIST_LEAD = 0.2  # the candidate's lead artist is one the query names
ARTIST_PRECISION = 0.1  # the candidate credits nobody the query leaves out
# A featured artist counts a quarter of a main artist: "feat." credits are missing or
# moved between title and artist list so often that they must not sink a correct match.
FEATURED_SHARE = 0.25
# Two normalised names this alike are the same artist or remixer (typos, spacing).
NAME_SIMILARITY = 0.9
# A remaster is the same performance re-mastered: for keys, tempo, genres and labels it is the
# same recording, so it costs little; an exact match still outranks it when both are offered.
REMASTER_SIMILARITY = 0.9
# "(Remix)" against "(Skrillex Remix)": same kind of version, remixer known on one side only.
ONE_SIDED_CREDIT_SIMILARITY = 0.5
DURATION_GRACE_SECONDS = 3.0  # encodes and fades differ by a second or two
DURATION_LIMIT_SECONDS = 30.0  # beyond this it is another edit of the song, or another song


@dataclass(frozen=True)
class Query:
    """What the user has: the track to identify."""

    artist: str
    title: str
    duration_ms: int | None = None


@dataclass(frozen=True)
class Candidate:
    """One search hit from a source, already parsed into plain fields."""

    source: str
    identifier: str
    artist: str  # display credit, e.g. "David Guetta feat. Sia"
    title: str
    artists: tuple[str, ...] = ()
    duration_ms: int | None = None
    upstream_score: float | None = None  # 0..1, e.g. MusicBrainz score / 100
    isrc: str | None = None


@dataclass(frozen=True)
class ScoredCandidate:
    """A candidate with its score and the named components it was computed from."""

    candidate: Candidate
    score: float
    components: dict[str, float]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        candidate = asdict(self.candidate) | {"artists": list(self.candidate.artists)}
        return {
            "candidate": candidate,
            "score": self.score,
            "components": dict(self.components),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoredCandidate:
        fields = dict(data["candidate"])
        candidate = Candidate(**fields | {"artists": tuple(fields.get("artists", ()))})
        return cls(candidate, float(data["score"]), dict(data["components"]), tuple(data["notes"]))


@dataclass(frozen=True)
class MatchDecision:
    """The accepted candidate (None = review or nothing found), all candidates ranked, and why."""

    accepted: ScoredCandidate | None
    ranked: tuple[ScoredCandidate, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, for keeping review candidates in the track's metadata."""
        accepted = self.accepted.to_dict() if self.accepted else None
        return {
            "accepted": accepted,
            "ranked": [item.to_dict() for item in self.ranked],
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MatchDecision:
        accepted = data.get("accepted")
        return cls(
            ScoredCandidate.from_dict(accepted) if accepted else None,
            tuple(ScoredCandidate.from_dict(item) for item in data["ranked"]),
            str(data["reason"]),
        )


def _query_credits(query: Query, title: ParsedTitle) -> Credits:
    artists = split_artists(query.artist)
    return Credits(artists.main, artists.featured + title.featured)


def _candidate_credits(candidate: Candidate, title: ParsedTitle) -> Credits:
    """Credits from the artist list when given (guests named in the display credit as featured)."""
    display = split_artists(candidate.artist)
    if not candidate.artists:
        return Credits(display.main, display.featured + title.featured)
    listed = [name for artist in candidate.artists for name in split_names(artist)]
    main = tuple(name for name in listed if name not in display.featured) or tuple(listed)
    featured = tuple(name for name in listed if name not in main)
    extra = tuple(name for name in display.featured + title.featured if name not in featured)
    return Credits(main, featured + extra)


@functools.lru_cache(maxsize=65536)  # pure, and asked for the same pairs candidate after candidate
def _same_name(first: str, second: str) -> bool:
    first, second = first.removeprefix("the "), second.removeprefix("the ")  # "The Killers"
    if first == second:
        return True
    matcher = SequenceMatcher(None, first, second)
    # The cheap upper bounds first: most pairs are told apart by their lengths or letters.
    return (
        matcher.real_quick_ratio() >= NAME_SIMILARITY
        and matcher.quick_ratio() >= NAME_SIMILARITY
        and matcher.ratio() >= NAME_SIMILARITY
    )


def _credited(name: str, names: Sequence[str]) -> bool:
    return any(_same_name(name, other) for other in names)


def title_similarity(query: ParsedTitle, candidate: ParsedTitle) -> float:
    """1.0 for equal base titles; squared edit ratio otherwise, so a shared word scores low."""
    if query.base == candidate.base:
        return 1.0
    return SequenceMatcher(None, query.base, candidate.base).ratio() ** 2


def artist_similarity(query: Credits, candidate: Credits) -> float:
    """Coverage of the query's artists, lead artist agreement and absence of strangers."""
    everyone = candidate.everyone
    if not query.main or not everyone:
        return 0.0
    wanted = len(query.main) + FEATURED_SHARE * len(query.featured)
    found = sum(_credited(name, everyone) for name in query.main)
    found_featured = sum(_credited(name, everyone) for name in query.featured)
    coverage = (found + FEATURED_SHARE * found_featured) / wanted
    lead = float(_credited(everyone[0], query.everyone))
    precision = sum(_credited(name, query.everyone) for name in everyone) / len(everyone)
    return ARTIST_COVERAGE * coverage + ARTIST_LEAD * lead + ARTIST_PRECISION * precision


@functools.lru_cache(maxsize=65536)
def _credit_words(credit: str) -> tuple[str, ...]:
    """The words of a whole credit without joiners, in order ("+" and "and" both vanish)."""
    return tuple(word for word in normalise(credit).split() if word not in CREDIT_JOINERS)


def version_similarity(query: Version, candidate: Version) -> float:
    """1.0 for the same version; 0 for different kinds or remixers; small cost for remasters."""
    if query.kinds != candidate.kinds:
        return 0.0
    if not _same_name(query.credit, candidate.credit):
        return 0.0 if query.credit and candidate.credit else ONE_SIDED_CREDIT_SIMILARITY
    return REMASTER_SIMILARITY if query.remastered != candidate.remastered else 1.0


def duration_similarity(query_ms: int | None, candidate_ms: int | None) -> float | None:
    """1.0 within the grace, fading linearly to 0 at the limit; None when either is unknown."""
    if not query_ms or not candidate_ms:
        return None
    off_by = abs(query_ms - candidate_ms) / 1000 - DURATION_GRACE_SECONDS
    span = DURATION_LIMIT_SECONDS - DURATION_GRACE_SECONDS
    return min(1.0, max(0.0, 1.0 - off_by / span))


def combine(components: Mapping[str, float]) -> float:
    """Weighted mean of the components present, rounded as stored."""
    total = sum(WEIGHTS[name] for name in components)
    return round(sum(WEIGHTS[name] * value for name, value in components.items()) / total, 4)


def score_candidate(query: Query, candidate: Candidate) -> ScoredCandidate:
    """Score one candidate against the query, keeping the named components and notes."""
    query_title, candidate_title = parse_title(query.title), parse_title(candidate.title)
    query_credits = _query_credits(query, query_title)
    candidate_credits = _candidate_credits(candidate, candidate_title)
    components = {
        "title": title_similarity(query_title, candidate_title),
        "version": version_similarity(query_title.version, candidate_title.version),
    }
    if candidate_credits.everyone:  # an answer without any artist credit cannot be compared
        components["artist"] = artist_similarity(query_credits, candidate_credits)
    if _credit_words(query.artist) == _credit_words(candidate.artist) != ():
        components["artist"] = 1.0  # "Florence + the Machine" against "Florence and the Machine"
    duration = duration_similarity(query.duration_ms, candidate.duration_ms)
    if duration is not None:
        components["duration"] = duration
    if candidate.upstream_score is not None:
        components["upstream"] = min(1.0, max(0.0, candidate.upstream_score))
    components = {name: round(value, 4) for name, value in components.items()}
    notes = _notes(query, candidate, query_title, candidate_title, components)
    return ScoredCandidate(candidate, combine(components), components, notes)


def _notes(
    query: Query,
    candidate: Candidate,
    query_title: ParsedTitle,
    candidate_title: ParsedTitle,
    components: Mapping[str, float],
) -> tuple[str, ...]:
    """Readable explanations for every component that is not a perfect match."""
    notes = []
    if components["title"] < 1:
        notes.append(f"title {query_title.base!r} vs {candidate_title.base!r}")
    if components.get("artist", 1) < 1:
        credit = candidate.artist or ", ".join(candidate.artists)
        notes.append(f"artist {query.artist!r} vs {credit!r}")
    if components["version"] < 1:
        query_version, candidate_version = query_title.version, candidate_title.version
        notes.append(f"version {query_version.describe()} vs {candidate_version.describe()}")
    if components.get("duration", 1) < 1 and query.duration_ms and candidate.duration_ms:
        seconds = abs(query.duration_ms - candidate.duration_ms) / 1000
        notes.append(f"duration differs by {seconds:.0f} s")
    return tuple(notes)


def recording_key(candidate: Candidate) -> tuple[str, str, frozenset[str], str]:
    """What makes two candidates the same recording: base title, lead artist, version.

    The lead artist stands for "artist" because releases of one recording often differ in
    whether guests are credited; remasters count as the same recording (see REMASTER_SIMILARITY).
    """
    title = parse_title(candidate.title)
    everyone = _candidate_credits(candidate, title).everyone
    lead = everyone[0] if everyone else ""
    return title.base, lead, title.version.kinds, title.version.credit


def decide(
    query: Query, candidates: Sequence[Candidate], *, accept_at: float = 0.85, margin: float = 0.08
) -> MatchDecision:
    """Accept the best candidate only if it is confident and clearly ahead; otherwise review.

    The margin is measured against the best candidate that is a different recording: an album
    and a single release of the same recording (different ids) must not block each other.
    """
    if not candidates:
        return MatchDecision(None, (), "no candidates")
    scored = [score_candidate(query, candidate) for candidate in candidates]
    ranked = tuple(sorted(scored, key=lambda item: -item.score))  # stable: upstream order on ties
    best = ranked[0]
    if best.score < accept_at:
        reason = f"review: best {_floor(best.score)} below {accept_at:.2f}"
        return MatchDecision(None, ranked, reason)
    best_key = recording_key(best.candidate)
    rivals = [item for item in ranked[1:] if recording_key(item.candidate) != best_key]
    if not rivals:
        reason = f"accepted: score {_floor(best.score)}, no different recording among candidates"
        return MatchDecision(best, ranked, reason)
    ahead = round(best.score - rivals[0].score, 4)
    if ahead < margin:
        return MatchDecision(None, ranked, f"review: margin {_floor(ahead)} below {margin:.2f}")
    reason = f"accepted: score {_floor(best.score)}, margin {_floor(ahead)} over runner-up"
    return MatchDecision(best, ranked, reason)


# Below these, a candidate is not "maybe ours" but someone else's track: nothing to review.
PLAUSIBLE_ARTIST = 0.3
PLAUSIBLE_TITLE = 0.5
# What a recording found by an identifier is compared on to tell a curator the typed text
# differs (duration and the upstream score are no text); below this a component disagrees.
TEXT_COMPONENTS = ("title", "artist", "version")
DISAGREES_BELOW = 0.9


def worth_reviewing(decision: MatchDecision) -> bool:
    """Is any candidate of an unaccepted decision plausibly our track (artist and title
    both partly agree)? Same title by an unrelated artist is a not-found, not a question.
    A candidate without an artist credit is judged on its title alone."""
    return any(
        item.components.get("artist", 1.0) >= PLAUSIBLE_ARTIST
        and item.components.get("title", 0.0) >= PLAUSIBLE_TITLE
        for item in decision.ranked
    )


def text_disagreements(scored: ScoredCandidate) -> tuple[str, ...]:
    """The notes of the text components (title, artist, version) that clearly disagree.

    For a recording found by the track's own identifier: it is accepted all the same, and
    these lines tell a curator how the typed text differs (another script, a missing remixer).
    """
    differing = [
        name for name in TEXT_COMPONENTS if scored.components.get(name, 1.0) < DISAGREES_BELOW
    ]
    return tuple(note for note in scored.notes if note.split(" ", 1)[0] in differing)


def _floor(value: float) -> str:
    """Two decimals rounded down, so 0.849 never reads as "0.85 below 0.85"."""
    return f"{math.floor(round(value * 100, 6)) / 100:.2f}"
