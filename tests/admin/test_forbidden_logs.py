"""A 403 is one WARNING line without a traceback: admin permission, CSRF, DRF."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import make_track

pytestmark = pytest.mark.django_db


def forbidden_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The records logged about the request, at WARNING or above."""
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


def assert_one_quiet_line(caplog: pytest.LogCaptureFixture) -> None:
    """Exactly one WARNING record, carrying no exception to print."""
    records = forbidden_records(caplog)
    assert [record.levelname for record in records] == ["WARNING"], records
    assert records[0].exc_info is None and records[0].exc_text is None
    assert "Forbidden" in records[0].getMessage()


def test_a_viewers_forbidden_admin_write_logs_one_line_without_traceback(
    viewer_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    track = make_track()
    with caplog.at_level(logging.INFO):
        response = viewer_client.post(reverse("admin:enrichment_track_reset", args=[track.pk]))
    assert response.status_code == 403
    assert_one_quiet_line(caplog)


def test_a_missing_csrf_token_logs_one_line_without_traceback(
    curator: User, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator)
    track = make_track()
    with caplog.at_level(logging.INFO):
        response = client.post(reverse("admin:enrichment_track_reset", args=[track.pk]))
    assert response.status_code == 403
    assert_one_quiet_line(caplog)


def test_a_forbidden_api_call_logs_one_line_without_traceback(
    curator: User, caplog: pytest.LogCaptureFixture
) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(curator)  # a session without its CSRF token: DRF's PermissionDenied
    with caplog.at_level(logging.INFO):
        response = client.post("/enrich", {"artist_name": "a", "track_title": "b"}, format="json")
    assert response.status_code == 403
    assert_one_quiet_line(caplog)
