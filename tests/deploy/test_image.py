"""The production image: slim, pinned, non-root, with the files its containers run."""

from __future__ import annotations

import fnmatch
import importlib
import re
import runpy
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from packaging.requirements import Requirement

from tests.deploy.conftest import ROOT, load_yaml

DOCKERFILE = (ROOT / "Dockerfile").read_text()
# What the containers run or read; the image must not lose them to .dockerignore.
NEEDED = [
    "manage.py",
    "requirements.txt",
    "songnodes/settings.py",
    "enrichment/tasks.py",
    "templates",
    "sandbox/server.py",
    "sandbox/data/sample_tracks.csv",
    "deploy/gunicorn.conf.py",
    "deploy/worker.py",
]
NEVER = [".env", ".git", ".venv", ".songnodes", "tests"]


def normalise(name: str) -> str:
    """A distribution name as pip compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned() -> dict[str, str]:
    """requirements.txt: distribution -> exact version."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, separator, version = line.partition("==")
            assert separator and version, f"not pinned: {line}"
            pins[normalise(Requirement(name).name)] = version
    return pins


def final_stage() -> list[str]:
    """The instructions of the Dockerfile's last stage."""
    lines = re.sub(r"\\\n\s*", " ", DOCKERFILE).splitlines()
    start = max(index for index, line in enumerate(lines) if line.startswith("FROM "))
    return [line for line in lines[start:] if line and not line.startswith("#")]


def matches(pattern: str, path: str) -> bool:
    """Docker's rule: a pattern matches the path or one of its parent directories."""
    parts = Path(path).parts
    candidates = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    if pattern.startswith("**/"):  # at any depth
        pattern = pattern.removeprefix("**/")
        candidates = [
            "/".join(parts[start:end]) for end in range(1, len(parts) + 1) for start in range(end)
        ]
    return any(fnmatch.fnmatch(candidate, pattern) for candidate in candidates)


def ignored(path: str) -> bool:
    """Would .dockerignore keep this path out of the build context (last matching rule wins)?"""
    result = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        rule = line.strip()
        if rule and not rule.startswith("#") and matches(rule.lstrip("!"), path):
            result = not rule.startswith("!")
    return result


def test_base_image_is_slim_and_pinned_to_a_release() -> None:
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, flags=re.MULTILINE)
    assert base and re.fullmatch(r"python:3\.\d+\.\d+-slim(-\w+)?", base.group(1))
    assert all(
        line.split()[1] == "${PYTHON_IMAGE}"
        for line in DOCKERFILE.splitlines()
        if line.startswith("FROM")
    )


def test_the_service_runs_as_a_non_root_user() -> None:
    stage = final_stage()
    users = [line.split()[1] for line in stage if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    uid = re.search(r"useradd .*--uid (\d+)", DOCKERFILE)
    assert uid and uid.group(1) != "0"
    command = next(index for index, line in enumerate(stage) if line.startswith("CMD "))
    assert max(index for index, line in enumerate(stage) if line.startswith("USER ")) < command


def test_exactly_the_pinned_dependencies_are_installed() -> None:
    assert "pip install --no-deps -r /tmp/requirements.txt" in DOCKERFILE
    assert "pip check" in DOCKERFILE
    assert pinned()


def test_the_pinned_set_holds_every_dependency_of_its_members() -> None:
    pins = pinned()
    missing = set()
    for name in pins:
        for requirement in map(Requirement, metadata.distribution(name).requires or []):
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            if normalise(requirement.name) not in pins:
                missing.add(f"{requirement.name} (needed by {name})")
    assert missing == set()


def test_every_app_and_middleware_settings_load_is_pinned() -> None:
    owners = metadata.packages_distributions()
    ours = {"songnodes", "enrichment", "sandbox", "django"}
    unpinned = set()
    for dotted in [*settings.INSTALLED_APPS, *settings.MIDDLEWARE]:
        package = dotted.split(".")[0]
        distributions = {normalise(name) for name in owners.get(package, [])}
        if package not in ours and not distributions & set(pinned()):
            unpinned.add(f"{package} ({', '.join(sorted(distributions)) or '?'})")
    assert unpinned == set(), "add these to requirements.in/requirements.txt"


def test_web_command_of_the_image_is_the_one_compose_runs() -> None:
    command = next(line for line in final_stage() if line.startswith("CMD "))
    web = load_yaml(ROOT / "docker-compose.yml")["services"]["web"]["command"]
    assert command == "CMD " + str(web).replace("'", '"')
    exposed = next(line for line in final_stage() if line.startswith("EXPOSE "))
    assert {"8022", "8020", "9100"} <= set(exposed.split()[1:])


@pytest.mark.parametrize("path", NEEDED)
def test_the_build_context_keeps_what_the_containers_run(path: str) -> None:
    assert (ROOT / path).exists()
    assert not ignored(path)


@pytest.mark.parametrize("path", NEVER)
def test_the_build_context_leaves_out_secrets_and_local_state(path: str) -> None:
    assert ignored(path)


def test_no_key_or_database_is_baked_into_the_image() -> None:
    collect = next(line for line in final_stage() if "collectstatic" in line)
    assert "SECRET_KEY=" in collect and "DATABASE_URL=" in collect


def gunicorn_config(monkeypatch: pytest.MonkeyPatch, **environment: str) -> dict[str, Any]:
    """deploy/gunicorn.conf.py evaluated under an environment."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))


@pytest.mark.parametrize(
    ("log_format", "formatter"), [("json", "JsonFormatter"), ("", "PlainFormatter")]
)
def test_gunicorn_logs_in_the_application_format(
    monkeypatch: pytest.MonkeyPatch, log_format: str, formatter: str
) -> None:
    config = gunicorn_config(monkeypatch, LOG_FORMAT=log_format)["logconfig_dict"]
    factory = config["formatters"]["songnodes"]["()"]
    assert factory == f"enrichment.logging.{formatter}"
    module, _, name = factory.rpartition(".")
    assert hasattr(importlib.import_module(module), name)
    for handler in config["handlers"].values():
        assert handler["formatter"] in config["formatters"] and set(handler["filters"]) <= set(
            config["filters"]
        )
    for logger in config["loggers"].values():
        assert set(logger["handlers"]) <= set(config["handlers"]) and logger["propagate"] is False


def test_gunicorn_starts_metrics_from_zero_and_forgets_dead_workers_gauges(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = gunicorn_config(monkeypatch, PROMETHEUS_METRICS_DIR=str(tmp_path))
    (tmp_path / "host").mkdir()
    (tmp_path / "host" / "counter_7.db").write_bytes(b"\0")
    config["on_starting"](None)
    assert list(tmp_path.rglob("*.db")) == []
    for name in ("counter_8.db", "gauge_livemax_8.db", "gauge_livemax_9.db"):
        (tmp_path / name).write_bytes(b"\0")
    config["child_exit"](None, type("Worker", (), {"pid": 8})())
    assert sorted(path.name for path in tmp_path.glob("*.db")) == [
        "counter_8.db",
        "gauge_livemax_9.db",
    ]
