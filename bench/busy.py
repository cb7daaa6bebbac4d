"""CPU-bound processes beside a benchmark: one per core, bounded in time, killed at the end.

with CpuBurners(seconds=600):  # each spins for at most 600 s, and dies with the block
    ...
"""

from __future__ import annotations

import os
import subprocess
import sys
from types import TracebackType

# Spins until its deadline; the deadline bounds it even if the bench process dies unkindly.
SPIN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


def load_average() -> tuple[float, float, float]:
    """The host's 1, 5 and 15 minute load averages."""
    return os.getloadavg()


class CpuBurners:
    """`count` (default: one per core) busy-looping Python processes for the block's duration."""

    def __init__(self, seconds: float, count: int | None = None) -> None:
        self.seconds = seconds
        self.count = count or os.cpu_count() or 1
        self.processes: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> CpuBurners:
        code = SPIN.format(seconds=float(self.seconds))
        for _ in range(self.count):
            self.processes.append(subprocess.Popen([sys.executable, "-c", code]))
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for process in self.processes:
            process.kill()
        for process in self.processes:
            process.wait()
        self.processes.clear()
