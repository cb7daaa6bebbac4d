"""Fixtures for source tests: fast rates and fresh per-process state for every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache as django_cache

from enrichment.sources import breaker, cache


@pytest.fixture(autouse=True)
def fast_sources_and_fresh_state(settings: Any) -> Iterator[None]:
    """Every source at 1000 requests/s, and no cache/breaker objects carried between tests."""
    settings.SOURCES = {
        name: {**config, "rate_limit": 1000.0} for name, config in settings.SOURCES.items()
    }
    cache.reset_caches()
    breaker._breakers.clear()
    django_cache.clear()
    yield
    cache.reset_caches()
    breaker._breakers.clear()
