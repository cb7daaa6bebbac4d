"""Every default docs/operations.md and .env.example give is the one settings really use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from enrichment.sources.registry import all_credentials
from tests.deploy.conftest import ROOT
from tests.deploy.docs import documented_defaults

GUIDE = ROOT / "docs" / "operations.md"


def as_written(value: object) -> str:
    """A settings default spelt the way the documentation writes it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Path):
        return str(value.relative_to(ROOT)) if value.is_relative_to(ROOT) else str(value)
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


def same(name: str, documented: str) -> bool:
    """Whether a documented value is the default of a setting (lists in any order)."""
    default = as_written(settings.SETTING_DEFAULTS[name])
    if settings.SETTING_KINDS[name] == "list":
        return set(documented.split(",")) == set(default.split(","))
    return documented == default


def derived(text: str) -> bool:
    """Whether a documented default is given in terms of another variable."""
    return any(re.search(rf"\b{name}\b", text) for name in settings.SETTING_DEFAULTS)


def env_example_values() -> dict[str, str]:
    """The variables .env.example sets to a value (an empty one means the default)."""
    text = (ROOT / ".env.example").read_text()
    pairs = re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", text, flags=re.MULTILINE)
    return {name: value.strip() for name, value in pairs if value.strip()}


def test_settings_record_the_default_of_every_variable_they_read() -> None:
    assert set(settings.SETTING_DEFAULTS) == set(settings.SETTING_KINDS)


def literal_defaults() -> dict[str, str]:
    """The guide's literal defaults of the variables settings read (derived ones left out)."""
    return {
        name: text
        for name, text in documented_defaults(GUIDE).items()
        if name in settings.SETTING_DEFAULTS and not derived(text)
    }


def test_the_guide_gives_a_literal_default_for_most_settings() -> None:
    assert len(literal_defaults()) > len(settings.SETTING_DEFAULTS) // 2


@pytest.mark.parametrize("name", sorted(literal_defaults()))
def test_the_guide_gives_the_default_settings_use(name: str) -> None:
    documented = literal_defaults()[name]
    assert same(name, documented), (documented, as_written(settings.SETTING_DEFAULTS[name]))


def test_env_example_sets_every_variable_to_its_default_or_leaves_it_empty() -> None:
    # A credential's value there is an example to replace, not a default.
    examples = {credential.variable for credential in all_credentials()}
    wrong = {
        name: (value, as_written(settings.SETTING_DEFAULTS[name]))
        for name, value in env_example_values().items()
        if name in settings.SETTING_DEFAULTS and name not in examples
        if not same(name, value)
    }
    assert wrong == {}
