"""docker-compose.yml and its override files: parse, services, references and scale-safety.

No Docker engine runs here: the files are checked statically, as `docker compose config`
would, for what this deployment depends on.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import DEPLOY, ROOT, bind_mounts, load_yaml
from tests.deploy.docs import documented_variables
from tests.deploy.variables import code_variables, compose_variables, env_example_variables

COMPOSE = ROOT / "docker-compose.yml"
OVERRIDES = sorted(DEPLOY.glob("compose.*.yml"))
APP_SERVICES = ("migrate", "web", "worker")
RESTARTING = {"always", "unless-stopped", "on-failure"}
# Secrets compose must refuse to start without (no guessable default).
REQUIRED_SECRETS = ("SECRET_KEY", "POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD")


def services(path: Path = COMPOSE) -> dict[str, Any]:
    """The services of a compose file, YAML anchors and merge keys resolved."""
    return dict(load_yaml(path)["services"])


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    """A service's dependencies and the condition it waits for."""
    return {name: rule["condition"] for name, rule in service.get("depends_on", {}).items()}


def test_the_deployment_has_every_service_of_the_issue() -> None:
    assert set(services()) == {"postgres", "migrate", "web", "worker", "prometheus", "grafana"}


def test_postgres_keeps_its_data_in_a_named_volume_and_reports_health() -> None:
    postgres = services()["postgres"]
    assert "pgdata:/var/lib/postgresql/data" in postgres["volumes"]
    assert "pgdata" in load_yaml(COMPOSE)["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert postgres["restart"] in RESTARTING


def test_migrate_runs_once_checks_the_configuration_then_migrates() -> None:
    migrate = services()["migrate"]
    assert migrate["restart"] == "no"
    command = " ".join(migrate["command"])
    assert command.index("check --deploy") < command.index("migrate --noinput")
    assert depends_on(migrate) == {"postgres": "service_healthy"}


@pytest.mark.parametrize("name", ["web", "worker"])
def test_web_and_workers_start_after_migrations_and_restart(name: str) -> None:
    service = services()[name]
    assert depends_on(service)["migrate"] == "service_completed_successfully"
    assert depends_on(service)["postgres"] == "service_healthy"
    assert service["restart"] in RESTARTING
    assert service["healthcheck"]["test"]


def test_web_is_gunicorn_on_8022_with_the_shipped_configuration() -> None:
    web = services()["web"]
    command = web["command"]
    assert command[:3] == ["gunicorn", "--config", "deploy/gunicorn.conf.py"]
    config = runpy.run_path(str(ROOT / command[2]))
    assert config["bind"] == ["0.0.0.0:8022", "0.0.0.0:8020"]
    assert [port.rsplit(":", 1)[-1] for port in web["ports"]] == ["8022"]
    assert "localhost:8022/health" in " ".join(web["healthcheck"]["test"])


def test_the_original_callers_reach_the_web_by_its_old_name_and_port() -> None:
    web = services()["web"]
    assert web["expose"] == ["8020"]
    assert "metadata-enrichment" in web["networks"]["default"]["aliases"]
    hosts = web["environment"]["ALLOWED_HOSTS"].split(",")
    assert {"metadata-enrichment", "web", "localhost"} <= set(hosts)


def test_the_compose_network_has_the_range_the_operations_guide_trusts() -> None:
    network = load_yaml(ROOT / "docker-compose.yml")["networks"]["default"]
    assert network["ipam"]["config"] == [{"subnet": "172.28.0.0/16"}]
    assert "API_TRUSTED_NETWORKS=172.28.0.0/16" in (ROOT / "docs" / "operations.md").read_text()


def test_workers_scale_no_fixed_name_no_host_port_graceful_stop() -> None:
    worker = services()["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker
    assert worker["command"][:3] == ["python", "-m", "deploy.worker"]
    assert (ROOT / "deploy" / "worker.py").is_file()
    grace = float(worker["command"][worker["command"].index("--grace") + 1])
    assert float(worker["stop_grace_period"].removesuffix("s")) > grace


def test_no_service_has_a_fixed_container_name() -> None:
    assert [name for name, service in services().items() if "container_name" in service] == []


def test_only_the_web_and_the_monitoring_publish_ports() -> None:
    published = {name for name, service in services().items() if service.get("ports")}
    assert published == {"web", "prometheus", "grafana"}
    for name in ("prometheus", "grafana"):
        assert all(
            port.startswith("${MONITORING_BIND:-127.0.0.1}:") for port in services()[name]["ports"]
        )


def test_app_services_share_one_image_built_from_the_dockerfile() -> None:
    for name in APP_SERVICES:
        service = services()[name]
        assert service["build"] == "." and service["image"] == "songnodes-enrichment:local"
    assert (ROOT / "Dockerfile").is_file()


def test_app_containers_share_one_database_and_keep_metrics_to_themselves() -> None:
    for name in APP_SERVICES:
        environment = services()[name]["environment"]
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["PROMETHEUS_MULTIPROC_DIR"].startswith(
            environment["PROMETHEUS_METRICS_DIR"]
        )
    for service in services().values():
        assert not any(
            "prometheus" in volume and ":/app/" in volume for volume in service.get("volumes", [])
        )


@pytest.mark.parametrize("path", [COMPOSE, *OVERRIDES], ids=lambda path: path.name)
def test_references_resolve_dependencies_volumes_and_mounted_files(path: Path) -> None:
    merged = {**services(), **services(path)}
    declared_volumes = set(load_yaml(COMPOSE).get("volumes") or {})
    for name, service in services(path).items():
        for dependency in depends_on(service):
            assert dependency in merged, f"{name} depends on unknown {dependency}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in declared_volumes, f"{name} uses undeclared volume {source}"
    assert bind_mounts(services()["grafana"])  # provisioning and dashboards are mounted


@pytest.mark.parametrize("path", OVERRIDES, ids=lambda path: path.name)
def test_override_files_extend_known_services(path: Path) -> None:
    added = set(services(path)) - set(services())
    assert added <= {"sandbox"}
    for name in added:
        assert services(path)[name]["image"] == "songnodes-enrichment:local"


def test_secrets_have_no_default_compose_refuses_to_start_without_them() -> None:
    text = COMPOSE.read_text()
    for name in REQUIRED_SECRETS:
        assert f"${{{name}:?" in text
        assert f"${{{name}:-" not in text


def test_every_variable_of_the_compose_files_is_documented() -> None:
    used = set().union(*(compose_variables(path) for path in [COMPOSE, *OVERRIDES]))
    assert used - documented_variables(ROOT / "docs" / "operations.md") == set()


def test_app_container_variables_are_ones_the_code_reads() -> None:
    known = code_variables()
    for name in APP_SERVICES:
        assert set(services()[name]["environment"]) - known == set(), name
    sandbox = services(DEPLOY / "compose.sandbox.yml")["worker"]["environment"]
    assert set(sandbox) - known == set()


def test_env_example_lists_every_variable_of_the_code_and_the_compose_files() -> None:
    used = code_variables() | set().union(*(compose_variables(p) for p in [COMPOSE, *OVERRIDES]))
    missing = sorted(used - env_example_variables())
    assert missing == [], f"add to .env.example (see docs/operations.md): {', '.join(missing)}"


def test_the_sandbox_override_points_every_api_of_the_registry_at_the_sandbox() -> None:
    """Its environment is written out for operators; a new provider must appear in it."""
    from enrichment.sources.registry import APIS

    environment = services(DEPLOY / "compose.sandbox.yml")["worker"]["environment"]
    expected = {
        **{
            variable: f"http://sandbox:8099{path}"
            for api in APIS
            for variable, path in api.sandbox_paths.items()
        },
        **{c.variable: c.sandbox_value for api in APIS for c in api.credentials},
    }
    assert {name: environment.get(name) for name in expected} == expected
    rates = {api.rate_limit_variable: api.rate_limit for api in APIS}
    assert set(environment) == set(expected) | set(rates)
    # The sandbox runs with --rate-scale 10: no client rate may exceed its limits.
    assert all(0 < float(environment[name]) <= 10 * rate for name, rate in rates.items())
