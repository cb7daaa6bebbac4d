"""Django system checks: configuration mistakes reported with the variable to fix and how.

`manage.py check` (and every command that runs checks: migrate, runserver, the workers) reports
errors (E) and warnings (W); `manage.py check --deploy` adds the production-only ones.
Errors stop the command: they would otherwise surface as a stack trace deep in a job.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Info, Tags, Warning, register

from enrichment.sources.registry import APIS, PROVIDERS_BY_NAME, Credential, configured_sources
from songnodes.bootstrap import read_secret_key, secret_key_file
from songnodes.env import RATE_MAXIMUM, expected

LOG_FORMATS = ("plain", "json")
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
CACHE_SCHEMES = ("redis://", "rediss://", "unix://")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", ".localhost"})
_PLACEHOLDER_CONTACT = re.compile(r"(?i)[@./]example\.(com|org|net)\b")

AppConfigs = Sequence[AppConfig] | None


@register()
def check_rate_limits(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """E001: every <SOURCE>_RATE_LIMIT that is set is a positive number, at most RATE_MAXIMUM."""
    from enrichment.sources.registry import APIS

    # Settings parse each rate once: an unreadable one is in INVALID_SETTINGS, and its API
    # runs at the registry's default meanwhile.
    invalid = getattr(settings, "INVALID_SETTINGS", {})
    problems: list[CheckMessage] = []
    for api in APIS:
        variable, default = api.rate_limit_variable, api.rate_limit
        if variable in invalid:
            raw = invalid[variable]
            problems.append(
                Error(
                    f"{variable}={raw!r} is not a rate: it must be a positive number of "
                    f"requests per second, at most {RATE_MAXIMUM}.",
                    hint=f"Set {variable} to e.g. {default:g}, or leave it empty for the "
                    f"default ({default:g}/s). It is shared by every worker on the database.",
                    obj=variable,
                    id="songnodes.E001",
                )
            )
    return problems


@register()
def check_credential_values(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """E002: an enabled source whose credentials are all set is still refused by its adapter.

    The adapter knows what a usable value is (MusicBrainz wants a contact in its User-Agent);
    an empty variable is W001's "not configured", a set but malformed one is this error.
    """
    problems: list[CheckMessage] = []
    for api in APIS:
        if api.name not in settings.ENRICHMENT_SOURCES or not _all_set(api.credentials):
            continue
        missing = api.adapter().missing_configuration()
        if missing is None:
            continue
        credential = api.credentials[0]
        variables = ", ".join(c.variable for c in api.credentials)
        shown = ", ".join(_shown(c) for c in api.credentials)
        problems.append(
            Error(
                f"{shown} is set but not usable: {missing}.",
                hint=f"Set {variables} to {credential.explanation}, or remove {api.name} "
                "from ENRICHMENT_SOURCES.",
                obj=credential.variable,
                id="songnodes.E002",
            )
        )
    return problems


def _all_set(credentials: Sequence[Credential]) -> bool:
    """Are all these variables set (a source without credentials has nothing to be wrong)?"""
    return bool(credentials) and all(getattr(settings, c.variable, "") for c in credentials)


def _shown(credential: Credential) -> str:
    """The variable with its value, unless the value is a secret."""
    value = getattr(settings, credential.variable, "")
    return credential.variable if credential.secret else f"{credential.variable}={value!r}"


@register()
def check_http_cache(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """E003: HTTP_CACHE is "db" or a Redis URL."""
    backend = settings.HTTP_CACHE
    if backend == "db" or backend.startswith(CACHE_SCHEMES):
        return []
    # Only the scheme is shown: a URL may carry a password.
    shown = backend.split("://", 1)[0] + "://..." if "://" in backend else repr(backend)
    return [
        Error(
            f"HTTP_CACHE={shown} is not a cache this project can use.",
            hint="Use 'db' (the api_cache table, the default) or a Redis URL "
            "(redis://host:6379/0, rediss://..., unix:///path/redis.sock).",
            obj="HTTP_CACHE",
            id="songnodes.E003",
        )
    ]


@register()
def check_enabled_sources(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """E004: ENRICHMENT_SOURCES names only sources that exist."""
    known = list(settings.SOURCES)
    unknown = [name for name in settings.ENRICHMENT_SOURCES if name not in known]
    if not unknown:
        return []
    return [
        Error(
            f"ENRICHMENT_SOURCES names unknown source(s): {', '.join(unknown)}.",
            hint=f"Choose among {', '.join(known)} (comma-separated).",
            obj="ENRICHMENT_SOURCES",
            id="songnodes.E004",
        )
    ]


@register()
def check_worker_heartbeat(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """E005: workers heartbeat well within the time after which they are taken for dead."""
    heartbeat, stalled = settings.WORKER_HEARTBEAT_SECONDS, settings.STALLED_AFTER_SECONDS
    if heartbeat > 0 and stalled >= 2 * heartbeat:
        return []
    return [
        Error(
            f"WORKER_HEARTBEAT_SECONDS={heartbeat:g} and STALLED_AFTER_SECONDS={stalled:g}: "
            "live workers would be taken for dead and their jobs run twice.",
            hint="Keep STALLED_AFTER_SECONDS at least twice WORKER_HEARTBEAT_SECONDS "
            "(defaults 60 and 10), both positive.",
            obj="STALLED_AFTER_SECONDS",
            id="songnodes.E005",
        )
    ]


@register()
def check_logging(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """E006/E007: LOG_FORMAT and LOG_LEVEL are values logging understands."""
    problems: list[CheckMessage] = []
    log_format = getattr(settings, "LOG_FORMAT", "plain")
    if log_format not in LOG_FORMATS:
        problems.append(
            Error(
                f"LOG_FORMAT={log_format!r} is unknown (logs are plain until it is fixed).",
                hint="Use 'plain' (readable lines) or 'json' (one JSON object per line).",
                obj="LOG_FORMAT",
                id="songnodes.E006",
            )
        )
    log_level = getattr(settings, "LOG_LEVEL", "INFO")
    if log_level not in LOG_LEVELS:
        problems.append(
            Error(
                f"LOG_LEVEL={log_level!r} is unknown (INFO is used until it is fixed).",
                hint=f"Use one of {', '.join(LOG_LEVELS)}.",
                obj="LOG_LEVEL",
                id="songnodes.E007",
            )
        )
    return problems


@register()
def check_source_credentials(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """W001: an enabled source without its credentials (reported unconfigured, tracks partial)."""
    problems: list[CheckMessage] = []
    for name, missing in configured_sources().items():
        if missing is None or name not in settings.ENRICHMENT_SOURCES:
            continue
        if _all_set(PROVIDERS_BY_NAME[name].credentials):
            continue  # set but refused: E002 says so
        problems.append(
            Warning(
                f"{name} is enabled but not configured: it is skipped, so tracks end "
                "'partial' and are retried every 24 hours.",
                hint=f"{missing[0].upper()}{missing[1:]}; or remove {name} from "
                "ENRICHMENT_SOURCES if you do without it.",
                obj=name,
                id="songnodes.W001",
            )
        )
    return problems


def public_hosts() -> list[str]:
    """The ALLOWED_HOSTS entries that are not this machine."""
    return [host for host in settings.ALLOWED_HOSTS if host not in LOCAL_HOSTS]


@register(Tags.security)
def check_debug_with_public_hosts(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """W002: DEBUG on while the site answers to hosts other than this machine."""
    public = public_hosts()
    if not settings.DEBUG or not public:
        return []
    return [
        Warning(
            f"DEBUG is on while ALLOWED_HOSTS lets in {', '.join(public)}: error pages would "
            "show settings, code and queries to anyone who can reach the site.",
            hint="Set DEBUG=false for any deployment reachable from other machines.",
            obj="DEBUG",
            id="songnodes.W002",
        )
    ]


@register(Tags.security, deploy=True)
def check_secret_key_is_shared(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """W003 (--deploy): SECRET_KEY comes from the environment, not this machine's data dir."""
    generated = secret_key_file(Path(settings.DATA_DIR))
    key = read_secret_key(Path(settings.DATA_DIR))
    if not key or key != settings.SECRET_KEY:
        return []
    return [
        Warning(
            f"SECRET_KEY is the key generated into {generated}: another machine or container "
            "generates a different one, so sessions and signed data do not carry over.",
            hint="Set SECRET_KEY (e.g. python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))') in the environment of every web process.",
            obj="SECRET_KEY",
            id="songnodes.W003",
        )
    ]


