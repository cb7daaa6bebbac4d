"""Bad input never stops an import: each bad row is reported with line and field, the rest load."""

from __future__ import annotations

import codecs
import csv
import gzip
import json
import re
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from enrichment.import_reading import MAX_LINE, read_rows
from enrichment.models import Track

pytestmark = pytest.mark.django_db

HEADER = "artist_name,track_title\n"
BEFORE = "Good Artist,Before\n"
AFTER = "Good Artist,After\n"


def import_file(path: Path, *options: str) -> str:
    """Everything the command printed, including the closing error when rows were rejected."""
    out = StringIO()
    try:
        call_command(
            "import_tracks", str(path), "--quiet-progress", *options, stdout=out, stderr=out
        )
    except CommandError as error:
        out.write(f"CommandError: {error}\n")
    return out.getvalue()


def titles() -> set[str]:
    return set(Track.objects.values_list("title", flat=True))


def write(tmp_path: Path, data: str | bytes, name: str = "tracks.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def json_line(artist: str, title: str) -> str:
    return json.dumps({"artist_name": artist, "track_title": title}) + "\n"


def test_a_nul_byte_is_a_row_error_and_the_rows_around_it_load(tmp_path: Path) -> None:
    output = import_file(write(tmp_path, HEADER + BEFORE + "Bad,Ti\x00tle\n" + AFTER))
    assert "line 3: track_title: contains a NUL character" in output
    assert "created 2" in output
    assert titles() == {"Before", "After"}


def test_a_lone_surrogate_is_a_row_error_and_the_rows_around_it_load(tmp_path: Path) -> None:
    bad = '{"artist_name": "Bad", "track_title": "Half \\ud800 pair"}\n'
    path = write(tmp_path, json_line("A", "Before") + bad + json_line("A", "After"), "t.jsonl")
    output = import_file(path)
    assert "line 2: track_title: contains U+D800, a lone surrogate" in output
    assert titles() == {"Before", "After"}


def test_latin1_bytes_are_a_row_error_naming_the_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, (HEADER + BEFORE + "Beyonc\xe9,Halo\n" + AFTER).encode("latin-1"))
    output = import_file(path)
    assert "line 3: artist_name: byte 0xE9 is not valid UTF-8" in output
    assert "--encoding latin-1" in output
    assert titles() == {"Before", "After"}


def test_a_latin1_file_imports_with_the_encoding_named(tmp_path: Path) -> None:
    path = write(tmp_path, (HEADER + BEFORE + "Beyonc\xe9,Halo\n").encode("latin-1"))
    output = import_file(path, "--encoding", "latin-1")
    assert "created 2" in output
    assert Track.objects.get(title="Halo").artist_name == "Beyoncé"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig", "utf-8"])
def test_utf8_and_utf16_files_are_recognised(tmp_path: Path, encoding: str) -> None:
    text = HEADER + "Beyoncé,Halo\n" + AFTER
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    output = import_file(write(tmp_path, data))
    assert "created 2" in output
    assert Track.objects.get(title="Halo").artist_name == "Beyoncé"


def test_a_gzipped_file_is_recognised_by_its_magic_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, gzip.compress((HEADER + BEFORE + AFTER).encode()), "tracks.csv")
    assert "created 2" in import_file(path)
    assert titles() == {"Before", "After"}


def test_a_truncated_gzip_file_is_a_file_error_after_the_rows_it_had(tmp_path: Path) -> None:
    rows = "".join(f"Artist,{uuid.uuid4()}\n" for _ in range(100))  # barely compressible
    data = gzip.compress((HEADER + rows).encode())
    output = import_file(write(tmp_path, data[: len(data) // 2]))
    assert re.search(r"line \d+: file: cannot be read after line \d+", output)
    assert "created " in output
    assert Track.objects.count() > 0


def test_a_field_over_the_limit_is_a_row_error_and_the_rows_around_it_load(
    tmp_path: Path,
) -> None:
    huge = "Bad," + "x" * (MAX_LINE + 10) + "\n"
    output = import_file(write(tmp_path, HEADER + BEFORE + huge + AFTER))
    assert f"line 3: track_title: longer than {MAX_LINE} characters" in output
    assert titles() == {"Before", "After"}


def test_deeply_nested_json_is_a_row_error(tmp_path: Path) -> None:
    nested = '{"artist_name": "Bad", "track_title": ' + "[" * 50_000 + "]" * 50_000 + "}\n"
    lines = json_line("A", "Before") + nested + json_line("A", "After")
    output = import_file(write(tmp_path, lines, "t.jsonl"))
    assert "line 2: " in output
    assert "nested too deeply" in output
    assert titles() == {"Before", "After"}


def test_a_five_thousand_digit_number_is_a_row_error_naming_its_field(tmp_path: Path) -> None:
    huge = '{"artist_name": "Bad", "track_title": ' + "9" * 5000 + "}\n"
    lines = json_line("A", "Before") + huge + json_line("A", "After")
    output = import_file(write(tmp_path, lines, "t.jsonl"))
    assert "line 2: track_title: must be a string" in output
    assert titles() == {"Before", "After"}


def test_extra_values_in_a_row_are_reported_not_dropped(tmp_path: Path) -> None:
    output = import_file(write(tmp_path, HEADER + BEFORE + "Bad,One More Time, Remix\n" + AFTER))
    assert "line 3: column 3: 1 value more than the header's 2 columns (' Remix')" in output
    assert titles() == {"Before", "After"}


def test_unknown_json_keys_are_reported_by_name(tmp_path: Path) -> None:
    bad = json.dumps({"artist_name": "Bad", "track_title": "T", "tempo": 120, "mood": "x"})
    output = import_file(write(tmp_path, json_line("A", "Before") + bad + "\n", "t.jsonl"))
    assert "line 2: mood,tempo: unknown column" in output
    assert titles() == {"Before"}


def test_a_repeated_header_column_is_a_file_error(tmp_path: Path) -> None:
    path = write(tmp_path, "artist_name,track_title,track_title\nA,First,Second\n")
    output = import_file(path)
    assert "line 1: track_title: appears more than once in the header" in output
    assert Track.objects.count() == 0


def test_json_lines_after_blank_lines_are_still_json(tmp_path: Path) -> None:
    path = write(tmp_path, "\n  \n" + json_line("A", "Before") + json_line("A", "After"), "t.txt")
    assert "created 2" in import_file(path)
    assert titles() == {"Before", "After"}


def test_an_unbalanced_quote_is_reported_where_it_opened(tmp_path: Path) -> None:
    rows = BEFORE + 'Bad,"Unclosed title\nGood Artist,Middle\nOther,"Quoted"\n' + AFTER
    output = import_file(write(tmp_path, HEADER + rows))
    assert "line 3: track_title: the quote opened here is not closed on this line" in output
    assert titles() == {"Before", "Middle", "Quoted", "After"}


def test_rows_without_quotes_split_as_the_csv_module_splits_them(tmp_path: Path) -> None:
    text = (
        "artist_name,track_title,isrc\r\n"
        "Plain,Row,\r\n"
        "\r\n"
        "Spaced , Out ,\n"
        '"Quoted, Artist",Title,\n'
        "Trailing,Comma,,\n"
        "Last,Line"
    )
    path = tmp_path / "mixed.csv"
    path.write_bytes(text.encode())
    read = [raw for _, raw in read_rows(path)]
    header, *lines = [next(csv.reader([line]), []) for line in text.splitlines(keepends=True)]
    assert read == [dict(zip(header, values, strict=False)) for values in lines if values]
