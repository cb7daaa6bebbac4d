"""A thread reads and validates rows a few batches ahead of the writer, and stops with it."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from enrichment.import_ahead import ReadAhead
from enrichment.import_reading import FileError, RowError


def validate(number: int, raw: Any) -> str | RowError:
    return RowError(number, "isrc", "bad") if raw == "bad" else str(raw)


def numbered(*raws: Any) -> list[tuple[int, Any]]:
    return list(enumerate(raws, start=2))


def never() -> bool:
    return False


def test_rows_come_in_batches_of_the_size_with_their_lines_errors() -> None:
    with ReadAhead(numbered("a", "bad", "b", "c", "d"), validate, never, 2) as batches:
        read = [(b.rows, [e.line for e in b.errors], b.last_line, b.final) for b in batches]
    assert read == [(["a", "b"], [3], 4, False), (["c", "d"], [], 6, False), ([], [], 6, True)]


def test_a_stop_request_ends_reading_before_the_next_row() -> None:
    seen: list[int] = []

    def rows() -> Iterator[tuple[int, str]]:
        for number in itertools.count(2):
            seen.append(number)
            yield number, "row"

    with ReadAhead(rows(), validate, lambda: len(seen) > 3, 10) as batches:
        [batch] = list(batches)
    assert (batch.rows, batch.last_line, batch.stopped) == (["row"] * 3, 4, True)


def test_a_file_error_ends_the_last_batch_after_the_rows_read() -> None:
    def rows() -> Iterator[tuple[int, str]]:
        yield 2, "a"
        raise FileError(3, "file", "cannot be read")

    with ReadAhead(rows(), validate, never, 10) as batches:
        [batch] = list(batches)
    assert batch.rows == ["a"] and batch.file_error is not None and batch.final


def test_a_readers_unexpected_error_is_raised_in_the_importing_thread() -> None:
    def rows() -> Iterator[tuple[int, str]]:
        yield 2, "a"
        raise LookupError("a bug")

    with pytest.raises(LookupError), ReadAhead(rows(), validate, never, 10) as batches:
        list(batches)


def test_the_reader_stops_when_the_writer_leaves() -> None:
    endless = ((number, "row") for number in itertools.count(2))
    with pytest.raises(KeyboardInterrupt), ReadAhead(endless, validate, never, 5) as batches:
        next(batches)
        raise KeyboardInterrupt
    readers = [t for t in threading.enumerate() if t.name == "import-reader"]
    assert readers == []
