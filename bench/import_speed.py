"""Benchmark 9: bulk import. `import_tracks` of a generated CSV against a plain COPY of it.

Generates bench/output/import-<N>.csv (artist, title, a caller track id, an ISRC on half the
rows, a streaming id on a quarter, one invalid ISRC in 10,000 rows), then into an empty
catalogue:
- COPY of the same file into a bare table of text columns (what Postgres alone takes),
- `manage.py import_tracks` in-process (the progress bar off): rows/s, CPU-seconds,
- the same import again (idempotence: everything unchanged, nothing written).
The outcome is checked (the bad rows rejected with their line and field, every other row stored
once with its status row, the re-import all unchanged): a wrong count fails the run loudly.
Figures (bench/figures.py): import rows/s (target >= 10,000) against the plain COPY's, the
import's time against COPY's, rows per CPU-second (importer + Postgres) against COPY's, and the
re-import's time against the first import's; the load average before and after is reported.

    python -m bench.import_speed [--rows 1000000]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import string
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.core.management import CommandError, call_command
from django.db import connection

from bench.common import (
    OUTPUT,
    machine,
    postgres_cpu_seconds,
    prepare_database,
    ratios,
    say,
    scalar,
)
from bench.figures import Figure

TARGET_ROWS_PER_SECOND = 10_000
BAD_EVERY = 10_000  # one row in this many has an invalid ISRC (a reported row error)
_BAD_ISRC = re.compile(r": line (\d+): isrc: 'NOTANISRC' is not an ISRC")


def generate(path: Path, rows: int, seed: int = 14) -> int:
    """Write the CSV; the number of rows that must be rejected."""
    rng = random.Random(seed)
    letters = string.ascii_uppercase
    alphanumerics = string.ascii_letters + string.digits
    bad = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["artist_name", "track_title", "track_id", "spotify_id", "isrc"])
        for number in range(rows):
            isrc = ""
            if number % 2 == 0:
                isrc = f"{rng.choice(letters)}{rng.choice(letters)}X{number // 2:09d}"[:12]
            if number % BAD_EVERY == BAD_EVERY - 1:
                isrc, bad = "not-an-isrc", bad + 1
            streaming_id = "".join(rng.choices(alphanumerics, k=22)) if number % 4 == 1 else ""
            artist = f"Artist {number % 50_000} {rng.choice(letters)}"
            writer.writerow([artist, f"Song number {number}", f"cat-{number}", streaming_id, isrc])
    return bad


def plain_copy(path: Path) -> float:
    """Seconds to COPY the file into a bare (unindexed, unlogged-free) table of text columns."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plain_copy")
        cursor.execute(
            "CREATE TABLE bench_plain_copy (artist_name text, track_title text, track_id text,"
            " spotify_id text, isrc text)"
        )
        started = time.perf_counter()
        with (
            path.open("rb") as source,
            cursor.cursor.copy(
                "COPY bench_plain_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
            ) as copy,
        ):
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        took = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_plain_copy")
    return took


def cpu_seconds() -> float:
    """CPU seconds of this process and the bench Postgres so far."""
    return time.process_time() + postgres_cpu_seconds()


@dataclass
class Run:
    """One import_tracks run: wall and CPU seconds, its summary and the rows it rejected."""

    seconds: float
    cpu_seconds: float
    summary: str
    rejected: list[str]


def timed_import(path: Path) -> Run:
    """Run import_tracks on the file; what it took and said."""
    out, err = io.StringIO(), io.StringIO()
    started, cpu_before = time.perf_counter(), cpu_seconds()
    try:
        call_command("import_tracks", str(path), quiet_progress=True, stdout=out, stderr=err)
    except CommandError as error:  # "N row(s) rejected" (the bad rows, expected)
        say(f"  import_tracks: {error}")
    took, cpu = time.perf_counter() - started, cpu_seconds() - cpu_before
    return Run(took, cpu, out.getvalue().strip(), err.getvalue().splitlines())


CHECKS_PER_RUN = 3  # the summary, the rejected rows, the stored tracks and status rows


def check(run: Run, *, rows: int, bad: int, first: bool) -> list[str]:
    """What is wrong with this run's outcome (nothing: an empty list); CHECKS_PER_RUN checks."""
    good = rows - bad
    expected = (
        f"created {good}, updated 0, unchanged 0, rejected {bad}"
        if first
        else f"created 0, updated 0, unchanged {good}, rejected {bad}"
    )
    problems = [] if run.summary == expected else [f"summary {run.summary!r} != {expected!r}"]
    # Row n of the generator is line n + 2 (after the header); its ISRC is the field at fault.
    expected_lines = [n + 2 for n in range(BAD_EVERY - 1, rows, BAD_EVERY)]
    lines = [int(found.group(1)) for found in map(_BAD_ISRC.search, run.rejected) if found]
    if lines != expected_lines or len(run.rejected) != bad:
        problems.append(
            f"{len(run.rejected)} rejected rows reported ({bad} expected), "
            f"lines {lines[:3]}... (expected {expected_lines[:3]}...): {run.rejected[:2]}"
        )
    stored = scalar("SELECT count(*) FROM tracks")
    statuses = scalar("SELECT count(*) FROM enrichment_status WHERE status = 'pending'")
    if stored != good or statuses != good:
        problems.append(f"{stored} tracks and {statuses} pending status rows, {good} expected")
    return problems


