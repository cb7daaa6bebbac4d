"""manage.py import_tracks FILE: load tracks from CSV, JSON lines or a DJ library, idempotently."""

from __future__ import annotations

import codecs
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from enrichment.dj_formats.reading import FORMATS, read_any
from enrichment.importing import ImportReport, import_rows

INTERRUPTED_EXIT = 130  # the shell's code for "stopped by Ctrl-C"


@contextmanager
def stop_requested_by_ctrl_c() -> Iterator[Callable[[], bool]]:
    """While open, a first Ctrl-C asks to stop reading (the rows read are written); a second
    one quits (the batch being written is rolled back)."""
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested.is_set  # only the main thread may handle signals
        return
    previous = signal.getsignal(signal.SIGINT)

    def ask_to_stop(signum: int, frame: FrameType | None) -> None:
        requested.set()
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, ask_to_stop)
    try:
        yield requested.is_set
    finally:
        signal.signal(signal.SIGINT, previous)


class Command(BaseCommand):
    help = (
        "Import tracks from a CSV (header: artist_name,track_title[,track_id,spotify_id,isrc]) "
        "or JSON-lines file (optional columns bpm,key,genre,label,duration_ms,location), a "
        "Rekordbox XML or Traktor NML collection, or an M3U/M3U8 playlist, optionally gzipped. "
        "Re-importing the same file changes nothing. "
        "Ctrl-C stops reading, writes the rows already read and prints what was done."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format",
            choices=FORMATS,
            help="the file's format (default: from its extension, else its content)",
        )
        parser.add_argument("--quiet-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--encoding",
            help="the file's text encoding, e.g. latin-1 (default: from its byte-order mark, "
            "else UTF-8)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        encoding = options["encoding"]
        if encoding:
            try:
                codecs.lookup(encoding)
            except LookupError as error:
                raise CommandError(f"--encoding {encoding}: no such encoding") from error
        report = ImportReport()
        try:
            self._import(
                path, encoding, report, quiet=options["quiet_progress"], fmt=options["format"]
            )
        finally:
            # Printed whatever happened, so what was imported is always known.
            self._summarise(path, report)
        self._fail_unless_complete(path, report)

    def _import(
        self,
        path: Path,
        encoding: str | None,
        report: ImportReport,
        *,
        quiet: bool,
        fmt: str | None = None,
    ) -> None:
        try:
            with stop_requested_by_ctrl_c() as stop:
                rows = tqdm(
                    read_any(path, encoding, fmt), desc="importing", unit=" rows", disable=quiet
                )
                import_rows(rows, report, stop)
        except KeyboardInterrupt:  # a second Ctrl-C: the row in progress was rolled back
            report.interrupted = True

    def _summarise(self, path: Path, report: ImportReport) -> None:
        for row_error in report.errors:
            self.stderr.write(f"{path}: {row_error}")
        self.stdout.write(
            f"created {report.created}, updated {report.updated}, "
            f"unchanged {report.unchanged}, rejected {len(report.errors)}"
        )

    def _fail_unless_complete(self, path: Path, report: ImportReport) -> None:
        if report.interrupted:
            raise CommandError(
                f"{path}: interrupted after line {report.last_line}; the rows before it are "
                "imported: run the import again to finish (imported rows stay unchanged)",
                returncode=INTERRUPTED_EXIT,
            )
        if report.file_error:
            raise CommandError(f"{path}: {report.file_error}")
        if report.errors:
            raise CommandError(f"{len(report.errors)} row(s) rejected; the others were imported")
