"""Point the sources at a sandbox running in this process (tests and benchmarks)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings

from enrichment.sources import breaker, cache, registry
from sandbox import server


def sandbox_settings(base_url: str, rate: float | None = None) -> dict[str, Any]:
    """Django settings that send every source to the sandbox, with its fake credentials.

    The sources asked are the default ones given those credentials (opt-in ones included).
    """
    lines = dict(line.split("=", 1) for line in server.env_lines(base_url))
    sources = {
        name: {**config, "api_url": lines[registry.provider(name).api_url_variable]}
        | ({"rate_limit": float(rate)} if rate else {})
        for name, config in settings.SOURCES.items()
    }
    extra_urls = {variable: lines[variable] for api in registry.APIS for variable in api.extra_urls}
    credentials = {
        c.variable: lines[c.variable] for c in registry.all_credentials() if c.sandbox_value
    }
    return {
        "SOURCES": sources,
        **extra_urls,
        **credentials,
        "ENRICHMENT_SOURCES": registry.default_sources(credentials),
    }


@contextmanager
def running_sandbox(django_settings: Any, **options: Any) -> Iterator[Any]:
    """A sandbox in a background thread with every source pointed at it."""
    sandbox = server.start(0, **options)
    try:
        for name, value in sandbox_settings(sandbox.url, rate=1000).items():
            setattr(django_settings, name, value)
        cache.reset_caches()
        breaker._breakers.clear()
        yield sandbox
    finally:
        sandbox.stop()
        cache.reset_caches()
