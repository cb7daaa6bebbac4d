"""Read and validate import rows in a thread, a few batches ahead of the writer.

Reading and validating a row is Python work; writing a batch is mostly waiting for Postgres.
The reader thread does the first while the importing thread waits for the second (the GIL is
released while waiting), so a file is read and written at the same time. The reader never
touches the database, and stops when asked to (`stop()`), when reading fails (FileError, kept
in its last batch) or when the writer leaves (an error, a second Ctrl-C).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, TypeVar

from enrichment.import_reading import FileError, RowError

T = TypeVar("T")
DEPTH = 2  # batches read ahead of the one being written
_POLL = 0.1  # seconds between looks at whether the writer left, while the queue is full


@dataclass
class Batch(Generic[T]):
    """Validated rows and the errors of the lines read with them."""

    rows: list[T] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    last_line: int = 0  # the last line read into this batch (or before it)
    stopped: bool = False  # stop() was asked: no line after last_line was read
    file_error: FileError | None = None  # reading stopped there
    final: bool = False  # the last batch of the file


class ReadAhead(Generic[T]):
    """`with ReadAhead(rows, validate, stop, size, first_line) as batches: for batch in ...`"""

    def __init__(
        self,
        rows: Iterable[tuple[int, Any]],
        validate: Callable[[int, Any], T | RowError],
        stop: Callable[[], bool],
        size: int,
        last_line: int = 0,
    ) -> None:
        self._queue: queue.Queue[Batch[T] | BaseException] = queue.Queue(maxsize=DEPTH)
        self._left = threading.Event()
        self._thread = threading.Thread(
            target=self._read,
            args=(rows, validate, stop, size, last_line),
            name="import-reader",
            daemon=True,  # never keeps the process alive
        )

    def __enter__(self) -> Iterator[Batch[T]]:
        self._thread.start()
        return self._batches()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._left.set()
        self._thread.join(timeout=10 * _POLL)

    def _batches(self) -> Iterator[Batch[T]]:
        while True:
            item = self._queue.get()
            if isinstance(item, BaseException):
                raise item
            yield item
            if item.final:
                return

    def _read(
        self,
        rows: Iterable[tuple[int, Any]],
        validate: Callable[[int, Any], T | RowError],
        stop: Callable[[], bool],
        size: int,
        last_line: int,
    ) -> None:
        batch: Batch[T] = Batch(last_line=last_line)
        try:
            for number, raw in rows:
                if self._left.is_set():
                    return
                if stop():
                    batch.stopped = True
                    break
                outcome = validate(number, raw)
                if isinstance(outcome, RowError):
                    batch.errors.append(outcome)
                else:
                    batch.rows.append(outcome)
                batch.last_line = number
                if len(batch.rows) >= size:
                    self._put(batch)
                    batch = Batch(last_line=number)
        except FileError as error:
            batch.file_error = error
        except BaseException as error:  # a reader's bug: raised in the importing thread
            self._put(error)
            return
        batch.final = True
        self._put(batch)

    def _put(self, item: Batch[T] | BaseException) -> None:
        while not self._left.is_set():
            try:
                self._queue.put(item, timeout=_POLL)
                return
            except queue.Full:
                continue
