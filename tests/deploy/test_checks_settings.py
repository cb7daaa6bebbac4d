"""Every setting is validated by a system check naming the variable and what it must be."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import CheckMessage, run_checks

from enrichment.sources.registry import APIS
from songnodes.env import Environment

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "songnodes" / "settings.py"
RATE = APIS[0].rate_limit_variable
URL = APIS[0].api_url_variable

# The drills' settings that broke at run time, and what the check must say they should be.
BROKEN = [
    ("API_THROTTLE_ANON", "garbage", "a request rate such as 60/minute"),
    ("API_THROTTLE_USER", "0/minute", "a request rate such as 60/minute"),
    ("HTTP_TIMEOUT", "0", "a number above 0 and at most 3600"),
    ("HTTP_TIMEOUT", "-5", "a number above 0"),
    ("HTTP_TIMEOUT", "nan", "a number above 0"),
    ("ENRICH_THREADS", "0", "a whole number of at least 1"),
    ("RECOVER_STALLED_CRON", "garbage", "a cron schedule"),
    ("RECOVER_STALLED_CRON", "61 * * * *", "a cron schedule"),
    ("RATE_LIMIT_MAX_WAIT", "-1", "a number from 0 to 3600"),
    ("ENRICH_CLAIM_TIMEOUT", "0", "a whole number from 1 to"),
    ("CONN_MAX_AGE", "abc", "a whole number from 0 to"),
    ("CONN_MAX_AGE", "-1", "a whole number from 0 to"),
    ("DATABASE_CONNECT_TIMEOUT", "0", "a whole number from 1 to 3600"),
    ("ENRICH_BATCH_SIZE", "0", "a whole number of at least 1"),
    ("ENRICH_MAX_BATCH_REQUEST", "-3", "a whole number of at least 1"),
    ("ENRICH_BATCH_TTL", "0", "a whole number from 1 to"),
    ("STATS_CACHE_SECONDS", "-1", "a whole number from 0 to"),
    ("API_NUM_PROXIES", "-1", "a whole number from 0 to 100"),
    ("WORKER_HEARTBEAT_SECONDS", "0", "a number above 0"),
    ("STALLED_AFTER_SECONDS", "inf", "a number above 0"),
    ("WORKER_PROCESSES", "0", "a whole number from 1 to 256"),
    ("WEB_CONCURRENCY", "two", "a whole number from 1 to"),
    ("WORKER_METRICS_PORT", "70000", "a whole number from 0 to 65535"),
    (URL, "api.example.org/v1", "an http:// or https:// URL"),
    # Limits, batch sizes and windows below one.
    ("ADMIN_ACTION_LIMIT", "0", "a whole number of at least 1"),
    ("ADMIN_UPDATE_BATCH_SIZE", "0", "a whole number of at least 1"),
    ("AUTH_FAILURE_LIMIT", "0", "a whole number of at least 1"),
    ("AUTH_FAILURE_WINDOW", "0", "a whole number from 1 to"),
    ("MALFORMED_MAX_ATTEMPTS", "0", "a whole number from 1 to 100"),
]


def settings_read_from(monkeypatch: pytest.MonkeyPatch, **variables: str) -> dict[str, Any]:
    """songnodes/settings.py run afresh with these variables in the environment."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def project_errors(settings: Any, read: dict[str, Any]) -> list[CheckMessage]:
    """The project's errors once Django's settings hold what that read found."""
    settings.INVALID_SETTINGS = read["INVALID_SETTINGS"]
    settings.SETTING_KINDS = read["SETTING_KINDS"]
    settings.SETTING_BOUNDS = read["SETTING_BOUNDS"]
    return [
        message
        for message in run_checks()
        if message.id and message.id.startswith("songnodes.E") and message.is_serious()
    ]


@pytest.mark.parametrize(("variable", "raw", "wanted"), BROKEN)
def test_a_setting_that_would_break_at_run_time_is_a_check_error_naming_it(
    settings: Any, monkeypatch: pytest.MonkeyPatch, variable: str, raw: str, wanted: str
) -> None:
    read = settings_read_from(monkeypatch, **{variable: raw})
    [error] = [e for e in project_errors(settings, read) if e.obj == variable]
    assert error.id == "songnodes.E008"
    assert f"{variable}={raw!r} is not {wanted}" in error.msg


def test_an_out_of_bounds_value_leaves_the_default_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    read = settings_read_from(monkeypatch, ENRICH_THREADS="0", HTTP_TIMEOUT="-1")
    assert (read["ENRICH_THREADS"], read["HTTP_TIMEOUT"]) == (16, 15.0)


@pytest.mark.parametrize("raw", ["1e308", "1000001", "inf"])
def test_an_absurd_rate_limit_is_a_rate_error(
    settings: Any, monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    read = settings_read_from(monkeypatch, **{RATE: raw})
    [error] = [e for e in project_errors(settings, read) if e.obj == RATE]
    assert error.id == "songnodes.E001" and "at most 1000000" in error.msg


def test_sensible_values_at_the_edges_of_their_bounds_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read = settings_read_from(
        monkeypatch,
        API_THROTTLE_ANON="5/s",
        API_THROTTLE_USER="1000/hour",
        RECOVER_STALLED_CRON="* * * * * */2",
        HTTP_TIMEOUT="0.5",
        RATE_LIMIT_MAX_WAIT="0",
        CONN_MAX_AGE="0",
        STATS_CACHE_SECONDS="0",
        ENRICH_THREADS="1",
        **{RATE: "1000000", URL: "http://127.0.0.1:8099/api"},
    )
    assert read["INVALID_SETTINGS"] == {}
    assert read["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"]["anon"] == "5/s"


def test_every_number_settings_read_declares_its_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    read = settings_read_from(monkeypatch)
    numbers = {
        name for name, kind in read["SETTING_KINDS"].items() if kind in {"integer", "number"}
    }
    assert numbers - set(read["SETTING_BOUNDS"]) == set()


def test_a_bound_is_declared_with_the_read_and_recorded() -> None:
    env = Environment({"ENRICH_THREADS": "0"})
    assert env.integer("ENRICH_THREADS", 16, minimum=1) == 16
    assert env.invalid == {"ENRICH_THREADS": "0"}
    assert env.bounds["ENRICH_THREADS"].describe() == "of at least 1"
