"""Review entries shaped for display: candidates side by side with scores and components."""

from __future__ import annotations

from dataclasses import dataclass

from enrichment.admin.links import candidate_url
from enrichment.admin.reviews import ProviderReview, pending_reviews
from enrichment.matching import WEIGHTS, ScoredCandidate
from enrichment.models import Track

COMPONENTS = tuple(WEIGHTS)  # title, artist, version, duration, upstream


@dataclass(frozen=True)
class Component:
    """One named score component of a candidate (None: nothing to compare)."""

    name: str
    value: float | None

    @property
    def grade(self) -> str:
        """good / fair / poor, for colouring."""
        if self.value is None:
            return "none"
        return "good" if self.value >= 0.9 else "fair" if self.value >= 0.6 else "poor"


@dataclass(frozen=True)
class CandidateRow:
    """One candidate as a table row."""

    rank: int
    scored: ScoredCandidate
    url: str | None
    duration: str
    components: tuple[Component, ...]

    @property
    def identifier(self) -> str:
        return self.scored.candidate.identifier


@dataclass(frozen=True)
class ReviewCard:
    """One provider's candidates for one track."""

    provider: str
    reason: str
    rows: tuple[CandidateRow, ...]


def minutes(duration_ms: int | None) -> str:
    """m:ss, or an empty string when unknown."""
    if not duration_ms:
        return ""
    seconds = round(duration_ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def review_cards(track: Track) -> list[ReviewCard]:
    """Every readable review entry of the track, candidates best first."""
    return [
        ReviewCard(review.provider, review.decision.reason, _rows(review))
        for review in pending_reviews(track)
    ]


def _rows(review: ProviderReview) -> tuple[CandidateRow, ...]:
    return tuple(
        CandidateRow(
            rank=rank,
            scored=item,
            url=candidate_url(review.provider, item.candidate.identifier),
            duration=minutes(item.candidate.duration_ms),
            components=tuple(Component(n, item.components.get(n)) for n in COMPONENTS),
        )
        for rank, item in enumerate(review.decision.ranked, start=1)
    )