@register(deploy=True)
def check_placeholder_contacts(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """W004 (--deploy): no enabled source's credential gives the example placeholder contact."""
    problems: list[CheckMessage] = []
    for api in APIS:
        if api.name not in settings.ENRICHMENT_SOURCES:
            continue
        for credential in api.credentials:
            if not _PLACEHOLDER_CONTACT.search(getattr(settings, credential.variable, "")):
                continue
            problems.append(
                Warning(
                    f"{_shown(credential)} gives a placeholder contact: {api.label} cannot "
                    "reach you before it blocks the client.",
                    hint=f"Put an address you read in {credential.variable}.",
                    obj=credential.variable,
                    id="songnodes.W004",
                )
            )
    return problems


@register(deploy=True)
def check_database_is_shared(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """W005 (--deploy): a deployment uses DATABASE_URL, not the embedded Postgres."""
    config = settings.DATABASES["default"]
    # The embedded server's socket directory once connected, its data directory before.
    host = str(config.get("HOST") or config.get("EMBEDDED_DATA_DIR") or "")
    data_dir = Path(settings.DATA_DIR).resolve()
    if not host.startswith("/") or not Path(host).resolve().is_relative_to(data_dir):
        return []
    return [
        Warning(
            f"DATABASE_URL is not set: the embedded Postgres in {data_dir} is used, which "
            "workers on other machines cannot reach and which nothing backs up.",
            hint="Set DATABASE_URL=postgresql://user:password@host:5432/db (Postgres 14+).",
            obj="DATABASE_URL",
            id="songnodes.W005",
        )
    ]


@register()
def check_beatport_key(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """I001: BEATPORT_API_KEY is accepted but nothing uses it."""
    if not settings.BEATPORT_API_KEY:
        return []
    return [
        Info(
            "BEATPORT_API_KEY is set but Beatport is not queried (it has no public API); "
            "the variable is accepted for compatibility only.",
            obj="BEATPORT_API_KEY",
            id="songnodes.I001",
        )
    ]


@register()
def check_numeric_settings(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """E008: variables that could not be read or are out of bounds (the default is in use)."""
    from enrichment.sources.registry import APIS

    rates = {api.rate_limit_variable for api in APIS}  # E001 reports those
    kinds = getattr(settings, "SETTING_KINDS", {})
    bounds = getattr(settings, "SETTING_BOUNDS", {})
    problems: list[CheckMessage] = []
    for name, value in sorted(getattr(settings, "INVALID_SETTINGS", {}).items()):
        if name in rates:
            continue
        wanted = expected(kinds.get(name, "number"), bounds.get(name))
        problems.append(
            Error(
                f"{name}={value!r} is not {wanted}; the default is being used.",
                hint=f"Set {name} to {wanted} (see .env.example), or remove it for the default.",
                obj=name,
                id="songnodes.E008",
            )
        )
    return problems


@register()
def check_free_disk_space(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """W010: little free space where the metrics files and the embedded Postgres are."""
    from songnodes.bootstrap import LOW_FREE_BYTES, disk_space_message, short_of_space

    directories = [Path(settings.PROMETHEUS_MULTIPROC_DIR), Path(settings.DATA_DIR)]
    short = short_of_space([d for d in directories if d.is_dir()], LOW_FREE_BYTES)
    if not short:
        return []
    return [Warning(disk_space_message(*short), obj=str(short[0]), id="songnodes.W010")]


# Counts and sizes that make no sense below 1 (0 would block every login, or crash a batch).
