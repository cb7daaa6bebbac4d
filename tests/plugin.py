"""Pytest plugin (pyproject's `-p tests.plugin`): the process is prepared before Django starts.

pytest-django loads settings and sets Django up while pytest loads the first conftests, so
songnodes.bootstrap.prepare() runs in a hook ahead of it: the metrics directory must be in
the environment before Django's apps import prometheus_client, and the development secret key
must exist before settings read it. The embedded Postgres starts on the first connection.
"""

from __future__ import annotations

import os

import pytest

from songnodes.bootstrap import prepare


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    """Prepare this process (and the processes tests start) for Django."""
    prepare()
    # Which sources a track's job leaves to follow-ups must not depend on how busy the
    # limiter happens to be: tests see the plain split; tests/test_pacing.py turns the
    # default (a free API asked at once) back on where it tests it.
    os.environ.setdefault("ENRICH_INLINE_WHEN_IDLE", "false")
