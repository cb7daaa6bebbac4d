"""Decode an import file and split it into numbered raw rows (CSV or JSON lines), never crashing."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import IO, Any, TypeVar, cast

GZIP_MAGIC = b"\x1f\x8b"
# Longer lines are refused without being read whole: no field can pass csv.field_size_limit().
MAX_LINE = 128 * 1024
REQUIRED_COLUMNS = frozenset({"artist_name", "track_title"})
# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
UNDECODABLE = "songnodes-import-undecodable"
_T = TypeVar("_T")


class RowError(ValueError):
    """A row that cannot be imported, with the field at fault."""

    def __init__(self, line: int, field_name: str, message: str) -> None:
        super().__init__(f"line {line}: {field_name}: {message}")
        self.line = line
        self.field_name = field_name


class FileError(RowError):
    """A problem that stops reading the file (its header, its compression): no row after it."""


@dataclass(frozen=True)
class Overlong:
    """A line longer than MAX_LINE: its beginning only (the rest is skipped unread)."""

    start: str


Line = str | Overlong
Row = tuple[int, dict[str, Any] | RowError]


def _keep_undecodable(error: UnicodeError) -> tuple[str, int]:
    # Each byte that is not text becomes a lone surrogate (U+DC00 + byte), so only the row that
    # holds it is refused, naming the byte, and the rest of the file is still read.
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(chr(0xDC00 + byte) for byte in bad), error.end


codecs.register_error(UNDECODABLE, _keep_undecodable)


def read_rows(path: Path, encoding: str | None = None) -> Iterator[Row]:
    """Yield (line number, raw mapping or that line's error); FileError when reading must stop."""
    with open_text(path, encoding) as (text, chosen):
        lines = _lines(text)
        for number, line in lines:
            start = line.start if isinstance(line, Overlong) else line
            if not start.strip():
                continue  # blank lines before the first row say nothing about the format
            rest = chain([(number, line)], lines)
            if start.lstrip()[:1] in ("{", "["):
                yield from _json_rows(rest, chosen)
            else:
                yield from _csv_rows(rest, chosen)
            return


@contextmanager
def open_text(path: Path, encoding: str | None = None) -> Iterator[tuple[IO[str], str]]:
    """The file as text: gunzipped if gzip, decoded by its byte-order mark, else UTF-8."""
    try:
        opened = path.open("rb")
    except OSError as error:
        raise FileError(1, "file", f"cannot be opened ({error.strerror})") from error
    with opened as raw:
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        binary = cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb")) if compressed else raw
        start = _guarded(lambda: binary.read(4), 0)
        binary.seek(0)
        chosen = encoding or next(
            (name for mark, name in BYTE_ORDER_MARKS if start.startswith(mark)), "utf-8"
        )
        text = io.TextIOWrapper(binary, encoding=chosen, errors=UNDECODABLE, newline="")
        yield text, chosen


def _guarded(read: Callable[[], _T], lines_read: int) -> _T:
    try:
        return read()
    except (OSError, EOFError, zlib.error) as error:  # a corrupt or truncated gzip stream
        where = f" after line {lines_read}" if lines_read else ""
        raise FileError(lines_read + 1, "file", f"cannot be read{where} ({error})") from error


def _lines(text: IO[str]) -> Iterator[tuple[int, Line]]:
    number = 0
    while line := _guarded(lambda: text.readline(MAX_LINE + 1), number):
        number += 1
        if len(line) <= MAX_LINE or line.endswith(("\n", "\r")):
            yield number, line
            continue
        rest = line
        while rest and not rest.endswith(("\n", "\r")):
            rest = _guarded(lambda: text.readline(MAX_LINE), number)
        yield number, Overlong(line[:MAX_LINE])


def undecodable(value: str, encoding: str) -> str | None:
    """Why `value` holds a byte the file's encoding could not decode, or None."""
    if value.isascii():
        return None  # the common case, checked without a loop in Python
    for char in value:
        if "\udc00" <= char <= "\udcff":
            name = codecs.lookup(encoding).name.removesuffix("-sig").upper()
            hint = ""
            if name == "UTF-8":
                hint = "; if the file is Latin-1, import it with --encoding latin-1"
            return f"byte 0x{ord(char) - 0xDC00:02X} is not valid {name}{hint}"
    return None


def text_problem(value: str) -> str | None:
    """Why Postgres could not store this text (a NUL, a lone surrogate), or None."""
    if "\x00" in value:
        return "contains a NUL character (U+0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        return f"contains U+{ord(value[error.start]):04X}, a lone surrogate (not valid Unicode)"
    return None


def _json_rows(lines: Iterator[tuple[int, Line]], encoding: str) -> Iterator[Row]:
    for number, line in lines:
        if isinstance(line, Overlong):
            yield number, RowError(number, "line", f"longer than {MAX_LINE} characters")
        elif line.strip():
            yield number, _json_object(number, line, encoding)


def _json_object(number: int, line: str, encoding: str) -> dict[str, Any] | RowError:
    problem = undecodable(line, encoding)
    if problem:
        return RowError(number, "line", problem)
    try:
        # Integers as Decimal: a 5,000-digit one is then just "not a string" for its field.
        value = json.loads(line, parse_int=Decimal)
    except json.JSONDecodeError as error:
        return RowError(number, "line", f"invalid JSON ({error.msg})")
    except RecursionError:
        return RowError(number, "line", "invalid JSON (nested too deeply)")
    except ValueError as error:
        return RowError(number, "line", f"invalid JSON ({error})")
    if not isinstance(value, dict):
        return RowError(number, "line", "each JSON line must be an object")
    return value


def _csv_rows(lines: Iterator[tuple[int, Line]], encoding: str) -> Iterator[Row]:
    number, line = next(lines)
    header = _header(number, line, encoding)
    for number, line in lines:
        row = _csv_row(number, line, header, encoding)
        if row is not None:
            yield number, row


def _split(line: str) -> list[str]:
    # One physical line at a time: a field never spans lines, so an unclosed quote cannot
    # swallow the rows after it; its field then ends with the line break.
    if not line.endswith(("\n", "\r")):
        line += "\n"
    return next(csv.reader([line]), [])


def _unclosed(values: list[str]) -> bool:
    return bool(values) and values[-1].endswith(("\n", "\r"))


def _column(header: list[str], index: int) -> str:
    return header[index] if index < len(header) else f"column {index + 1}"


def _header(number: int, line: Line, encoding: str) -> list[str]:
    if isinstance(line, Overlong):
        raise FileError(number, "header", f"longer than {MAX_LINE} characters")
    names = _split(line)
    problem = undecodable(line, encoding) or ("has an unclosed quote" if _unclosed(names) else "")
    if problem:
        raise FileError(number, "header", problem)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise FileError(number, ",".join(repeated), "appears more than once in the header")
    missing = REQUIRED_COLUMNS - set(names)
    if missing:
        hint = (
            " (UTF-16 without a byte-order mark? name it with --encoding)" if "\x00" in line else ""
        )
        raise FileError(
            number, ",".join(sorted(missing)), f"required column missing from header{hint}"
        )
    return names


def _csv_row(
    number: int, line: Line, header: list[str], encoding: str
) -> dict[str, Any] | RowError | None:
    if isinstance(line, Overlong):
        field = _column(header, len(_split(line.start)) - 1)
        return RowError(number, field, f"longer than {MAX_LINE} characters")
    if '"' in line:
        values = _split(line)
    else:  # no quote: what csv.reader gives, without its per-line set-up
        bare = line.rstrip("\r\n")
        values = bare.split(",") if bare else []
    if not values:
        return None  # a blank line, skipped as csv.DictReader does
    if _unclosed(values):
        field = _column(header, len(values) - 1)
        return RowError(number, field, "the quote opened here is not closed on this line")
    if not line.isascii():  # only then can a value hold an undecodable byte
        for index, value in enumerate(values):
            problem = undecodable(value, encoding)
            if problem:
                return RowError(number, _column(header, index), problem)
    extra = values[len(header) :]
    if extra and any(value.strip() for value in extra):
        count = f"{len(extra)} value{'s' if len(extra) > 1 else ''}"
        listed = ", ".join(map(repr, extra))
        message = f"{count} more than the header's {len(header)} columns ({listed})"
        return RowError(number, _column(header, len(header)), message)
    return dict(zip(header, values, strict=False))
