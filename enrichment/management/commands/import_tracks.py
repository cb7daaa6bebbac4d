"""manage.py import_tracks FILE: load tracks from CSV or JSON lines, idempotently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from enrichment.importing import RowError, import_rows, read_rows


class Command(BaseCommand):
    help = (
        "Import tracks from a CSV (header: artist_name,track_title[,track_id,spotify_id,isrc]) "
        "or JSON-lines file. Re-importing the same file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--quiet-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            rows = tqdm(
                read_rows(path), desc="importing", unit=" rows", disable=options["quiet_progress"]
            )
            report = import_rows(rows)
        except RowError as error:
            raise CommandError(f"{path}: {error}") from error
        for row_error in report.errors:
            self.stderr.write(f"{path}: {row_error}")
        self.stdout.write(
            f"created {report.created}, updated {report.updated}, "
            f"unchanged {report.unchanged}, rejected {len(report.errors)}"
        )
        if report.errors:
            raise CommandError(f"{len(report.errors)} row(s) rejected; the others were imported")
