"""The sandbox catalogue's build time: linear in its size, and small beside a process start.

python -m bench.catalogue        (make bench runs it)

The unit suite used to assert "builds in under a second", which a busy machine can break.
Here the figure is a ratio to references measured in the same run: the time of a tenth of
the catalogue (times ten: > 1.5 would mean worse than linear growth), and the time to start
a bare Python interpreter (the demo and the tests build the catalogue once per process).
"""

from __future__ import annotations

import subprocess
import sys

from bench.common import machine, median_ms, ratios, say
from bench.figures import Figure

FULL, TENTH = 3000, 300


def main() -> None:
    from sandbox.catalogue import DEFAULT_SEED, build_catalogue

    full_ms, _ = median_ms(lambda: build_catalogue(DEFAULT_SEED + 1, FULL), repeat=5)
    tenth_ms, _ = median_ms(lambda: build_catalogue(DEFAULT_SEED + 1, TENTH), repeat=5)
    python_ms, _ = median_ms(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    linearity = full_ms / (tenth_ms * FULL / TENTH)
    per_start = full_ms / python_ms
    say(f"catalogue of {FULL}: {full_ms:.0f} ms; of {TENTH}: {tenth_ms:.0f} ms")
    say(f"a bare interpreter start: {python_ms:.0f} ms")
    ratios(
        "catalogue",
        {
            "linearity": round(linearity, 2),
            "per_interpreter_start": round(per_start, 2),
        },
        {
            "full_ms": round(full_ms),
            "tenth_ms": round(tenth_ms),
            "python_ms": round(python_ms),
            "machine": machine(),
        },
        measured=[
            Figure(
                "linearity",
                f"time per recording, {FULL:,} vs {TENTH:,} recordings",
                full_ms / FULL,
                tenth_ms / TENTH,
                f"per recording at {TENTH:,}",
                "ms",
                "ratio <= 1.5",
            ),
            Figure(
                "per_start",
                "full catalogue build",
                full_ms,
                python_ms,
                "bare interpreter start",
                "ms",
            ),
        ],
    )
    if linearity > 1.5:
        raise SystemExit(f"the catalogue grows worse than linearly ({linearity:.2f} > 1.5)")


if __name__ == "__main__":
    main()
