"""Shared fixtures: tests run against a real Postgres (embedded, or DATABASE_URL)."""

from __future__ import annotations

from typing import Any

import pytest

from enrichment import lookups
from tests import fakes as f
from tests.factories import make_track


@pytest.fixture
def track(db: Any) -> Any:
    """One imported, not yet enriched track."""
    return make_track()


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> f.Fakes:
    """Fake adapters behind the registry, all knowing "deadmau5 - Strobe"."""
    fakes = f.Fakes()
    monkeypatch.setattr(lookups, "SOURCES", fakes.classes())
    f.full_catalogue(fakes)
    return fakes
