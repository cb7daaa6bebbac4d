"""GET /metrics: every process's samples (multiprocess files) plus gauges read from Postgres.

Web and worker processes write their counters and histograms to PROMETHEUS_MULTIPROC_DIR
(set in settings, before prometheus_client is imported; one directory per host under
PROMETHEUS_METRICS_DIR); a scrape merges the files of every process, dead ones included, so
no worker count is lost. Queue depth, tracks per status and
breaker states are read from the database at scrape time, so they are right cluster-wide
(no process publishes a breaker gauge of its own: the shared row is the only source).
"""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Metric,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.multiprocess import MultiProcessCollector

from enrichment import metrics
from enrichment.models import CircuitBreakerState, EnrichmentStatus, jobs
from enrichment.sources.registry import APIS

logger = logging.getLogger(__name__)
BREAKER_STATES = CircuitBreakerState.State.values


def multiprocess() -> bool:
    """Do this process's metrics live in the multiprocess directory?"""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


def sample_files() -> list[str]:
    """Every process's files: all hosts' under PROMETHEUS_METRICS_DIR, and this one's own."""
    root = str(settings.PROMETHEUS_METRICS_DIR)
    own = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    files = glob.glob(os.path.join(root, "**", "*.db"), recursive=True)
    if not os.path.abspath(own).startswith(os.path.join(root, "")):
        files += glob.glob(os.path.join(own, "*.db"))
    return files


def process_families() -> list[Metric]:
    """Samples of every process (or of this one, if multiprocess mode is off)."""
    if not multiprocess():
        return list(REGISTRY.collect())
    for _ in range(3):
        try:
            return list(MultiProcessCollector.merge(sample_files(), accumulate=True))
        except FileNotFoundError:  # an exiting process removed its empty file mid-read
            continue
    return []


def declared_families() -> Iterator[Metric]:
    """Every metric enrichment/metrics.py declares, without samples (so each always appears)."""
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            yield from value.describe()


def queue_family() -> GaugeMetricFamily:
    """Jobs per queue and status (procrastinate_jobs)."""
    family = GaugeMetricFamily(
        "enrichment_queue_jobs",
        "Jobs per queue and status, read from the database at scrape time",
        labels=["queue", "status"],
    )
    for queue, counts in jobs().counts_per_queue().items():
        for job_status, count in counts.items():
            family.add_metric([queue, job_status], count)
    return family


def status_family() -> GaugeMetricFamily:
    """Tracks per enrichment status."""
    family = GaugeMetricFamily(
        "enrichment_tracks",
        "Tracks per enrichment status, read from the database at scrape time",
        labels=["status"],
    )
    for name, count in EnrichmentStatus.objects.counts().items():
        family.add_metric([name], count)
    return family


def breaker_family() -> GaugeMetricFamily:
    """circuit_breaker_state{api,state}: 1 for each API's shared state, 0 for the others."""
    family = GaugeMetricFamily(
        "circuit_breaker_state",
        "1 for the state each API's breaker is in, 0 for the others (the shared state)",
        labels=["api", "state"],
    )
    for api, current in CircuitBreakerState.objects.states(api.name for api in APIS).items():
        for state in BREAKER_STATES:
            family.add_metric([api, state], 1 if current == state else 0)
    return family


def database_families() -> list[Metric]:
    """Gauges read from Postgres, and whether it could be read."""
    up = GaugeMetricFamily("enrichment_database_up", "1 if /metrics could read the database")
    try:
        families: list[Metric] = [queue_family(), status_family(), breaker_family()]
    except DatabaseError as error:
        logger.warning("metrics: database gauges unavailable: %s", error)
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    return [up, *families]


class Exposition:
    """One scrape: process samples, database gauges, then declared metrics not yet seen."""

    def collect(self) -> Iterator[Metric]:
        """Yield each family once."""
        families = [*process_families(), *database_families()]
        seen = {family.name for family in families}
        yield from families
        yield from (f for f in declared_families() if f.name not in seen)


def exposition() -> bytes:
    """The Prometheus text for one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Exposition())
    return generate_latest(registry)


@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format (open, like the original service's)."""
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
