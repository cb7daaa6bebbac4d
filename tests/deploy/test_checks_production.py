"""Production mistakes are errors under `check --deploy`, so the compose migrate step stops."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import CheckMessage, run_checks

from tests.deploy.conftest import ROOT, load_yaml

RANDOM_KEY = "q3J0xv8Yb2pL7tW1mZc9rK4sN6dH5fG0aE8uV2iO3yT7wB1nM4xS9"


def deploy_errors() -> dict[str, list[CheckMessage]]:
    """The project's errors under --deploy, by id."""
    found: dict[str, list[CheckMessage]] = {}
    for message in run_checks(include_deployment_checks=True):
        if message.id and message.id.startswith("songnodes.E"):
            found.setdefault(message.id, []).append(message)
    return found


@pytest.fixture
def deployment(settings: Any, tmp_path: Path) -> Any:
    """A deployment whose key and hosts are fine."""
    settings.DATA_DIR, settings.SECRET_KEY = tmp_path, RANDOM_KEY
    settings.DEBUG, settings.ALLOWED_HOSTS = False, ["enrich.songnodes.org"]
    return settings


def test_a_sound_deployment_has_neither_error(deployment: Any) -> None:
    assert {"songnodes.E009", "songnodes.E010"} & set(deploy_errors()) == set()


def test_debug_on_a_public_host_is_a_deploy_error(deployment: Any) -> None:
    deployment.DEBUG = True
    [error] = deploy_errors()["songnodes.E009"]
    assert error.obj == "DEBUG" and "enrich.songnodes.org" in error.msg
    assert error.is_serious()
    deployment.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    assert "songnodes.E009" not in deploy_errors()


@pytest.mark.parametrize(
    "key",
    [
        "",
        "changeme",
        " ChangeMe ",
        "django-insecure-8f#k2l!x9v@q3w^e7r(t5y)u1i0o-p=a4s6d",
        "<python3 -c 'import secrets; print(secrets.token_urlsafe(50))'>",
    ],
)
def test_a_missing_or_well_known_secret_key_is_a_deploy_error_that_hides_it(
    deployment: Any, key: str
) -> None:
    deployment.SECRET_KEY = key
    [error] = deploy_errors()["songnodes.E010"]
    assert error.obj == "SECRET_KEY" and error.is_serious()
    assert not key.strip() or key.strip() not in error.msg + str(error.hint)


def test_the_generated_development_key_is_a_deploy_error(deployment: Any) -> None:
    (deployment.DATA_DIR / "secret_key").write_text("generated-on-this-machine")
    deployment.SECRET_KEY = "generated-on-this-machine"
    [error] = deploy_errors()["songnodes.E010"]
    assert "not set" in error.msg


def test_the_key_env_example_suggests_is_well_known(
    deployment: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env.example").write_text("SECRET_KEY=an-example-key-somebody-copied\n")
    monkeypatch.setattr("enrichment.checks_production.BASE_DIR", tmp_path)
    deployment.SECRET_KEY = "an-example-key-somebody-copied"
    assert "songnodes.E010" in deploy_errors()


def test_they_are_not_errors_outside_deploy(deployment: Any) -> None:
    deployment.DEBUG, deployment.SECRET_KEY = True, "changeme"
    ids = {message.id for message in run_checks()}
    assert {"songnodes.E009", "songnodes.E010"} & ids == set()


def test_a_url_in_allowed_hosts_is_an_error(deployment: Any) -> None:
    deployment.ALLOWED_HOSTS = ["https://enrich.songnodes.org", "localhost"]
    [error] = [m for m in run_checks() if m.id == "songnodes.E011"]
    assert "https://enrich.songnodes.org" in error.msg and error.is_serious()
    deployment.ALLOWED_HOSTS = [".songnodes.org", "[::1]", "*"]
    assert [m for m in run_checks() if m.id == "songnodes.E011"] == []


def compose_check_command() -> list[str]:
    """The configuration check the compose migrate service runs before migrating."""
    migrate = load_yaml(ROOT / "docker-compose.yml")["services"]["migrate"]
    script = migrate["command"][-1]
    [check] = [part for part in script.split("&&") if " check " in f" {part} "]
    words = shlex.split(check)
    assert words[:2] == ["python", "manage.py"] and "--deploy" in words
    return [sys.executable, *words[1:]]


def test_the_compose_migrate_step_fails_on_errors_only() -> None:
    command = compose_check_command()
    assert command[command.index("--fail-level") + 1] == "ERROR"


@pytest.mark.slow
def test_the_compose_migrate_step_stops_on_debug_and_a_well_known_key() -> None:
    env = {**os.environ, "DEBUG": "true", "ALLOWED_HOSTS": "enrich.songnodes.org"}
    env["SECRET_KEY"] = "changeme"
    result = subprocess.run(
        compose_check_command(),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode != 0
    assert "songnodes.E009" in result.stderr and "songnodes.E010" in result.stderr
    assert "changeme" not in result.stderr
