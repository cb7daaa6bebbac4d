"""Benchmark 9: bulk import. `import_tracks` of a generated CSV against a plain COPY of it.

Generates bench/output/import-<N>.csv (artist, title, a caller track id, an ISRC on half the
rows, a streaming id on a quarter, a few rows with errors), then into an empty catalogue:
- COPY of the same file into a bare table of text columns (what Postgres alone takes),
- `manage.py import_tracks` in-process (the progress bar off): rows/s,
- the same import again (idempotence: everything unchanged, nothing written).
Ratios: import rows/s over 10,000 (the target), and the import's time over COPY's.

    python -m bench.import_speed [--rows 1000000]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import string
import time
from pathlib import Path

from django.core.management import call_command
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

TARGET_ROWS_PER_SECOND = 10_000
BAD_EVERY = 10_000  # one row in this many has an invalid ISRC (a reported row error)


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


def timed_import(path: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds (importer + Postgres) of import_tracks, and its summary."""
    out, err = io.StringIO(), io.StringIO()
    started, cpu_before = time.perf_counter(), cpu_seconds()
    try:
        call_command("import_tracks", str(path), quiet_progress=True, stdout=out, stderr=err)
    except Exception as error:  # CommandError: "N row(s) rejected" (the bad rows, expected)
        say(f"  import_tracks: {error}")
    return time.perf_counter() - started, cpu_seconds() - cpu_before, out.getvalue().strip()


def main() -> None:
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
    copy_seconds = plain_copy(path)
    say(f"plain COPY: {copy_seconds:.2f}s ({args.rows / copy_seconds:.0f} rows/s)")
    first, first_cpu, summary = timed_import(path)
    say(f"import_tracks: {first:.1f}s ({args.rows / first:.0f} rows/s): {summary}")
    say(f"  CPU (importer + Postgres): {first_cpu:.1f}s ({args.rows / first_cpu:.0f} rows/CPU-s)")
    stored = scalar("SELECT count(*) FROM tracks")
    statuses = scalar("SELECT count(*) FROM enrichment_status")
    again, again_cpu, summary_again = timed_import(path)
    say(f"re-import: {again:.1f}s ({args.rows / again:.0f} rows/s): {summary_again}")
    rows_per_second = args.rows / first
    ratios(
        "import_speed",
        {
            "import_rows_per_s_vs_10k": rows_per_second / TARGET_ROWS_PER_SECOND,
            "import_time_vs_plain_copy": first / copy_seconds,
            # Load-independent: rows per CPU-second of the importer and Postgres together.
            "import_rows_per_cpu_s_vs_10k": args.rows / first_cpu / TARGET_ROWS_PER_SECOND,
        },
        {
            "rows": args.rows,
            "rejected_expected": bad,
            "import_seconds": round(first, 2),
            "import_rows_per_s": round(rows_per_second),
            "import_cpu_seconds": round(first_cpu, 2),
            "reimport_seconds": round(again, 2),
            "reimport_cpu_seconds": round(again_cpu, 2),
            "plain_copy_seconds": round(copy_seconds, 3),
            "summary": summary,
            "summary_reimport": summary_again,
            "tracks_stored": stored,
            "status_rows": statuses,
            "load_avg_before": load_before,
            "machine": machine(),
        },
    )


if __name__ == "__main__":
    main()
