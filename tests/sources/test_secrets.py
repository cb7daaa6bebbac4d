"""No credential reaches a stored row, a response, a page or a log line, however sources fail.

Every source fails the same way in each case (refused, timed out, 4xx, 5xx, malformed); the
failing upstream echoes the request it got (URL, Authorization header, form body) into its
answer, the worst a real one does. Then every table, every response, `enrich --json`, the log
lines as the console handler writes them and the pages a Viewer opens are searched for each
credential, in every form it is sent in.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import logging
import re
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import requests
import responses
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from enrichment.logging import RedactSecretsFilter
from enrichment.models import EnrichmentStatus
from enrichment.sources.registry import APIS, all_credentials
from enrichment.tokens import issue_token
from tests.admin.conftest import staff_in

pytestmark = pytest.mark.django_db
ROLES_MIGRATION = importlib.import_module("enrichment.migrations.0004_admin_indexes_and_roles")

CREDENTIALS = {
    credential.variable: f"{credential.variable.lower().replace('_', '-')}-value-7f3a9c2e51"
    for credential in all_credentials()
    if credential.secret
}
ISSUED_TOKEN = "issued-access-token-5e1d8b40c2"  # what a token endpoint that works hands out
# Each way an upstream fails: the status it answers with, or the exception requests raises.
FAILURES = (
    "refused",
    "connection-error",
    "connect-timeout",
    "read-timeout",
    "400",
    "401",
    "403",
    "404",
    "429",
    "500",
    "503",
    "not-json",
    "wrong-json",
    "error-in-body",
)


def sent_forms(value: str) -> set[str]:
    """A credential as it may travel: plain, URL-quoted."""
    return {value, quote(value, safe=""), quote_plus(value)}


def secrets() -> dict[str, set[str]]:
    """Each credential's name -> the texts that must appear nowhere."""
    found = {name: sent_forms(value) for name, value in CREDENTIALS.items()}
    pairs = [a for a in APIS if len([c for c in a.credentials if c.secret]) == 2]
    for api in pairs:  # a client id and secret sent as HTTP Basic auth
        client_id, secret = (CREDENTIALS[c.variable] for c in api.credentials)
        found[f"{api.name} basic auth"] = {
            base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        }
    found["issued access token"] = sent_forms(ISSUED_TOKEN)
    return found


def echo(request: requests.PreparedRequest) -> str:
    """The request as a careless upstream repeats it in an error page."""
    body = request.body.decode() if isinstance(request.body, bytes) else request.body
    header = request.headers.get("Authorization") or ""
    authorization = header.decode() if isinstance(header, bytes) else header
    return f"{request.method} {request.url} Authorization: {authorization} {body}"


def failing(failure: str, token_works: bool) -> Any:
    """A `responses` callback answering every request with this failure."""

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        if token_works and request.method == "POST":
            token = {"access_token": ISSUED_TOKEN, "token_type": "Bearer", "expires_in": 3600}
            return 200, {"Content-Type": "application/json"}, json.dumps(token)
        text = echo(request)
        exceptions = {
            "connection-error": requests.ConnectionError,
            "connect-timeout": requests.ConnectTimeout,
            "read-timeout": requests.ReadTimeout,
        }
        if failure in exceptions:  # worded like urllib3's, which names the path and query
            raise exceptions[failure](f"Max retries exceeded with url: {request.url} ({text})")
        if failure == "not-json":
            return 200, {"Content-Type": "text/html"}, f"<html><body>{text}</body></html>"
        if failure == "wrong-json":
            return 200, {}, json.dumps({"tracks": text, "recordings": text, "data": text})
        if failure == "error-in-body":
            return 200, {}, json.dumps({"error": 10, "message": text})
        return int(failure), {"Retry-After": "1"}, json.dumps({"error": {"message": text}})

    return answer


def closed_port() -> int:
    """A local port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def configured(settings: Any) -> Any:
    """Every credential set, reads open to anyone, attempts bounded by a short timeout."""
    for name, value in CREDENTIALS.items():
        setattr(settings, name, value)
    for credential in all_credentials():  # the others (a User-Agent) as the sandbox sets them
        if not credential.secret:
            setattr(settings, credential.variable, credential.sandbox_value)
    settings.ENRICHMENT_SOURCES = [api.name for api in APIS]  # opt-in ones too
    settings.API_OPEN_READS = True
    settings.HTTP_TIMEOUT = 2.0  # a hang guard only
    settings.STATS_CACHE_SECONDS = 0
    return settings


def forget_tokens() -> None:
    """Drop the tokens adapters keep per process (each case asks its token endpoint anew)."""
    for api in APIS:
        forget = getattr(api.adapter(), "forget_tokens", None)
        if forget is not None:
            forget()


@pytest.fixture
def upstream(request: pytest.FixtureRequest, configured: Any) -> Iterator[None]:
    """Every source failing the way the test's parameters say."""
    failure, token_works = request.param
    forget_tokens()
    if failure == "refused":
        base = f"http://127.0.0.1:{closed_port()}"
        configured.SOURCES = {
            name: {**config, "api_url": f"{base}/{index}"}
            for index, (name, config) in enumerate(configured.SOURCES.items())
        }
        for api in APIS:
            for variable in api.extra_urls:
                setattr(configured, variable, f"{base}/{variable.lower()}")
        yield
    else:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            for method in ("GET", "POST"):
                mock.add_callback(method, re.compile(".*"), failing(failure, token_works))
            yield
    forget_tokens()


