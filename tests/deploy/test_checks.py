"""System checks: each configuration mistake is reported with its variable and a hint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.checks import CheckMessage, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from songnodes.env import Environment
from songnodes.settings import source_settings

PLACEHOLDER_AGENT = "SongNodesEnrichment/1.0 (you@example.com)"
REAL_AGENT = "SongNodesEnrichment/1.0 ( ops@songnodes.org )"


def issues(*, deploy: bool = False) -> dict[str, list[CheckMessage]]:
    """The project's check messages by id (Django's own left out)."""
    found: dict[str, list[CheckMessage]] = {}
    for message in run_checks(include_deployment_checks=deploy):
        if message.id and message.id.startswith("songnodes."):
            found.setdefault(message.id, []).append(message)
    return found


def with_rate(settings: Any, source: str, raw: str) -> None:
    """Set <SOURCE>_RATE_LIMIT as the environment would (read by settings' own parser)."""
    env = Environment({f"{source.upper()}_RATE_LIMIT": raw})
    settings.SOURCES = {**settings.SOURCES, source: source_settings(env)[source]}
    settings.INVALID_SETTINGS = {**settings.INVALID_SETTINGS, **env.invalid}


@pytest.fixture
def configured(settings: Any) -> Any:
    """Every source configured, sensible defaults: no project message at all."""
    settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET = "client-id", "client-secret"
    settings.MUSICBRAINZ_USER_AGENT = REAL_AGENT
    settings.DISCOGS_TOKEN, settings.LASTFM_API_KEY = "discogs-token", "lastfm-key"
    settings.BEATPORT_API_KEY = ""
    settings.DEBUG = False
    return settings


def test_a_complete_configuration_raises_nothing(configured: Any) -> None:
    assert issues() == {}
    call_command("check")


@pytest.mark.parametrize("raw", ["fast", "0", "-1", "nan", "inf", "1,5"])
def test_a_bad_rate_stops_manage_py_check_naming_the_variable(configured: Any, raw: str) -> None:
    with_rate(configured, "discogs", raw)
    with pytest.raises(SystemCheckError) as error:
        call_command("check")
    assert "DISCOGS_RATE_LIMIT" in str(error.value)
    assert "songnodes.E001" in str(error.value)
    assert "positive number of requests per second" in str(error.value)


def test_a_decimal_rate_is_fine(configured: Any) -> None:
    with_rate(configured, "musicbrainz", "0.5")
    assert issues() == {}


def test_a_musicbrainz_user_agent_without_contact_is_an_error(configured: Any) -> None:
    configured.MUSICBRAINZ_USER_AGENT = "SongNodes/1.0"
    [error] = issues()["songnodes.E002"]
    assert error.obj == "MUSICBRAINZ_USER_AGENT" and "contact" in error.msg
    configured.ENRICHMENT_SOURCES = ["spotify", "deezer"]
    assert "songnodes.E002" not in issues()


def test_missing_credentials_of_an_enabled_source_is_a_warning_with_the_variable(
    configured: Any,
) -> None:
    configured.DISCOGS_TOKEN = ""
    [warning] = issues()["songnodes.W001"]
    assert warning.obj == "discogs" and "partial" in warning.msg
    assert "DISCOGS_TOKEN" in str(warning.hint)
    call_command("check")  # a warning does not stop anything
    configured.ENRICHMENT_SOURCES = ["spotify", "musicbrainz", "deezer"]
    assert issues() == {}


def test_an_empty_musicbrainz_user_agent_is_unconfigured_not_malformed(configured: Any) -> None:
    configured.MUSICBRAINZ_USER_AGENT = ""
    found = issues()
    assert [warning.obj for warning in found["songnodes.W001"]] == ["musicbrainz"]
    assert "songnodes.E002" not in found


def test_an_unknown_response_cache_is_an_error_that_hides_its_password(configured: Any) -> None:
    configured.HTTP_CACHE = "memcached://cache:s3cretpw@cache:11211"
    [error] = issues()["songnodes.E003"]
    assert "memcached://" in error.msg and "s3cretpw" not in error.msg
    configured.HTTP_CACHE = "redis://:s3cretpw@redis:6379/0"
    assert issues() == {}


def test_an_unknown_source_name_is_an_error(configured: Any) -> None:
    configured.ENRICHMENT_SOURCES = ["spotify", "beatport"]
    [error] = issues()["songnodes.E004"]
    assert "beatport" in error.msg and "musicbrainz" in str(error.hint)


def test_a_heartbeat_slower_than_the_stall_timeout_is_an_error(configured: Any) -> None:
    configured.WORKER_HEARTBEAT_SECONDS, configured.STALLED_AFTER_SECONDS = 30.0, 45.0
    assert "songnodes.E005" in issues()


def test_unknown_log_format_and_level_are_errors(configured: Any) -> None:
    configured.LOG_FORMAT, configured.LOG_LEVEL = "xml", "LOUD"
    assert {"songnodes.E006", "songnodes.E007"} <= set(issues())


def test_debug_with_public_hosts_is_a_security_warning(configured: Any) -> None:
    configured.DEBUG, configured.ALLOWED_HOSTS = True, ["localhost", "127.0.0.1"]
    assert issues() == {}
    configured.ALLOWED_HOSTS = ["localhost", "enrich.songnodes.org"]
    [warning] = issues()["songnodes.W002"]
    assert "enrich.songnodes.org" in warning.msg and "DEBUG=false" in str(warning.hint)


def test_deploy_check_warns_about_a_generated_secret_key(configured: Any, tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("generated-on-this-machine")
    configured.DATA_DIR = tmp_path
    configured.SECRET_KEY = "from-the-environment"
    assert "songnodes.W003" not in issues(deploy=True)
    configured.SECRET_KEY = "generated-on-this-machine"
    assert "songnodes.W003" in issues(deploy=True)
    assert "songnodes.W003" not in issues()  # only with --deploy


def test_deploy_check_warns_about_the_placeholder_musicbrainz_contact(configured: Any) -> None:
    configured.MUSICBRAINZ_USER_AGENT = PLACEHOLDER_AGENT
    assert "songnodes.W004" in issues(deploy=True)
    assert "songnodes.W004" not in issues()


def test_deploy_check_warns_about_the_embedded_database(configured: Any) -> None:
    from django.db import connection

    host = str(connection.settings_dict["HOST"])
    if not host.startswith("/"):
        pytest.skip("the tests run on an external Postgres (DATABASE_URL)")
    configured.DATA_DIR = Path(host).parent
    assert "songnodes.W005" in issues(deploy=True)
    configured.DATA_DIR = Path("/nonexistent-data-dir")
    assert "songnodes.W005" not in issues(deploy=True)


def test_beatport_key_is_accepted_but_reported_as_unused(configured: Any) -> None:
    configured.BEATPORT_API_KEY = "beatport-key"
    [info] = issues()["songnodes.I001"]
    assert "not queried" in info.msg


def test_a_set_credential_its_adapter_refuses_is_an_error_that_hides_a_secret(
    configured: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from enrichment.sources.registry import APIS

    api = next(a for a in APIS if a.credentials and all(c.secret for c in a.credentials))
    monkeypatch.setattr(api.adapter(), "missing_configuration", classmethod(lambda cls: "refused"))
    found = issues()
    [error] = found["songnodes.E002"]
    assert error.obj == api.credentials[0].variable and "refused" in error.msg
    assert all(str(getattr(configured, c.variable)) not in error.msg for c in api.credentials)
    assert "songnodes.W001" not in found  # set but refused is E002's, not "not configured"


def test_every_sources_credential_is_checked_for_a_placeholder_contact(configured: Any) -> None:
    from enrichment.sources.registry import APIS

    for api in APIS:
        for credential in api.credentials:
            if not credential.secret:
                setattr(configured, credential.variable, PLACEHOLDER_AGENT)
    warned = {w.obj for w in issues(deploy=True).get("songnodes.W004", [])}
    assert warned == {c.variable for a in APIS for c in a.credentials if not c.secret}
