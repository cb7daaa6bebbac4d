"""Migration 0009 renames the track table in place and turns every unknown "" into NULL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps

BEFORE = ("enrichment", "0008_track_genre")
BLANKED = ("key", "camelot_key", "open_key", "label", "catalog_number", "release_country",
           "release_date_precision")  # fmt: skip


def _migrate(targets: list[tuple[str, str]]) -> StateApps:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_schema(transactional_db: None) -> Iterator[StateApps]:
    """The models as of 0008 (table enrichment_track, "" for unknown); afterwards the latest."""
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        yield _migrate([BEFORE])
    finally:
        _migrate(leaves)


def _old_rows(apps: StateApps) -> tuple[uuid.UUID, uuid.UUID]:
    track_model = apps.get_model("enrichment", "Track")
    status_model = apps.get_model("enrichment", "EnrichmentStatus")
    blank = track_model.objects.create(artist_name="Nobody", title="Unknown")
    known = track_model.objects.create(
        artist_name="deadmau5", title="Strobe", key="A minor", camelot_key="8A", open_key="1m",
        label="mau5trap", catalog_number="MAU5CD001", release_country="US",
        release_date=dt.date(2009, 9, 22), release_date_precision="day", bpm=128.0,
        isrc="USUS11000356", metadata={"enrichment_sources": ["spotify"]},
    )  # fmt: skip
    status_model.objects.create(track=blank, status="failed", retry_count=2, error_message="")
    status_model.objects.create(track=known, status="completed", error_message="old: error")
    return blank.pk, known.pk


def _row(track_id: uuid.UUID) -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(BLANKED)}, isrc, bpm, release_date,"
            " metadata->>'enrichment_sources' AS sources, s.status, s.retry_count, s.error_message"
            " FROM tracks t JOIN enrichment_status s ON s.track_id = t.id WHERE t.id = %s",
            [track_id],
        )
        names = [column.name for column in cursor.description or ()]
        return dict(zip(names, cursor.fetchone() or (), strict=True))


def test_blank_texts_become_null_and_the_renamed_tables_keep_every_row(
    old_schema: StateApps,
) -> None:
    blank, known = _old_rows(old_schema)
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert {name: _row(blank)[name] for name in BLANKED} == dict.fromkeys(BLANKED)
    assert _row(blank)["error_message"] is None
    assert (_row(blank)["status"], _row(blank)["retry_count"]) == ("failed", 2)
    assert _row(known) == {
        "key": "A minor", "camelot_key": "8A", "open_key": "1m", "label": "mau5trap",
        "catalog_number": "MAU5CD001", "release_country": "US",
        "release_date_precision": "day", "isrc": "USUS11000356", "bpm": 128.0,
        "release_date": dt.date(2009, 9, 22), "sources": '["spotify"]',
        "status": "completed", "retry_count": 0, "error_message": "old: error",
    }  # fmt: skip


def test_the_migration_reverses_to_blank_texts(old_schema: StateApps) -> None:
    blank, _ = _old_rows(old_schema)
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    old_apps = _migrate([BEFORE])
    track = old_apps.get_model("enrichment", "Track").objects.get(pk=blank)
    assert (track.key, track.camelot_key, track.label, track.release_date_precision) == (
        "", "", "", ""
    )  # fmt: skip