def plain_copy_cpu(path: Path) -> tuple[float, float]:
    """Wall and CPU seconds (this process + Postgres) of the plain COPY."""
    cpu_before = cpu_seconds()
    took = plain_copy(path)
    return took, cpu_seconds() - cpu_before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"import-{args.rows}.csv"
    bad = generate(path, args.rows)
    prepare_database()
    say(f"{path.name}: {args.rows} rows, {path.stat().st_size / 2**20:.1f} MiB, {bad} bad")
    load_before = machine()["load_avg"]
    say(f"load average before: {load_before}")
    copy_seconds, copy_cpu = plain_copy_cpu(path)
    say(f"plain COPY: {copy_seconds:.2f}s ({args.rows / copy_seconds:.0f} rows/s)")
    first = timed_import(path)
    say(
        f"import_tracks: {first.seconds:.1f}s ({args.rows / first.seconds:.0f} rows/s):",
        first.summary,
    )
    say(
        f"  CPU (importer + Postgres): {first.cpu_seconds:.1f}s "
        f"({args.rows / first.cpu_seconds:.0f} rows/CPU-s)"
    )
    problems = check(first, rows=args.rows, bad=bad, first=True)
    again = timed_import(path)
    say(
        f"re-import: {again.seconds:.1f}s ({args.rows / again.seconds:.0f} rows/s): {again.summary}"
    )
    problems += check(again, rows=args.rows, bad=bad, first=False)
    load_after = machine()["load_avg"]
    say(f"load average after: {load_after}")
    rows_per_second = args.rows / first.seconds
    measured = [
        Figure(
            "wrong_outcomes",
            "failed outcome checks (rejected lines and field, tracks, status rows, re-import)",
            len(problems),
            2 * CHECKS_PER_RUN,
            "checks made",
            target="value == 0",
        ),
        Figure(
            "import_rows_per_s",
            f"import_tracks rows/s ({args.rows:,}-row CSV)",
            rows_per_second,
            args.rows / copy_seconds,
            "plain COPY rows/s",
            "rows/s",
            f"value >= {TARGET_ROWS_PER_SECOND}",
        ),
        Figure("import_time", "import time", first.seconds, copy_seconds, "plain COPY", "s"),
        Figure(
            "import_rows_per_cpu_s",
            "rows per CPU-second (importer + Postgres)",
            args.rows / first.cpu_seconds,
            args.rows / copy_cpu,
            "plain COPY rows per CPU-second",
            "rows/CPU-s",
        ),
        Figure(
            "reimport_time",
            "re-import time (all unchanged, nothing written)",
            again.seconds,
            first.seconds,
            "first import",
            "s",
        ),
    ]
    ratios(
        "import_speed",
        {
            "import_rows_per_s_vs_10k": rows_per_second / TARGET_ROWS_PER_SECOND,
            "import_time_vs_plain_copy": first.seconds / copy_seconds,
            # Load-independent: rows per CPU-second of the importer and Postgres together.
            "import_rows_per_cpu_s_vs_10k": args.rows / first.cpu_seconds / TARGET_ROWS_PER_SECOND,
        },
        {
            "rows": args.rows,
            "rejected_expected": bad,
            "import_seconds": round(first.seconds, 2),
            "import_rows_per_s": round(rows_per_second),
            "import_cpu_seconds": round(first.cpu_seconds, 2),
            "reimport_seconds": round(again.seconds, 2),
            "reimport_cpu_seconds": round(again.cpu_seconds, 2),
            "plain_copy_seconds": round(copy_seconds, 3),
            "plain_copy_cpu_seconds": round(copy_cpu, 3),
            "summary": first.summary,
            "summary_reimport": again.summary,
            "problems": problems,
            "load_avg_before": load_before,
            "load_avg_after": load_after,
            "machine": machine(),
        },
        measured=measured,
    )
    for problem in problems:
        say(f"WRONG OUTCOME: {problem}")
    met = all(figure.met() is not False for figure in measured)
    return 1 if problems else (0 if met else 1)


if __name__ == "__main__":
    sys.exit(main())
