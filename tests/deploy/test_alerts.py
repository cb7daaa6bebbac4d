"""Prometheus configuration and alert rules: they parse, and refer to what the code exports."""

from __future__ import annotations

import re
from typing import Any

from tests.deploy.conftest import ALERTS, DEPLOY, ROOT, Exported, bind_mounts, load_yaml
from tests.deploy.docs import anchors
from tests.deploy.promql import TARGET_LABELS, label_names, metric_names, problems

DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
SEVERITIES = {"warning", "critical"}


def rules() -> list[dict[str, Any]]:
    """Every alerting rule of alerts.yml."""
    groups = load_yaml(ALERTS)["groups"]
    assert groups and all(group["name"] and group["rules"] for group in groups)
    return [rule for group in groups for rule in group["rules"]]


def test_every_rule_has_the_fields_prometheus_and_operators_need() -> None:
    for rule in rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["alert"])
        assert DURATION.match(rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert {"summary", "description", "runbook"} <= set(rule["annotations"]), rule["alert"]
    assert len({rule["alert"] for rule in rules()}) == len(rules())


def test_every_expression_is_sound() -> None:
    assert {
        rule["alert"]: problems(rule["expr"]) for rule in rules() if problems(rule["expr"])
    } == {}


def test_every_alert_uses_only_metrics_and_labels_the_code_exports(exported: Exported) -> None:
    for rule in rules():
        names = metric_names(rule["expr"])
        assert names <= set(exported), rule["alert"]
        known = set(TARGET_LABELS).union(*(exported.get(name, set()) for name in names))
        assert label_names(rule["expr"]) <= known, rule["alert"]


def test_the_issue_alerts_exist_open_breaker_growing_queue_falling_success() -> None:
    watched = {rule["alert"]: metric_names(rule["expr"]) for rule in rules()}
    assert "circuit_breaker_state" in watched["CircuitBreakerOpen"]
    assert "enrichment_queue_jobs" in watched["EnrichmentQueueGrowing"]
    assert "tracks_enriched_total" in watched["EnrichmentSuccessRateFalling"]


def test_templates_in_annotations_are_closed() -> None:
    for rule in rules():
        for text in rule["annotations"].values():
            assert text.count("{{") == text.count("}}"), rule["alert"]


def test_every_runbook_points_at_a_section_of_the_operations_guide() -> None:
    sections = anchors(ROOT / "docs" / "operations.md")
    for rule in rules():
        path, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert path == "docs/operations.md" and anchor in sections, rule["alert"]


def test_prometheus_loads_the_rules_it_is_given() -> None:
    config = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    mounted = bind_mounts(load_yaml(ROOT / "docker-compose.yml")["services"]["prometheus"])
    assert mounted["/etc/prometheus"] == "./deploy/prometheus"
    for rule_file in config["rule_files"]:
        assert (DEPLOY / "prometheus" / rule_file.removeprefix("/etc/prometheus/")).is_file()


def test_prometheus_scrapes_the_web_and_every_worker() -> None:
    compose = load_yaml(ROOT / "docker-compose.yml")["services"]
    jobs = {
        job["job_name"]: job
        for job in load_yaml(DEPLOY / "prometheus/prometheus.yml")["scrape_configs"]
    }
    web = jobs["songnodes-web"]
    assert web["metrics_path"] == "/metrics"
    assert web["static_configs"][0]["targets"] == ["web:8022"]
    assert "web" in compose["web"]["environment"]["ALLOWED_HOSTS"].split(",")
    worker = jobs["songnodes-worker"]
    discovery = worker["dns_sd_configs"][0]
    assert discovery["names"] == ["worker"] and discovery["type"] == "A"
    assert str(discovery["port"]) == compose["worker"]["environment"]["WORKER_METRICS_PORT"]
    assert str(discovery["port"]) in compose["worker"]["expose"]


def test_remote_worker_targets_file_is_a_valid_file_sd_list() -> None:
    config = load_yaml(DEPLOY / "prometheus/prometheus.yml")
    worker = next(job for job in config["scrape_configs"] if job["job_name"] == "songnodes-worker")
    pattern = worker["file_sd_configs"][0]["files"][0].removeprefix("/etc/prometheus/")
    files = list((DEPLOY / "prometheus").glob(pattern))
    assert files
    for path in files:
        targets = load_yaml(path)
        assert isinstance(targets, list)
        assert all(isinstance(group["targets"], list) for group in targets)
