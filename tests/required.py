"""System tools some tests drive (Chromium, Prometheus): a skip without them, a failure in CI.

A developer without Chromium still gets a green suite (the test says what to install); CI
(`CI=true`, set by .ci/run after it installed TOOLS' packages) must run these tests, so there
a missing tool fails the test instead of hiding it behind a skip.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Tool:
    """A program a test needs, where to look for it, and the Debian package that has it."""

    name: str
    candidates: tuple[str, ...]
    package: str


CHROMIUM = Tool(
    "Chromium", ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"), "chromium"
)
PROMETHEUS = Tool("Prometheus", ("/usr/bin/prometheus", "prometheus"), "prometheus")
PROMTOOL = Tool("promtool", ("/usr/bin/promtool", "promtool"), "prometheus")
TOOLS = (CHROMIUM, PROMETHEUS, PROMTOOL)


def in_ci() -> bool:
    """Is this a CI run (CI=true, as CI services and .ci/run set it)?"""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def find(tool: Tool) -> str | None:
    """The tool's path, or None when it is not installed."""
    for candidate in tool.candidates:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def path_of(tool: Tool) -> str:
    """The tool's path; skips the test without it, or fails it when CI=true."""
    found = find(tool)
    if found:
        return found
    install = f"apt-get install {tool.package}"
    if in_ci():
        pytest.fail(
            f"CI=true: {tool.name} is required but not installed ({install}; .ci/run does it)",
            pytrace=False,
        )
    pytest.skip(f"{tool.name} is not installed (Debian: {install})")
