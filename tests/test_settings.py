"""Settings read every variable through one typed parser and derive providers from the registry."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks

from enrichment.sources.base import rate_limit
from enrichment.sources.registry import APIS, PROVIDERS, all_credentials
from songnodes.env import Environment
from songnodes.settings import source_settings

ROOT = Path(__file__).resolve().parent.parent


def errors_with_id(check_id: str) -> list[Any]:
    """The messages of one project check."""
    return [message for message in run_checks() if message.id == check_id]


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "yes", "on", " On "])
def test_the_usual_spellings_of_true_are_true(text: str) -> None:
    env = Environment({"DEBUG": text})
    assert env.boolean("DEBUG") is True and env.invalid == {}


@pytest.mark.parametrize("text", ["0", "false", "False", "no", "off"])
def test_the_usual_spellings_of_false_are_false(text: str) -> None:
    env = Environment({"DEBUG": text})
    assert env.boolean("DEBUG", True) is False and env.invalid == {}


@pytest.mark.parametrize("text", ["ture", "yes-please", "2"])
def test_a_misspelt_boolean_keeps_the_default_and_is_recorded(text: str) -> None:
    env = Environment({"API_OPEN_READS": text})
    assert env.boolean("API_OPEN_READS", False) is False
    assert env.invalid == {"API_OPEN_READS": text}


def test_an_empty_variable_means_its_default() -> None:
    env = Environment({"DEBUG": " ", "HTTP_TIMEOUT": "", "LOG_LEVEL": ""})
    assert env.boolean("DEBUG", True) is True
    assert env.number("HTTP_TIMEOUT", 15.0) == 15.0
    assert env.string("LOG_LEVEL", "INFO") == "INFO"
    assert env.invalid == {}


def test_numbers_are_read_or_recorded_with_their_kind() -> None:
    env = Environment({"ENRICH_THREADS": "8", "ENRICH_BATCH_SIZE": "1.5", "HTTP_TIMEOUT": "2.5"})
    assert env.integer("ENRICH_THREADS", 16) == 8
    assert env.integer("ENRICH_BATCH_SIZE", 100) == 100
    assert env.number("HTTP_TIMEOUT", 15.0) == 2.5
    assert env.invalid == {"ENRICH_BATCH_SIZE": "1.5"}
    assert env.kinds == {
        "ENRICH_THREADS": "integer",
        "ENRICH_BATCH_SIZE": "integer",
        "HTTP_TIMEOUT": "number",
    }


@pytest.mark.parametrize("text", ["fast", "0", "-1", "nan", "inf", "1,5"])
def test_a_rate_must_be_a_positive_number(text: str) -> None:
    env = Environment({"DISCOGS_RATE_LIMIT": text})
    assert env.rate("DISCOGS_RATE_LIMIT", 0.9) == 0.9
    assert env.invalid == {"DISCOGS_RATE_LIMIT": text}


def test_a_list_set_but_empty_has_no_items() -> None:
    env = Environment({"CORS_ALLOWED_ORIGINS": "", "ALLOWED_HOSTS": " a , b ,,"})
    assert env.strings("CORS_ALLOWED_ORIGINS", "x") == []
    assert env.strings("ALLOWED_HOSTS") == ["a", "b"]
    assert env.strings("ENRICHMENT_SOURCES", "spotify,deezer") == ["spotify", "deezer"]


def test_a_misspelt_boolean_is_a_check_error_naming_the_variable(settings: Any) -> None:
    settings.INVALID_SETTINGS = {"DEBUG": "ture", "API_OPEN_READS": "yes-please"}
    errors = errors_with_id("songnodes.E008")
    assert [error.obj for error in errors] == ["API_OPEN_READS", "DEBUG"]
    assert "DEBUG='ture' is not a boolean" in errors[1].msg


def test_a_bad_rate_is_reported_once_as_a_rate(settings: Any) -> None:
    settings.INVALID_SETTINGS = {"DEEZER_RATE_LIMIT": "fast"}
    assert errors_with_id("songnodes.E008") == []
    [error] = errors_with_id("songnodes.E001")
    assert error.obj == "DEEZER_RATE_LIMIT"


@pytest.mark.slow
def test_manage_py_check_stops_on_a_misspelt_boolean() -> None:
    env = {**os.environ, "DEBUG": "ture", "API_OPEN_READS": "yes-please"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode != 0
    assert "DEBUG='ture' is not a boolean" in result.stderr
    assert "API_OPEN_READS='yes-please' is not a boolean" in result.stderr


def test_every_credential_of_the_registry_is_a_setting(settings: Any) -> None:
    for credential in all_credentials():
        assert isinstance(getattr(settings, credential.variable), str)
    assert hasattr(settings, "BEATPORT_API_KEY")


def test_every_api_has_its_url_and_rate_from_the_registry_by_default() -> None:
    sources = source_settings(Environment({}))
    assert list(sources) == [api.name for api in APIS]
    for api in APIS:
        assert sources[api.name]["api_url"] == api.api_url
        assert sources[api.name]["rate_limit"] == api.rate_limit


def test_an_api_url_and_rate_variable_override_the_registry() -> None:
    [api, *_] = APIS
    env = Environment({api.api_url_variable: "http://sandbox/x", api.rate_limit_variable: "7.5"})
    config = source_settings(env)[api.name]
    assert config["api_url"] == "http://sandbox/x"
    assert config["rate_limit"] == 7.5


def test_the_rate_limiter_reads_the_rate_settings_parsed(settings: Any) -> None:
    settings.SOURCES = {
        name: {**config, "rate_limit": 4.25} for name, config in settings.SOURCES.items()
    }
    assert {rate_limit(api.name) for api in APIS} == {4.25}


def test_the_settings_module_names_no_provider() -> None:
    text = (ROOT / "songnodes" / "settings.py").read_text()
    names = {provider.name for provider in PROVIDERS}
    named = {word for word in re.findall(r"\w+", text.lower()) if word in names}
    assert named == set()
