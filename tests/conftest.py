"""Shared fixtures: tests run against a real Postgres (embedded, or DATABASE_URL)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_track


@pytest.fixture
def track(db: Any) -> Any:
    """One imported, not yet enriched track."""
    return make_track()
