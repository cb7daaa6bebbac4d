"""The OpenAPI schema validates, is served with docs, and fuzzing it finds no server error."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode

from songnodes.wsgi import application
from tests import fakes as f

# Bounded so the run stays well under a minute on a small machine.
EXAMPLES_PER_OPERATION = 60


def test_the_schema_validates_without_a_single_warning(tmp_path: Path) -> None:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/enrich/batch/{batch_id}" in target.read_text()


@pytest.mark.django_db
def test_the_schema_and_the_interactive_docs_are_served(anonymous: APIClient) -> None:
    schema = anonymous.get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert {"/health", "/enrich", "/enrich/batch", "/stats", "/tracks"} <= set(
        schema.json()["paths"]
    )
    docs = anonymous.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """The real WSGI app, kept from closing the test's connection after each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.django_db
def test_fuzzing_every_operation_finds_no_server_error(
    wsgi_app: WSGIHandler, api_token: str, upstream: f.Fakes, settings: Any
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
    }
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    headers = {"Authorization": f"Token {api_token}"}
    seen: Counter[tuple[str, int]] = Counter()

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def no_server_error(data: st.DataObject, operation: Any) -> None:
        case = data.draw(
            st.one_of(
                operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
            )
        )
        response = case.call(headers=headers)
        seen[(operation.label, response.status_code)] += 1
        assert response.status_code < 500, case.as_curl_command(headers=headers)

    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    for operation in operations:
        no_server_error(operation=operation)
    codes = {code for _, code in seen}
    assert {200, 202, 400, 404} <= codes, seen  # real work was reached, not only refusals
    assert seen[("POST /enrich", 202)] and seen[("POST /enrich/batch", 202)], seen
