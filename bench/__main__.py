"""`python -m bench` (make bench): every benchmark and drill in sequence, then RESULTS.md.

Each runs as its own process against the bench database (bench/output/data), prints its
figures and a final RATIOS line; a failing one does not stop the others, but makes this exit 1.
`python -m bench throughput calls` runs only those. The bench Postgres is stopped at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDER = (
    "throughput",
    "throughput_busy",
    "pacing",
    "overhead",
    "calls",
    "scale",
    "drill_breaker",
    "drill_chaos",
    "drill_kill",
    "catalogue",
    "import_speed",
)


def main(argv: list[str]) -> int:
    chosen = argv or list(ORDER)
    unknown = [name for name in chosen if name not in ORDER]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {', '.join(ORDER)}")
        return 2
    summary: list[str] = []
    failed: list[str] = []
    started = time.monotonic()
    for name in chosen:
        print(f"\n=== bench.{name} ===", flush=True)
        began = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", f"bench.{name}"], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        ratios_line = ""
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.startswith("RATIOS "):
                ratios_line = line.strip()
        code = process.wait()
        took = time.monotonic() - began
        if code != 0:
            failed.append(name)
        summary.append(
            f"{ratios_line or 'RATIOS ' + name + ' (none)'}   [{took:.0f}s, exit {code}]"
        )
    total = time.monotonic() - started
    subprocess.run(
        [sys.executable, "-m", "bench.report", f"--total-seconds={total:.0f}"],
        cwd=ROOT,
        check=False,
    )
    _stop_postgres()
    print("\n=== summary ===")
    for line in summary:
        print(line)
    print(
        f"{len(chosen) - len(failed)}/{len(chosen)} passed in {total / 60:.1f} min"
        + (f"; FAILED: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


def _stop_postgres() -> None:
    if os.environ.get("BENCH_DATABASE_URL"):
        return
    data_dir = os.environ.get("BENCH_DATA_DIR") or str(ROOT / "bench" / "output" / "data")
    env = {**os.environ, "SONGNODES_DATA_DIR": data_dir}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "songnodes.database", "stop"],
        cwd=ROOT,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
