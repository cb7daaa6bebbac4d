"""Deployment mistakes: production ones that `check --deploy` refuses (errors, not warnings).

The compose `migrate` service runs `check --deploy --fail-level ERROR` before anything starts,
so a deployment with debug pages open to the network, or a signing key anyone can look up,
stops there with the variable to fix. Without --deploy (development) they stay warnings
(songnodes.W002, W003). A URL in ALLOWED_HOSTS is an error everywhere (E011).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from dotenv import dotenv_values

from enrichment.checks import AppConfigs, public_hosts
from songnodes.bootstrap import BASE_DIR, read_secret_key

# Keys that are published somewhere (docs, tutorials, this repository): signing with one lets
# anyone forge sessions and password-reset links. Compared without case and surrounding space.
WELL_KNOWN_SECRET_KEYS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "secret-key",
        "secret_key",
        "secretkey",
        "your-secret-key",
        "your_secret_key",
        "django-insecure",
        "build-only",  # the Dockerfile's collectstatic key
        "<python3 -c 'import secrets; print(secrets.token_urlsafe(50))'>",  # the docs' recipe
    }
)
INSECURE_PREFIX = "django-insecure-"  # what startproject generates for development
KEY_RECIPE = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"


@register(Tags.security, deploy=True)
def check_debug_in_deployment(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """E009 (--deploy): DEBUG on while the site answers to hosts other than this machine."""
    public = public_hosts()
    if not settings.DEBUG or not public:
        return []
    return [
        Error(
            f"DEBUG is on in a deployment that answers to {', '.join(public)}: error pages "
            "would show settings, code and queries to anyone who can reach the site.",
            hint="Set DEBUG=false (or leave it unset) for any deployment reachable from "
            "other machines.",
            obj="DEBUG",
            id="songnodes.E009",
        )
    ]


@register(Tags.security, deploy=True)
def check_secret_key_in_deployment(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """E010 (--deploy): SECRET_KEY is set in the environment and is not a published value."""
    problem = secret_key_problem(_configured_key(), Path(settings.DATA_DIR))
    if problem is None:
        return []
    return [
        Error(
            f"SECRET_KEY {problem}.",  # never the key itself
            hint=f"Set SECRET_KEY to a new random value (e.g. {KEY_RECIPE}), the same for "
            "every web and worker process.",
            obj="SECRET_KEY",
            id="songnodes.E010",
        )
    ]


@register()
def check_allowed_hosts(app_configs: AppConfigs, **kwargs: Any) -> list[CheckMessage]:
    """E011: ALLOWED_HOSTS holds host names, not URLs (a URL matches no request: all 400)."""
    urls = [host for host in settings.ALLOWED_HOSTS if "/" in host or "@" in host]
    if not urls:
        return []
    return [
        Error(
            f"ALLOWED_HOSTS lists {', '.join(urls)}: a URL or path matches no Host header, so "
            "every request to it would be answered 400 Bad Request.",
            hint="List bare host names (enrich.example.org, .example.org for subdomains), "
            "comma-separated, without scheme, port or path.",
            obj="ALLOWED_HOSTS",
            id="songnodes.E011",
        )
    ]


def secret_key_problem(key: str, data_dir: Path) -> str | None:
    """What is wrong with this key for a deployment, or None."""
    key = key.strip()
    if not key:
        return "is not set"
    if key == read_secret_key(data_dir):
        return "is not set: the development key generated on this machine is in use"
    if key.lower() in _well_known_keys():
        return "is a well-known value (from documentation or an example file)"
    if key.lower().startswith(INSECURE_PREFIX):
        return f"starts with {INSECURE_PREFIX!r}: it is a development key"
    return None


def _configured_key() -> str:
    try:
        return str(settings.SECRET_KEY)
    except ImproperlyConfigured:  # Django refuses to hand out an empty key
        return ""


def _well_known_keys() -> frozenset[str]:
    """The published keys, and whatever .env.example suggests."""
    example = dotenv_values(BASE_DIR / ".env.example").get("SECRET_KEY") or ""
    return WELL_KNOWN_SECRET_KEYS | ({example.strip().lower()} - {""})
