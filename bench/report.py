"""Write bench/RESULTS.md from the figures the benchmarks left in bench/output/results/.

python -m bench.report        (make bench runs it at the end)

Generic: every benchmark's JSON carries its own figures, each with the reference measured in
the same run and a target (bench/figures.py), and the host it ran on (date, CPU model, cores,
load average). Each run gets its own section: a figure is shown as value / reference = ratio,
so runs on a busy or slower machine stay comparable.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bench.__main__ import ORDER
from bench.common import RESULTS_DIR, ROOT, machine
from bench.figures import figures_from

TARGET = ROOT / "bench" / "RESULTS.md"
TITLES = {
    "throughput": "1. Throughput vs the rate-limit bound",
    "throughput_busy": "1b. Throughput beside one CPU-bound process per core",
    "pacing": "1c. BPM and Camelot first (per-source pacing)",
    "throughput_strict": "1d. Throughput, every sandbox burst pinned (strict, informative)",
    "overhead": "2. Overhead (no limits, instant upstreams)",
    "calls": "3. Calls per track per API",
    "scale": "4. A million tracks",
    "drill_breaker": "5. Drill: one API down 100%, breaker",
    "drill_chaos": "6. Drill: chaos mix",
    "drill_kill": "7. Drill: SIGKILL a worker; restart Postgres",
    "catalogue": "8. Sandbox catalogue build",
}


def load() -> dict[str, dict[str, Any]]:
    results = {}
    for path in sorted(RESULTS_DIR.glob("*.json")):
        record = json.loads(path.read_text())
        results[record["name"]] = record
    order = {name: index for index, name in enumerate(ORDER)}
    return dict(sorted(results.items(), key=lambda item: (order.get(item[0], 99), item[0])))


def number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def verdict(met: bool | None) -> str:
    return "" if met is None else "yes" if met else "**NO**"


def run_line(record: Mapping[str, Any]) -> str:
    """When and where a run happened: date, CPU model, cores, load average."""
    box = record.get("host") or {}
    at = (box.get("at") or record.get("at", "?")).replace("T", " ").replace("+00:00", " UTC")
    if not box:
        return f"Run {at} (machine and load not recorded by this benchmark version)."
    load = " / ".join(f"{value:g}" for value in box.get("load_avg", []))
    return (
        f"Run {at} on {box.get('cpu')}, {box.get('cores')} cores; load average {load} (1/5/15 min)."
    )


def section(name: str, record: Mapping[str, Any]) -> list[str]:
    lines = [f"## {TITLES.get(name, name)} (`{name}`)", "", run_line(record), ""]
    lines += [
        "| figure | value | reference (same run) | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for figure in figures_from(record):
        unit = f" {figure['unit']}" if figure.get("unit") else ""
        reference = figure.get("reference")
        shown_reference = (
            f"{number(reference)}{unit} {figure.get('reference_label', '')}".strip()
            if reference is not None
            else ""
        )
        ratio = figure.get("ratio")
        lines.append(
            f"| {figure['label']} | {number(figure['value'])}{unit}"
            f" | {shown_reference} | {'' if ratio is None else f'**{ratio:.3g}**'}"
            f" | {figure.get('target', '')} | {verdict(figure.get('met'))} |"
        )
    return [*lines, ""]


def summary(results: Mapping[str, Mapping[str, Any]]) -> list[str]:
    lines = ["| benchmark | run (UTC) | load average | targets met |", "|---|---|---|---|"]
    for name, record in results.items():
        verdicts = [f.get("met") for f in figures_from(record) if f.get("met") is not None]
        met = f"{sum(1 for v in verdicts if v)}/{len(verdicts)}" if verdicts else "(none)"
        box = record.get("host") or {}
        load = " / ".join(f"{value:g}" for value in box.get("load_avg", [])) or "?"
        at = record.get("at", "?").replace("T", " ").replace("+00:00", "")
        lines.append(f"| {TITLES.get(name, name)} (`{name}`) | {at} | {load} | {met} |")
    return [*lines, ""]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total-seconds", type=float, default=0)
    args = parser.parse_args()
    results = load()
    box = machine()
    after = f" after `make bench` ({args.total_seconds / 60:.1f} min)" if args.total_seconds else ""
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m bench.report` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC{after}.",
        "",
        f"Machine: {box['cpu']}, {box['cores']} cores, {box['memory_gib']} GiB RAM, {box['os']}, "
        f"Python {box['python']}, PostgreSQL {box['postgres']} (embedded, pgserver). The machine "
        "may be shared: each run below records its own date and load average, and every figure "
        "is a ratio to a reference measured in that same run.",
        "",
        *summary(results),
    ]
    for name, record in results.items():
        lines += section(name, record)
    lines += [
        "Every figure and detail: `bench/output/results/<name>.json`. How each is measured, "
        "what limits it and the fixes proposed: [README.md](README.md).",
        "",
    ]
    TARGET.write_text("\n".join(lines) + "\n")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
