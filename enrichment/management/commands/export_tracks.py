"""manage.py export_tracks: write tracks as Rekordbox XML, Traktor NML, M3U, CSV or JSON lines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from enrichment.api.tracks import FILTERABLE
from enrichment.dj_formats.export import export_tracks, stream
from enrichment.dj_formats.keys import NOTATIONS
from enrichment.dj_formats.writers import EXPORT_FORMATS, ExportStats
from enrichment.models import EnrichmentStatus


class Command(BaseCommand):
    help = (
        "Export tracks (streamed; stdout unless --output) as a Rekordbox XML or Traktor NML "
        "collection, an M3U playlist, CSV or JSON lines (these two import back unchanged)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=EXPORT_FORMATS, required=True)
        parser.add_argument(
            "--status", action="append", choices=EnrichmentStatus.Status.values, default=[],
            help="only tracks in this enrichment status (repeatable)",
        )  # fmt: skip
        parser.add_argument(
            "--has", action="append", choices=FILTERABLE, default=[],
            help="only tracks with a value for this field (repeatable)",
        )  # fmt: skip
        parser.add_argument("--genre", help="only tracks of this genre (case aside)")
        parser.add_argument(
            "--key-notation", choices=NOTATIONS, default="camelot",
            help='how keys are written: Camelot "8A", Open Key "1m", musical "Am"',
        )  # fmt: skip
        parser.add_argument("--output", type=Path, help="the file to write (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        tracks = export_tracks(options["status"], options["has"], options["genre"])
        stats = ExportStats()
        chunks = stream(options["format"], tracks, options["key_notation"], stats)
        output: Path | None = options["output"]
        if output is None:
            # The underlying stream: OutputWrapper.write would end every chunk with a newline.
            self._write(chunks, getattr(self.stdout, "_out", sys.stdout))
        else:
            try:
                with output.open("w", encoding="utf-8", newline="") as file:
                    self._write(chunks, file)
            except OSError as error:
                raise CommandError(f"--output {output}: {error.strerror}") from error
        where = f" to {output}" if output else ""
        self.stderr.write(
            f"exported {stats.written} track(s){where}; "
            f"{stats.missing_location} without a file location"
        )

    @staticmethod
    def _write(chunks: Any, file: IO[str]) -> None:
        for chunk in chunks:
            file.write(chunk)
