"""Shared fixtures: the repository's deployment files, and what the code really exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.parser import text_string_to_metric_families

from deploy.worker import WorkerExposition
from enrichment import metrics

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "songnodes-enrichment.json"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
# Sample names of a family in the text format, by type (multiprocess mode has no _created).
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("", "_count", "_sum"),
}
Exported = dict[str, set[str]]


def load_yaml(path: Path) -> Any:
    """A YAML file of the repository."""
    return yaml.safe_load(path.read_text())


def bind_mounts(service: dict[str, Any]) -> dict[str, str]:
    """A compose service's bind mounts: container path -> host path."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts[target] = source
    return mounts


def load_dashboard() -> dict[str, Any]:
    """The shipped Grafana dashboard."""
    return dict(json.loads(DASHBOARD.read_text()))


def _declared_labels() -> dict[str, set[str]]:
    """Label names of every metric enrichment/metrics.py declares, by family name."""
    labels: dict[str, set[str]] = {}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            for family in value.describe():
                labels[family.name] = set(getattr(value, "_labelnames", ()))
    return labels


def sample_names(text: str, declared: dict[str, set[str]]) -> Exported:
    """Each sample name an exposition text offers, with the label names it carries."""
    found: Exported = {}
    for family in text_string_to_metric_families(text):
        base = declared.get(family.name, set())
        for suffix in SUFFIXES.get(family.type, ("",)):
            extra = {"le"} if suffix == "_bucket" else set()
            found.setdefault(family.name + suffix, set()).update(base | extra)
        for sample in family.samples:
            found.setdefault(sample.name, set()).update(sample.labels)
    return found


def worker_exposition() -> str:
    """What a worker container's :9100/metrics serves."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WorkerExposition())
    return generate_latest(registry).decode()


@pytest.fixture
def exported(db: Any) -> Exported:
    """Every sample name the code exports (the web's /metrics and a worker's) -> label names."""
    response = Client().get("/metrics")
    assert response.status_code == 200
    declared = _declared_labels()
    names = sample_names(response.content.decode(), declared)
    for name, labels in sample_names(worker_exposition(), declared).items():
        names.setdefault(name, set()).update(labels)
    return names
