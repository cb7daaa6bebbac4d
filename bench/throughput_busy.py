"""Benchmark 1b: throughput beside one CPU-bound process per core (`bench.throughput --busy`)."""

from __future__ import annotations

import sys

from bench.throughput import main

if __name__ == "__main__":
    raise SystemExit(main(["--busy", *sys.argv[1:]]))
