"""The shipped Grafana dashboard: sound queries, on metrics and labels the code exports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.deploy.conftest import DEPLOY, ROOT, Exported, bind_mounts, load_dashboard, load_yaml
from tests.deploy.promql import TARGET_LABELS, label_names, metric_names, problems

# The seed's list: throughput and success, API latency and errors, cache, breakers, queue, time.
REQUIRED_METRICS = {
    "tracks_enriched_total",
    "enrichment_tasks_total",
    "enrichment_source_outcomes_total",
    "api_response_time_seconds_bucket",
    "api_calls_total",
    "enrichment_cache_hits_total",
    "enrichment_cache_misses_total",
    "circuit_breaker_state",
    "enrichment_queue_jobs",
    "enrichment_duration_seconds_bucket",
}


def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every panel, rows' nested panels included."""
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))


def queries() -> Iterator[tuple[str, str]]:
    """(panel title, PromQL) for every query of the dashboard."""
    for panel in panels(load_dashboard()["panels"]):
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


def test_every_query_is_sound() -> None:
    found = {f"{title}: {expr}": problems(expr) for title, expr in queries()}
    assert {query: issues for query, issues in found.items() if issues} == {}


def test_every_panel_queries_only_metrics_the_code_exports(exported: Exported) -> None:
    unknown = {
        f"{title}: {name}"
        for title, expr in queries()
        for name in metric_names(expr)
        if name not in exported
    }
    assert unknown == set()


def test_every_label_a_panel_uses_exists_on_its_metrics(exported: Exported) -> None:
    wrong = {}
    for title, expr in queries():
        known = set(TARGET_LABELS).union(
            *(exported.get(name, set()) for name in metric_names(expr))
        )
        if label_names(expr) - known:
            wrong[title] = label_names(expr) - known
    assert wrong == {}


def test_the_seed_list_of_graphs_is_covered() -> None:
    used = set().union(*(metric_names(expr) for _, expr in queries()))
    assert REQUIRED_METRICS - used == set()


def test_panels_have_unique_ids_and_do_not_overlap() -> None:
    visible = list(panels(load_dashboard()["panels"]))
    ids = [panel["id"] for panel in visible]
    assert len(ids) == len(set(ids))
    cells: dict[tuple[int, int], str] = {}
    for panel in visible:
        box = panel["gridPos"]
        assert box["x"] + box["w"] <= 24, panel["title"]
        for x in range(box["x"], box["x"] + box["w"]):
            for y in range(box["y"], box["y"] + box["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells.get((x, y))}"
                cells[(x, y)] = panel["title"]


def test_queries_use_the_provisioned_prometheus() -> None:
    dashboard = load_dashboard()
    variable = next(v for v in dashboard["templating"]["list"] if v["type"] == "datasource")
    provisioned = load_yaml(DEPLOY / "grafana/provisioning/datasources/prometheus.yml")
    uids = {source["uid"] for source in provisioned["datasources"]}
    assert variable["current"]["value"] in uids
    for panel in panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${" + variable["name"] + "}", panel["title"]


def test_grafana_loads_the_dashboard_from_where_compose_mounts_it() -> None:
    provider = load_yaml(DEPLOY / "grafana/provisioning/dashboards/songnodes.yml")["providers"][0]
    grafana = load_yaml(ROOT / "docker-compose.yml")["services"]["grafana"]
    assert bind_mounts(grafana)[provider["options"]["path"]] == "./deploy/grafana/dashboards"
    assert load_dashboard()["uid"] == "songnodes-enrichment"
