"""Structured logs: one JSON object per line, with track/source/job context, and no secret."""

from __future__ import annotations

import io
import json
import logging
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from enrichment.logging import (
    ContextFilter,
    JsonFormatter,
    PlainFormatter,
    RedactSecretsFilter,
    log_context,
    redact,
)
from tests.subprocesses import start_snippet

TOKEN = "dc-0123456789abcdef"
API_KEY = "lf-fedcba9876543210"


@pytest.fixture
def secrets(settings: Any) -> Any:
    """Credentials configured the way an operator would."""
    settings.DISCOGS_TOKEN = TOKEN
    settings.LASTFM_API_KEY = API_KEY
    return settings


def handler_for(formatter: logging.Formatter) -> tuple[logging.Handler, io.StringIO]:
    """A handler configured like settings.LOGGING's console, writing to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactSecretsFilter())
    return handler, stream


@pytest.fixture
def json_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose records go through the JSON console handler only."""
    handler, stream = handler_for(JsonFormatter())
    logger = logging.getLogger("tests.deploy.json")
    logger.addHandler(handler)
    logger.propagate, logger.level = False, logging.INFO
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """Each line of the log as the JSON object it must be."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_carries_track_source_and_job_and_no_secret(
    secrets: Any, json_log: tuple[logging.Logger, io.StringIO]
) -> None:
    logger, stream = json_log
    with log_context(track_id="7f1c", job_id=42), log_context(source="discogs"):
        logger.warning(
            "GET %s with Authorization: Discogs token=%s failed",
            f"https://ws.audioscrobbler.com/2.0/?method=track.getInfo&api_key={API_KEY}",
            TOKEN,
        )
    [entry] = lines(stream)
    assert entry["level"] == "WARNING" and entry["logger"] == "tests.deploy.json"
    assert (entry["track_id"], entry["source"], entry["job_id"]) == ("7f1c", "discogs", 42)
    assert TOKEN not in stream.getvalue() and API_KEY not in stream.getvalue()
    assert "api_key=[redacted]" in entry["message"]


def test_context_ends_with_its_block(json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log
    with log_context(track_id="7f1c"):
        pass
    logger.info("outside")
    assert "track_id" not in lines(stream)[0]


def test_procrastinate_job_records_get_job_and_track_ids(
    json_log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = json_log
    job = {"id": 99, "task_kwargs": {"track_id": "ab12", "force_refresh": False}}
    logger.info("Job succeeded", extra={"job": job, "action": "job_success"})
    [entry] = lines(stream)
    assert (entry["job_id"], entry["track_id"], entry["action"]) == (99, "ab12", "job_success")
    assert "job" not in entry


def test_a_traceback_stays_on_one_line_and_is_redacted(
    secrets: Any, json_log: tuple[logging.Logger, io.StringIO]
) -> None:
    logger, stream = json_log
    try:
        raise ConnectionError(f"https://api.discogs.com/?token={TOKEN}")
    except ConnectionError:
        logger.exception("upstream failed")
    assert len(stream.getvalue().splitlines()) == 1
    [entry] = lines(stream)
    assert "ConnectionError" in entry["exception"] and TOKEN not in entry["exception"]


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("Authorization: Bearer BQD9x.y-z_tok", "BQD9x.y-z_tok"),
        ("headers {'Authorization': 'Discogs token=abc123'}", "abc123"),
        ("/2.0/?api_key=k3y&format=json", "k3y"),
        ('{"access_token": "tok-1", "token_type": "Bearer"}', "tok-1"),
        ("postgresql://songnodes:pg-pass@postgres:5432/songnodes", "pg-pass"),
        ("redis://:r3dis@cache:6379/0", "r3dis"),
        ("client_secret=shh&grant_type=client_credentials", "shh"),
    ],
)
def test_tokens_keys_and_passwords_are_redacted_wherever_they_appear(
    text: str, hidden: str
) -> None:
    assert hidden not in redact(text)
    assert "[redacted]" in redact(text)


def test_ordinary_text_is_left_alone() -> None:
    text = "track 7f1c: spotify found 3 candidates, best 0.93 (Daft Punk - One More Time)"
    assert redact(text) == text


def test_plain_lines_append_the_context_and_hide_secrets(secrets: Any) -> None:
    handler, _ = handler_for(PlainFormatter())
    record = logging.LogRecord("enrichment", logging.INFO, __file__, 1, "token %s", (TOKEN,), None)
    with log_context(track_id="7f1c", source="lastfm"):
        assert all(check.filter(record) for check in handler.filters)  # type: ignore[union-attr]
    line = handler.format(record)
    assert line.endswith("token [redacted] track_id=7f1c source=lastfm")


def test_log_format_json_makes_every_project_line_json() -> None:
    code = textwrap.dedent(
        f"""
        import logging
        from enrichment.logging import log_context
        with log_context(track_id="7f1c", source="deezer"):
            logging.getLogger("enrichment.pipeline").warning("token={TOKEN}")
        print("null")
        """
    )
    process = start_snippet(code, LOG_FORMAT="json", DISCOGS_TOKEN=TOKEN)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    [entry] = [json.loads(line) for line in stderr.splitlines() if "enrichment.pipeline" in line]
    assert entry["track_id"] == "7f1c" and entry["source"] == "deezer"
    assert TOKEN not in stderr


@pytest.mark.django_db
def test_a_refused_host_header_is_one_line_naming_the_host_and_allowed_hosts(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from django.test import Client

    settings.ALLOWED_HOSTS = ["localhost"]
    with caplog.at_level(logging.INFO):
        response = Client().get("/health", HTTP_HOST="metadata-enrichment:8020")
    assert response.status_code == 400
    [record] = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    line = record.getMessage()
    assert "'metadata-enrichment:8020'" in line and "ALLOWED_HOSTS" in line
    assert "\n" not in line and record.exc_info is None
