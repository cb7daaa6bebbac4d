"""The alert rules fire as documented (`promtool test rules`), and promtool accepts the config."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests import required
from tests.deploy.conftest import ALERTS, DEPLOY, load_yaml

RULE_TESTS = DEPLOY / "prometheus" / "alerts.test.yml"
CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
# Where compose mounts deploy/prometheus in the Prometheus container (test_alerts checks it).
MOUNTED_AT = "/etc/prometheus/"
pytestmark = pytest.mark.slow


@pytest.fixture
def promtool() -> str:
    return required.path_of(required.PROMTOOL)


def run(promtool: str, *args: str, cwd: Path = DEPLOY / "prometheus") -> str:
    """Run promtool; its output, failing the test (with that output) on a non-zero exit."""
    done = subprocess.run(
        [promtool, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"promtool {' '.join(args)} failed:\n{output}"
    return output


def test_every_alert_fires_and_stays_quiet_as_its_unit_tests_say(promtool: str) -> None:
    assert "SUCCESS" in run(promtool, "test", "rules", RULE_TESTS.name)


def test_promtool_accepts_the_alert_rules_with_every_lint(promtool: str) -> None:
    assert "SUCCESS: 8 rules found" in run(
        promtool, "check", "rules", "--lint=all", "--lint-fatal", ALERTS.name
    )


def test_promtool_accepts_the_shipped_config_where_compose_mounts_it(
    promtool: str, tmp_path: Path
) -> None:
    run(promtool, "check", "config", "--syntax-only", CONFIG.name)
    mounted = tmp_path / "etc-prometheus"
    shutil.copytree(DEPLOY / "prometheus", mounted)
    config = mounted / CONFIG.name
    config.write_text(config.read_text().replace(MOUNTED_AT, f"{mounted}/"))
    output = run(promtool, "check", "config", config.name, cwd=mounted)
    assert "SUCCESS: 8 rules found" in output  # the rule file it names was found and loaded


def rule_tests() -> list[dict[str, Any]]:
    """Every alert_rule_test of the unit test file."""
    return [case for test in load_yaml(RULE_TESTS)["tests"] for case in test["alert_rule_test"]]


def test_every_alert_has_a_case_where_it_fires_and_one_where_it_does_not() -> None:
    alerts = {rule["alert"] for group in load_yaml(ALERTS)["groups"] for rule in group["rules"]}
    firing = {case["alertname"] for case in rule_tests() if case["exp_alerts"]}
    quiet = {case["alertname"] for case in rule_tests() if not case["exp_alerts"]}
    assert (alerts - firing, alerts - quiet) == (set(), set())


def test_the_unit_tests_load_the_shipped_rules() -> None:
    assert load_yaml(RULE_TESTS)["rule_files"] == [ALERTS.name]
