"""The default catalogue and the demo list never change: tests and the demo depend on them."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from sandbox.catalogue import Catalogue, sample_tracks

# Digests of catalogue() (seed 2024, 3000 recordings) and sample_tracks() as first released; a
# refactor of the generator, records or API modules must leave them alone.
CATALOGUE_SHA256 = "2b631ebe2b13bd032085cb581d43948fcaccf45272c3ff4aebd74750fae0e743"
SAMPLE_SHA256 = "c4555e983bfbc4fbb227c834f750163901a4224f3ee4d14e5bd4120ec6f6cc02"


def _digest(value: Any) -> str:
    text = json.dumps(value, default=sorted, sort_keys=True)  # sets (sources, tags) sorted
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_default_catalogue_is_the_same_record_for_record(data: Catalogue) -> None:
    assert _digest([dataclasses.asdict(r) for r in data.recordings]) == CATALOGUE_SHA256


def test_the_demo_import_list_is_the_same_row_for_row() -> None:
    assert _digest(sample_tracks()) == SAMPLE_SHA256
