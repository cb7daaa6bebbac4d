"""Secrets taken out of text: every configured credential, and tokens, keys and passwords by name.

One function, `redact`, cleans both log lines (enrichment/logging.py) and every error text that
leaves the HTTP seam (enrichment/sources/base.py, through `redacting`). The secret settings are
the registry's secret credentials plus the service's own; importable without Django set up
(gunicorn's logging configuration uses it), when only the environment is read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from urllib.parse import quote, quote_plus

from enrichment.sources.errors import SourceError
from enrichment.sources.registry import all_credentials

REDACTED = "[redacted]"
# Secret settings that belong to the service, not to a provider.
SERVICE_SECRETS = ("SECRET_KEY", "POSTGRES_PASSWORD")
# Shorter values are not replaced word for word (they would mangle ordinary text); the
# patterns below still catch them where they sit in a header, URL or query string.
MIN_SECRET_LENGTH = 6
SECRET_KEYS = (
    "api_key|apikey|api_sig|access_token|refresh_token|client_id|client_secret|"
    "token|secret|password|signature"
)
_PATTERNS = (
    # Authorization headers: "Bearer abc", "Basic abc=", "Discogs token=abc".
    (re.compile(r"(?i)\b(Bearer|Basic)\s+[\w.~+/=-]+"), r"\1 " + REDACTED),
    (re.compile(r"(?i)\b(Discogs\s+(?:token|key|secret)=)[^\s,;&'\"]+"), r"\1" + REDACTED),
    # Query strings and key=value text: "?api_key=abc&", "token=abc".
    (re.compile(rf"(?i)\b({SECRET_KEYS})=[^\s&,;'\"]+"), r"\1=" + REDACTED),
    # JSON bodies and dict reprs: '"access_token": "abc"', "'token': 'abc'".
    (
        re.compile(rf"(?i)([\"'](?:{SECRET_KEYS})[\"']\s*:\s*[\"'])[^\"']*"),
        r"\1" + REDACTED,
    ),
    # Passwords in URLs: "postgresql://user:pw@host", "redis://:pw@host".
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/?#@]*:)[^\s@/]+@"), r"\1" + REDACTED + "@"),
)


@lru_cache(maxsize=1)
def secret_names() -> tuple[str, ...]:
    """Every setting (and environment variable) whose value is a secret (the registry is
    fixed: computed once)."""
    return (*SERVICE_SECRETS, *(c.variable for c in all_credentials() if c.secret))


def _settings_secrets() -> list[str]:
    from django.conf import settings

    if not settings.configured:
        return []
    values = [str(getattr(settings, name, "") or "") for name in secret_names()]
    databases = getattr(settings, "DATABASES", {})
    return [*values, str(databases.get("default", {}).get("PASSWORD") or "")]


def configured_secrets() -> list[str]:
    """The secret values of the environment and of settings (when they are loaded)."""
    values = [os.environ.get(name, "") for name in secret_names()]
    with suppress(Exception):  # settings that cannot load must not stop a log line
        values += _settings_secrets()
    return values


def _forms(values: Iterable[str]) -> tuple[str, ...]:
    """Each long enough value as written and URL-quoted, longest first."""
    return _quoted_forms(tuple(values))


# The secrets change rarely (a token an hour): their quoted forms are remembered, not
# recomputed for every response checked and every line redacted.
@lru_cache(maxsize=256)
def _quoted_forms(values: tuple[str, ...]) -> tuple[str, ...]:
    forms = {
        form
        for value in values
        if len(value) >= MIN_SECRET_LENGTH
        for form in (value, quote(value, safe=""), quote_plus(value))
    }
    # Longest first, so a secret containing another is replaced whole.
    return tuple(sorted(forms, key=len, reverse=True))


def redact(text: str, also: Iterable[str] = ()) -> str:
    """The text with every configured secret (and `also`), token and password replaced."""
    for secret in _forms([*configured_secrets(), *also]):
        text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def contains_secret(text: str, also: Iterable[str] = ()) -> bool:
    """Does the text hold a configured secret (or one of `also`) word for word?"""
    return any(secret in text for secret in _forms([*configured_secrets(), *also]))


@contextmanager
def redacting() -> Iterator[list[str]]:
    """Reword any SourceError leaving the block without the secrets in the yielded list."""
    sent: list[str] = []  # the block adds the credentials its request carries
    try:
        yield sent
    except SourceError as error:
        error.reword(redact(error.message, also=sent))
        raise


def header_secrets(values: Iterable[str | bytes | None]) -> list[str]:
    """Auth header values, and the credential in each: "Bearer X", "Discogs token=X" -> X."""
    found = []
    for raw in values:
        value = raw.decode(errors="replace") if isinstance(raw, bytes) else raw or ""
        last = value.split()[-1] if value.split() else value
        name, equals, credential = last.partition("=")
        found += [value, credential if equals and credential and name.isalpha() else last]
    return found
