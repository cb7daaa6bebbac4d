"""Builders for admin tests: kept review decisions, and reading back queued jobs."""

from __future__ import annotations

from typing import Any

from procrastinate.contrib.django.models import ProcrastinateJob

from enrichment.matching import Candidate, MatchDecision, Query, score_candidate
from enrichment.models import Track
from enrichment.tasks import queueing_lock

SPOTIFY_A = "4uLU6hMCjMI75M1A2tKUQC"
SPOTIFY_B = "7ouMYWpwJ422jRcDASZB7P"
MBID_A = "5b6b2b8e-0d3b-4a5d-9b0e-6a1f3d2c1b00"


def review_entry(track: Track, provider: str, candidates: list[Candidate]) -> dict[str, Any]:
    """The pipeline's stored form of an undecided match for these candidates."""
    query = Query(track.artist_name, track.title, track.duration_ms)
    ranked = tuple(
        sorted((score_candidate(query, c) for c in candidates), key=lambda item: -item.score)
    )
    return MatchDecision(None, ranked, "review: margin 0.02 below 0.08").to_dict()


def spotify_candidates(
    track: Track, ids: tuple[str, str] = (SPOTIFY_A, SPOTIFY_B)
) -> list[Candidate]:
    """Two Spotify takes of the track (these ids): the original and a radio edit."""
    return [
        Candidate(
            "spotify",
            ids[0],
            track.artist_name,
            track.title,
            (track.artist_name,),
            duration_ms=215_000,
            isrc="GBAYE0601498",
        ),
        Candidate(
            "spotify",
            ids[1],
            track.artist_name,
            f"{track.title} - Radio Edit",
            (track.artist_name,),
            duration_ms=190_000,
            isrc="GBAYE0601499",
        ),
    ]


def with_review(track: Track, provider: str, candidates: list[Candidate]) -> Track:
    """Store an undecided match on the track, as the pipeline does."""
    track.metadata = {
        **track.metadata,
        "review": {
            **track.metadata.get("review", {}),
            provider: review_entry(track, provider, candidates),
        },
    }
    track.save(update_fields=["metadata"])
    return track


def jobs_of(track: Track) -> list[ProcrastinateJob]:
    """Every job queued for the track, oldest first."""
    return list(
        ProcrastinateJob.objects.filter(queueing_lock=queueing_lock(track.pk)).order_by("id")
    )
