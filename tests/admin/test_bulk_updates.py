"""Select-all lock, unlock and reset: batched UPDATEs, at most ADMIN_ACTION_LIMIT per request."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext

from enrichment.models import EnrichmentStatus, Track
from tests.admin.test_actions import act, messages_of
from tests.factories import make_track

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limits(settings: Any) -> None:
    """At most 5 tracks per request, 2 rows per UPDATE."""
    settings.ADMIN_ACTION_LIMIT = 5
    settings.ADMIN_UPDATE_BATCH_SIZE = 2


def updates_of(queries: CaptureQueriesContext, model: type[Model]) -> list[str]:
    """The UPDATE statements a request sent to one model's table."""
    start = f'UPDATE "{model._meta.db_table}"'
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith(start)]


def lock_all_failed(client: Client, track: Track) -> Any:
    """Lock bpm on every failed track ("select all" over the status filter)."""
    return act(
        client,
        "lock_or_unlock",
        [track],
        "?status=failed",
        select_across=1,
        apply=1,
        operation="lock",
        names=["bpm"],
    )


def locked(tracks: list[Track]) -> int:
    """How many of the tracks have bpm locked."""
    chosen = Track.objects.filter(pk__in=[t.pk for t in tracks])
    return chosen.filter(locked_fields__contains=["bpm"]).count()


def test_lock_over_select_all_stops_at_the_limit_in_batches_and_says_how_many_are_left(
    curator_client: Client, small_limits: None
) -> None:
    tracks = [make_track(status="failed") for _ in range(8)]
    with CaptureQueriesContext(connection) as queries:
        response = lock_all_failed(curator_client, tracks[0])
    assert locked(tracks) == 5
    assert len(updates_of(queries, Track)) == 3  # 2 + 2 + 1
    [message] = messages_of(response)
    assert message.startswith("Locked bpm on 5 track(s).")
    assert "3 more" in message and "run the action again" in message


def test_running_a_capped_lock_again_carries_on_with_the_rest(
    curator_client: Client, small_limits: None
) -> None:
    tracks = [make_track(status="failed") for _ in range(8)]
    lock_all_failed(curator_client, tracks[0])
    again = lock_all_failed(curator_client, tracks[0])
    assert locked(tracks) == 8
    assert messages_of(again)[-1] == "Locked bpm on 3 track(s)."


def test_unlock_over_select_all_stops_at_the_limit(
    curator_client: Client, small_limits: None
) -> None:
    tracks = [make_track(status="failed", locked_fields=["bpm", "isrc"]) for _ in range(7)]
    with CaptureQueriesContext(connection) as queries:
        response = act(
            curator_client,
            "lock_or_unlock",
            tracks[:1],
            "?status=failed",
            select_across=1,
            apply=1,
            operation="unlock",
            names=["bpm"],
        )
    assert locked(tracks) == 2
    assert len(updates_of(queries, Track)) == 3
    assert "2 more" in messages_of(response)[0]


def test_reset_over_select_all_stops_at_the_limit_in_batches(
    curator_client: Client, small_limits: None
) -> None:
    tracks = [make_track(status="failed") for _ in range(6)]
    EnrichmentStatus.objects.update(retry_count=3)
    with CaptureQueriesContext(connection) as queries:
        response = act(curator_client, "reset", tracks[:1], "?status=failed", select_across=1)
    assert EnrichmentStatus.objects.filter(status="pending", retry_count=0).count() == 5
    assert len(updates_of(queries, EnrichmentStatus)) == 3
    [message] = messages_of(response)
    assert message.startswith("Reset retries of 5 track(s).") and "1 more" in message
    again = act(curator_client, "reset", tracks[:1], "?status=failed", select_across=1)
    assert EnrichmentStatus.objects.filter(status="pending", retry_count=0).count() == 6
    assert messages_of(again)[-1] == "Reset retries of 1 track(s)."


def test_below_the_limit_a_lock_reports_no_rest(curator_client: Client, small_limits: None) -> None:
    tracks = [make_track(status="failed") for _ in range(5)]
    response = lock_all_failed(curator_client, tracks[0])
    assert locked(tracks) == 5
    assert messages_of(response) == ["Locked bpm on 5 track(s)."]
