"""Column groups of a track that layers below Django need (the registry is read by settings)."""

from __future__ import annotations

# Audio features reported on a 0..1 scale (each column has a 0..1 check constraint).
UNIT_FEATURES = (
    "energy",
    "danceability",
    "valence",
    "acousticness",
    "instrumentalness",
    "liveness",
    "speechiness",
)
