"""Write bench/RESULTS.md from the figures the benchmarks left in bench/output/results/.

python -m bench.report        (make bench runs it at the end)
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from bench.common import RESULTS_DIR, ROOT, machine

TARGET = ROOT / "bench" / "RESULTS.md"


def load() -> dict[str, dict[str, Any]]:
    results = {}
    for path in sorted(RESULTS_DIR.glob("*.json")):
        record = json.loads(path.read_text())
        results[record["name"]] = record
    return results


def ok(flag: bool) -> str:
    return "yes" if flag else "**NO**"


def pacing_row(r: dict[str, Any], d: dict[str, Any]) -> tuple[str, str, str, str]:
    """BPM and Camelot first (bench.pacing)."""
    return (
        f"1c. BPM+Camelot first (x{d['scale']:g} rates, {d['tracks']} tracks; follow-ups: "
        f"{', '.join(d['follow_up_apis'])})",
        "first >= 0.9, full >= 0.95, 0 violations",
        f"95 % of {d['identifiable']} identifiable tracks with BPM+Camelot after "
        f"{r['bpm_camelot_95_s']} s = **{r['first']}** of the {d['first_bottleneck']} bound; "
        f"all sources settled after {r['full_s']} s = **{r['full']}** of the "
        f"{d['bottleneck']} bound; violations {r['violations']}; load average "
        f"{', '.join(f'{x:.1f}' for x in d['load_average'])}",
        ok(r["first"] >= 0.9 and r["full"] >= 0.95 and r["violations"] == 0),
    )


def rows(results: dict[str, dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(benchmark, target, result, met?) rows of the summary table."""
    table: list[tuple[str, str, str, str]] = []
    if "throughput" in results:
        r, d = results["throughput"]["ratios"], results["throughput"]["details"]
        table.append(
            (
                "1. Throughput vs bound (x{:g} rates, {} tracks, {} workers x {} threads)".format(
                    d["scale"], d["tracks"], d["processes"], d["concurrency"]
                ),
                ">= 0.9, 0 violations",
                f"{r['tracks_per_s']} tracks/s / bound {r['bound']} ({d['bottleneck']}) = "
                f"**{r['throughput']}** end to end, {r['steady']} steady; violations "
                f"{r['violations']} (warm-up {r.get('warmup_violations', '?')})",
                ok(r["throughput"] >= 0.9 and r["violations"] == 0),
            )
        )
    if "throughput_strict" in results:
        r, d = results["throughput_strict"]["ratios"], results["throughput_strict"]["details"]
        table.append(
            (
                f"1b. The same, every sandbox burst pinned to {max(d['bursts'].values()):g} "
                "(strict; `--burst 2`, not in make bench)",
                "(informative)",
                f"ratio {r['throughput']} end to end, {r['steady']} steady; violations "
                f"{r['violations']} at {d.get('violations_at_s')} s "
                f"(warm-up {r['warmup_violations']})",
                "(informative)",
            )
        )
    if "pacing" in results:
        table.append(pacing_row(results["pacing"]["ratios"], results["pacing"]["details"]))
    if "overhead" in results:
        r, d = results["overhead"]["ratios"], results["overhead"]["details"]
        a, b = d["end_to_end"], d["breakdown"]
        table.append(
            (
                "2. Overhead (no limits, 0 ms upstreams, cold cache)",
                "report; as high as possible",
                f"{r['tracks_per_s']} tracks/s = **{r['per_core']} tracks/s per core**; "
                f"{r['per_cpu_s_ours']} tracks per CPU-s of workers+Postgres; CPU/track: workers "
                f"{a['cpu_ms_per_track']['workers']} ms, Postgres "
                f"{a['cpu_ms_per_track']['postgres']} ms; one thread: "
                f"{b['ms_per_track']} ms/track = our code "
                f"{r['our_code']:.0%} / database {r['database']:.0%} / HTTP {r['http']:.0%} "
                f"({b['queries_per_track']} statements, {b['http_per_track']} HTTP per track)",
                "reported",
            )
        )
    if "calls" in results:
        r, d = results["calls"]["ratios"], results["calls"]["details"]
        per = ", ".join(f"{api} {value:g}" for api, value in d["per_track"].items())
        warm = (r["warm_requeue"], r["warm_forget"], r["warm_reimport"])
        table.append(
            (
                "3. Calls per track per API (cold), and on re-enriching unchanged tracks (warm)",
                "re-enrich: 0 calls",
                f"{r['calls_per_track']} calls/track ({per}); warm re-enrich: re-queued "
                f"{warm[0]}, outcomes forgotten {warm[1]}, re-imported {warm[2]}",
                ok(not any(warm)),
            )
        )
    if "scale" in results:
        r, d = results["scale"]["ratios"], results["scale"]["details"]
        n = f"{d['tracks']:,}"
        snapshot = d.get("stats_no_snapshot_ms")
        table.append(
            (
                f"4a. /stats ({n} tracks)",
                "< 100 ms",
                f"**{r['stats_ms']} ms** (served snapshot); computed afresh: "
                f"{d.get('stats_scan_ms')} ms"
                + (f", /stats without snapshot {snapshot} ms" if snapshot else ""),
                ok(r["stats_ms"] < 100),
            )
        )
        admin = ", ".join(f"{name} {ms:.0f}" for name, ms in d["admin_ms"].items())
        table.append(
            (
                f"4b. Admin track list, first page, filtered ({n})",
                "< 300 ms",
                f"**{r['admin_ms']} ms** slowest filter; all (ms): {admin}",
                ok(r["admin_ms"] < 300),
            )
        )
        table.append(
            (
                f"4c. Periodic due selection ({n})",
                "< 100 ms",
                f"**{r['due_ms']} ms** due_track_ids(100); add_missing_statuses(100) "
                f"{d['add_missing_statuses_ms']} ms; due_track_ids(10000) "
                f"{d['due_10000_ms']} ms",
                ok(r["due_ms"] < 100),
            )
        )
        table.append(
            (
                f"4d. Enqueue 100k jobs ({n})",
                "< 10 s",
                f"**{r['enqueue_100k_s']} s** (median of 3); again, all already queued: "
                f"{d['requeue_s']} s",
                ok(r["enqueue_100k_s"] < 10),
            )
        )
    for name, label in (
        ("drill_breaker", "5. Drill: one API down 100%, breaker"),
        ("drill_chaos", "6. Drill: chaos mix"),
        ("drill_kill", "7. Drill: SIGKILL a worker; restart Postgres"),
    ):
        if name in results:
            r, d = results[name]["ratios"], results[name]["details"]
            figures = ", ".join(f"{k} {v}" for k, v in r.items() if k not in ("ok",))
            failed = d.get("failed") or []
            table.append(
                (
                    label,
                    "nothing lost",
                    figures + (f"; failed: {', '.join(failed)}" if failed else ""),
                    ok(bool(r["ok"])),
                )
            )
    if "catalogue" in results:
        r, d = results["catalogue"]["ratios"], results["catalogue"]["details"]
        table.append(
            (
                "8. Sandbox catalogue build (3000 vs 10 x 300 recordings)",
                "linearity <= 1.5",
                f"**{r['linearity']}**; {d['full_ms']} ms = {r['per_interpreter_start']} x a "
                f"bare Python start ({d['python_ms']} ms)",
                ok(r["linearity"] <= 1.5),
            )
        )
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total-seconds", type=float, default=0)
    args = parser.parse_args()
    results = load()
    box = machine()
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m bench.report` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        + (
            f" after `make bench` ({args.total_seconds / 60:.1f} min)."
            if args.total_seconds
            else "."
        ),
        "",
        f"Machine: {box['cpu']}, {box['cores']} cores, {box['memory_gib']} GiB RAM, {box['os']}, "
        f"Python {box['python']}, PostgreSQL {box['postgres']} (embedded, pgserver), "
        f"load average now {box['load_avg']} (the machine is shared: other processes compete "
        "for the same cores during runs).",
        "",
        "| benchmark | target | result | met |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(results)]
    lines += [
        "",
        "Each run's date and every figure: `bench/output/results/<name>.json`. How each "
        "figure is measured, what limits it and the fixes proposed: "
        "[README.md](README.md).",
        "",
    ]
    lines += ["## Runs", ""]
    for name, record in results.items():
        lines.append(
            f"- `{name}` at {record['at']}: "
            + " ".join(f"{k}={v}" for k, v in record["ratios"].items())
        )
    TARGET.write_text("\n".join(lines) + "\n")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
