"""Structured logging: one line per event (plain or JSON), job context fields, secrets redacted.

Configured by the LOGGING block of settings (LOG_FORMAT=plain|json). Importable without Django
set up, so gunicorn's own configuration can use the same formatter and filter.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

# The one redaction (error texts of the HTTP seam use it too), importable from here as well.
from enrichment.redaction import REDACTED as REDACTED
from enrichment.redaction import redact as redact

CONTEXT_FIELDS = ("track_id", "source", "job_id", "correlation_id")
FORBIDDEN = 403
# Attributes every LogRecord has: anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
# Procrastinate's extras: job_id and track_id are taken from them, the rest is too bulky.
_DROPPED_EXTRAS = frozenset({"job", "worker"})

_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "songnodes_log_context", default=MappingProxyType({})
)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add context fields (track_id, source, job_id, correlation_id) to records inside."""
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, Any]:
    """The fields log_context has set in this thread or task."""
    return dict(_context.get())


def _job_fields(record: logging.LogRecord) -> dict[str, Any]:
    """job_id and track_id from Procrastinate's `job` extra, when the record has one."""
    job = getattr(record, "job", None)
    if not isinstance(job, Mapping):
        return {}
    kwargs = job.get("task_kwargs")
    track_id = kwargs.get("track_id") if isinstance(kwargs, Mapping) else None
    return {"job_id": job.get("id"), "track_id": track_id}


class ContextFilter(logging.Filter):
    """Give each record the context fields: its own `extra`, else log_context, else the job."""

    def filter(self, record: logging.LogRecord) -> bool:
        found = {**_job_fields(record), **_context.get()}
        for field in CONTEXT_FIELDS:
            if getattr(record, field, None) is None and found.get(field) is not None:
                setattr(record, field, found[field])
        return True


class RedactSecretsFilter(logging.Filter):
    """Replace secrets in the message, its arguments and the traceback, for every handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it itself
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class QuietForbiddenFilter(logging.Filter):
    """Log a 403 as its one line: a refused request is not a fault, its traceback only noise."""

    # Django attaches the PermissionDenied's traceback (django.request); CSRF and DRF do not.

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == FORBIDDEN:
            record.exc_info, record.exc_text = None, None
        return True


class DisallowedHostFilter(logging.Filter):
    """A request refused for its Host header: one line naming the host and ALLOWED_HOSTS.

    Django logs it on django.security.DisallowedHost with a traceback that explains nothing;
    the fix is always the same variable.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        host = request.META.get("HTTP_HOST", "") if request is not None else ""
        record.msg = (
            "refused a request for host %r: it is not in ALLOWED_HOSTS (add the name, without "
            "the port, to the comma-separated ALLOWED_HOSTS environment variable)"
        )
        record.args = (host,)
        record.exc_info, record.exc_text = None, None
        return True


def context_of(record: logging.LogRecord) -> dict[str, Any]:
    """The record's context fields that are set."""
    fields = {field: getattr(record, field, None) for field in CONTEXT_FIELDS}
    return {field: value for field, value in fields.items() if value is not None}


def extras_of(record: logging.LogRecord) -> dict[str, Any]:
    """What the caller passed in `extra=`, besides the context fields."""
    skipped = _RECORD_ATTRIBUTES | _DROPPED_EXTRAS | set(CONTEXT_FIELDS)
    return {key: value for key, value in vars(record).items() if key not in skipped}


class PlainFormatter(logging.Formatter):
    """`time level logger message key=value...`, for people reading a terminal."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None) -> None:
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s %(message)s", datefmt)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(f"{key}={value}" for key, value in context_of(record).items())
        if context:
            head, newline, rest = line.partition("\n")
            line = f"{head} {context}{newline}{rest}"
        return redact(line)


def _redacted_value(value: Any) -> Any:
    """An `extra` value made JSON-ready with any secret in it replaced."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact(value)
    try:
        return json.loads(redact(json.dumps(value)))
    except (TypeError, ValueError):  # not JSON data (a request, a model): its text
        return redact(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context fields, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            **context_of(record),
        }
        for key, value in extras_of(record).items():
            entry.setdefault(key, _redacted_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, default=str, ensure_ascii=False)
