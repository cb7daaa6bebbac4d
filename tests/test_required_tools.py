"""Tests that need a system tool skip on a developer's machine without it, and fail in CI."""

from __future__ import annotations

import re
import shutil

import pytest

from tests import required
from tests.subprocesses import ROOT

MISSING = required.Tool("frobnicator", ("/nonexistent/frobnicator",), "frobnicator-pkg")


def ci_packages() -> set[str]:
    """The Debian packages .ci/run installs (its PACKAGES line)."""
    text = (ROOT / ".ci" / "run").read_text()
    match = re.search(r'^PACKAGES="([^"]*)"', text, re.MULTILINE)
    assert match, ".ci/run has no PACKAGES line"
    return set(match.group(1).split())


def test_a_missing_tool_is_a_skip_naming_the_package_outside_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install frobnicator-pkg"):
        required.path_of(MISSING)


@pytest.mark.parametrize("value", ["true", "1", "yes", "TRUE"])
def test_a_missing_tool_is_a_failure_naming_the_package_when_ci_is_set(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match=r"CI=true.*apt-get install frobnicator-pkg"):
        required.path_of(MISSING)


def test_ci_false_or_empty_is_a_developer_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("", "false", "0"):
        monkeypatch.setenv("CI", value)
        assert not required.in_ci()


def test_a_present_tool_is_found_by_its_first_existing_candidate() -> None:
    sh = required.Tool("sh", ("/nonexistent/sh", "sh"), "dash")
    assert required.path_of(sh) == shutil.which("sh")


def test_ci_installs_every_package_a_test_requires_and_runs_make_test_with_ci_set() -> None:
    assert {tool.package for tool in required.TOOLS} <= ci_packages()
    script = (ROOT / ".ci" / "run").read_text()
    assert script.index("export CI=true") < script.index("make test")