@pytest.fixture
def console_log() -> Iterator[io.StringIO]:
    """What the configured console handler writes (every level), redaction included."""
    root = logging.getLogger()
    [handler] = [
        h for h in root.handlers if any(isinstance(f, RedactSecretsFilter) for f in h.filters)
    ]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous_stream, previous_level = handler.setStream(buffer), root.level
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.setLevel(previous_level)
        handler.setStream(previous_stream)


def every_table() -> dict[str, str]:
    """Table -> every row of it, as JSON text."""
    tables = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            name = connection.ops.quote_name(table)
            cursor.execute(f"SELECT row_to_json(t)::text FROM {name} t")
            tables[f"table {table}"] = "\n".join(row for (row,) in cursor.fetchall())
    return tables


def viewer_pages(track_id: str) -> dict[str, str]:
    """The admin pages a Viewer may open about the track and its attempts."""
    ROLES_MIGRATION.create_roles(apps, None)  # a flush may have removed the roles
    client = Client()
    client.force_login(staff_in("Viewers", "victor"))
    status = EnrichmentStatus.objects.get(track_id=track_id)
    urls = [
        reverse("admin:enrichment_track_change", args=[track_id]),
        reverse("admin:enrichment_track_changelist"),
        reverse("admin:enrichment_dashboard"),
        reverse("admin:enrichment_enrichmentstatus_changelist"),
        reverse("admin:enrichment_enrichmentstatus_change", args=[status.pk]),
        reverse("admin:enrichment_circuitbreakerstate_changelist"),
        reverse("admin:enrichment_apicache_changelist"),
        reverse("admin:procrastinate_procrastinatejob_changelist"),
    ]
    pages = {}
    for url in urls:
        page = client.get(url)
        assert page.status_code == 200, url
        pages[url] = page.content.decode()
    return pages


def api_client() -> APIClient:
    """A client holding an API token."""
    user = User.objects.create(username="curator-tool")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
    return client


def leaks(texts: dict[str, str]) -> dict[str, list[str]]:
    """Place -> the credentials found in its text."""
    found = {}
    for place, text in texts.items():
        named = [name for name, forms in secrets().items() if any(form in text for form in forms)]
        if named:
            found[place] = named
    return found


@pytest.mark.parametrize(
    "upstream",
    [(failure, False) for failure in FAILURES]
    + [(failure, True) for failure in FAILURES if failure != "refused"],
    ids=lambda param: f"{param[0]}{'-after-token' if param[1] else ''}",
    indirect=True,
)
def test_no_credential_is_stored_returned_shown_or_logged_when_sources_fail(
    upstream: None, console_log: io.StringIO, inline_worker: list[int]
) -> None:
    writer = api_client()
    # With an ISRC, so that the sources asked by ISRC only are asked too.
    seed = {
        "artist_name": "deadmau5",
        "track_title": "Strobe",
        "existing_isrc": "CAN111100069",
        "sync": True,
    }
    enriched = writer.post("/enrich", seed, format="json")
    track_id = enriched.json()["track_id"]
    command_output = io.StringIO()
    call_command("enrich", track_id, "--sync", "--json", "--force-refresh", stdout=command_output)
    status = EnrichmentStatus.objects.get(track_id=track_id)
    assert status.error_message and status.status != "completed"  # the failures were recorded
    asked = {p for p, seen in status.source_outcomes.items() if seen["outcome"] != "skipped"}
    assert {api.name for api in APIS if api.credentials} <= asked  # credentials were sent
    assert "unconfigured" not in {seen["outcome"] for seen in status.source_outcomes.values()}
    anyone = APIClient()
    texts = {
        "POST /enrich (sync)": enriched.content.decode(),
        "GET /tracks/<id>": anyone.get(f"/tracks/{track_id}").content.decode(),
        "GET /tracks": anyone.get("/tracks").content.decode(),
        "GET /health": anyone.get("/health").content.decode(),
        "GET /metrics": anyone.get("/metrics").content.decode(),
        "GET /stats": anyone.get("/stats").content.decode(),
        "enrich --json": command_output.getvalue(),
        **viewer_pages(track_id),
        **every_table(),
        "log": console_log.getvalue(),
    }
    assert leaks(texts) == {}
