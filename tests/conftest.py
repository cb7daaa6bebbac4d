"""Shared fixtures: tests run against a real Postgres (embedded, or DATABASE_URL)."""

from __future__ import annotations

from typing import Any

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from enrichment import attempt_reports, lookups, pipeline
from enrichment.api import waiting
from enrichment.attempt_reports import AttemptReport
from enrichment.sources import spotify
from tests import fakes as f
from tests.factories import make_track


@pytest.fixture(autouse=True)
def no_remembered_spotify_flag() -> None:
    """Each test reads the shared audio-features flag afresh (its cache starts empty)."""
    spotify.forget_features_flag()


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


@pytest.fixture
def inline_worker(settings: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A synchronous POST /enrich's job runs in the test, as a worker would run it; the ids
    of the jobs run. (tests/compat runs a real worker process.)"""
    settings.ENRICH_SYNC_TIMEOUT = 5
    ran: list[int] = []

    def run_then_wait(job_id: int, track_id: str, timeout: float) -> AttemptReport | None:
        job = ProcrastinateJob.objects.get(id=job_id)
        result = pipeline.enrich(job.args["track_id"], force_refresh=job.args["force_refresh"])
        attempt_reports.remember(job_id, result)
        ran.append(job_id)
        return waiting_for(job_id, track_id, timeout)

    waiting_for = waiting.wait_for_attempt
    monkeypatch.setattr(waiting, "wait_for_attempt", run_then_wait)
    return ran
