"""Benchmark 2: our overhead. Rate limits off, instant upstreams, cold cache.

Part A, end to end: supervised worker processes drain N tracks against a sandbox with no
limits and no latency (client rates the seed's x 10^5: no waits). Per-source pacing is on as in
production: with every API free, the slow sources are asked by the track's job itself
(ENRICH_INLINE_WHEN_IDLE). Reports tracks/s, tracks/s per
core, and CPU seconds per track spent by the workers (every worker process, follow-up ones
included), Postgres and the sandbox (read from /proc). The same part A of a baseline commit
(--baseline, BENCH_BASELINE; default the main before issue 14) runs in its own checkout and
database, in turn with ours (baseline, ours, ours with follow-ups, baseline, ...): the figure is
our tracks per CPU-second of workers + Postgres over the baseline's; informative, the same for
ours with the slow sources always in follow-up jobs (ENRICH_INLINE_WHEN_IDLE=false: what a
track costs while those APIs are busy).

Part B, where the time goes (bench.overhead_breakdown): one thread in this process enriches M
tracks in a row, timing statements and HTTP exchanges; it counts the statements of one attempt
asking every source (the limiter's apart) and of a track's job plus its follow-up jobs. With
--profile, cProfile's top functions by CPU time too.

    python -m bench.overhead [--tracks 1000] [--processes 2] [--serial 150] [--rounds 2]
                             [--baseline COMMIT | --no-baseline] [--profile]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from bench import baseline
from bench.common import (
    APIS,
    Sandbox,
    Workers,
    child_env,
    completion_times,
    create_tracks,
    enqueue,
    postgres_cpu_seconds,
    prepare_database,
    ratios,
    recordings,
    requests_by_api,
    say,
    status_counts,
    wait_until_done,
)
from bench.figures import Figure
from bench.overhead_breakdown import UNLIMITED, breakdown


def end_to_end(
    sandbox: Sandbox, tracks_wanted: int, processes: int, concurrency: int, **extra_env: str
) -> dict:
    prepare_database()
    env = child_env(sandbox, UNLIMITED, ENRICH_THREADS=str(concurrency), **extra_env)
    with Workers(env, processes, concurrency) as workers:
        workers.start()
        tracks = create_tracks(recordings(tracks_wanted))
        sandbox.reset()
        cpu_before = (workers.cpu_seconds(), postgres_cpu_seconds(), sandbox.cpu_seconds())
        wall_before = time.time()
        load_before = os.getloadavg()[0]
        enqueue(tracks)
        wait_until_done(len(tracks), timeout=900, queue_empty=False)
        cpu_after = (workers.cpu_seconds(), postgres_cpu_seconds(), sandbox.cpu_seconds())
        calls = requests_by_api(sandbox.stats())
    times = completion_times()
    n = len(tracks)
    seconds = times[-1] - wall_before
    cpu = {
        name: cpu_after[i] - cpu_before[i]
        for i, name in enumerate(("workers", "postgres", "sandbox"))
    }
    cores = os.cpu_count() or 1
    rate = n / seconds
    ours = cpu["workers"] + cpu["postgres"]
    result: dict[str, Any] = {
        "tracks": n,
        "seconds": round(seconds, 1),
        "tracks_per_s": round(rate, 1),
        "tracks_per_s_per_core": round(rate / cores, 1),
        "tracks_per_cpu_s_ours": round(n / ours, 1) if ours else None,
        "cpu_ms_per_track": {k: round(1000 * v / n, 1) for k, v in cpu.items()},
        "calls_per_track": round(sum(calls.values()) / n, 2),
        "statuses": status_counts(),
        "load_avg_before": round(load_before, 2),
        "load_avg_after": round(os.getloadavg()[0], 2),
        "processes": processes,
        "concurrency": concurrency,
    }
    say(
        f"A. end to end: {n} tracks in {seconds:.1f}s = {rate:.1f} tracks/s "
        f"= {rate / cores:.1f} tracks/s per core ({cores} cores, {processes} worker processes "
        f"x {concurrency} threads)"
    )
    say(
        f"   CPU per track: workers {result['cpu_ms_per_track']['workers']} ms, Postgres "
        f"{result['cpu_ms_per_track']['postgres']} ms, sandbox "
        f"{result['cpu_ms_per_track']['sandbox']} ms; {result['calls_per_track']} upstream "
        f"calls per track; {result['tracks_per_cpu_s_ours']} tracks per CPU-second of ours "
        f"(workers + Postgres)"
    )
    say(
        f"   load average before/after: {result['load_avg_before']}/{result['load_avg_after']} "
        f"(other processes on this machine share the cores)"
    )
    return result


def per_cpu_second(runs: list[dict]) -> float:
    """Tracks per CPU-second of workers + Postgres over several part A runs."""
    tracks = sum(run["tracks"] for run in runs)
    cpu = sum(run["tracks"] * sum(run["cpu_ms_per_track"][k] for k in OURS) for run in runs)
    return 1000 * tracks / cpu


OURS = ("workers", "postgres")


# Ours with the slow sources always in follow-up jobs (as while their APIs are busy).
FOLLOW_UPS = {"ENRICH_INLINE_WHEN_IDLE": "false"}


def same_work(directory: Path | None) -> dict[str, str]:
    """Ours asks the APIs the baseline knows (ENRICHMENT_SOURCES): an API added since (TIDAL)
    is one more call and match per track, more work rather than overhead. Every API without a
    baseline."""
    if directory is None:
        return {}
    known = baseline.known_apis(directory, APIS)
    if set(known) == set(APIS):
        return {}
    added = ", ".join(sorted(set(APIS) - set(known)))
    say(f"ours asks the APIs the baseline knows: {', '.join(known)} (not {added})")
    return {"ENRICHMENT_SOURCES": ",".join(known)}


def side_by_side(args: argparse.Namespace, sandbox: Sandbox) -> dict[str, list[dict]]:
    """Part A of the baseline, ours, and ours with follow-up jobs, in turn, `rounds` times;
    in the first round also ours asking every API (when the baseline knows fewer)."""
    directory = (
        None if args.no_baseline else baseline.checkout(baseline.commit_wanted(args.baseline))
    )
    same = same_work(directory)
    runs: dict[str, list[dict]] = {"baseline": [], "ours": [], "follow_ups": [], "every_api": []}
    numbers: tuple[int, int, int] = (args.tracks, args.processes, args.concurrency)
    tracks, processes, concurrency = numbers
    try:
        for number in range(args.rounds):
            if directory is not None:
                say(f"round {number + 1}: baseline ({directory.name})")
                runs["baseline"].append(baseline.run_end_to_end(directory, *numbers))
            say(f"round {number + 1}: ours")
            runs["ours"].append(end_to_end(sandbox, tracks, processes, concurrency, **same))
            say(f"round {number + 1}: ours, the slow sources always in follow-up jobs")
            runs["follow_ups"].append(
                end_to_end(sandbox, tracks, processes, concurrency, **same, **FOLLOW_UPS)
            )
            if same and number == 0:
                say(f"round {number + 1}: ours, every API asked")
                runs["every_api"].append(end_to_end(sandbox, *numbers))
    finally:
        if directory is not None:
            baseline.stop_database(directory)
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--serial", type=int, default=160, help="tracks for part B")
    parser.add_argument("--rounds", type=int, default=2, help="part A runs of each, alternating")
    parser.add_argument(
        "--baseline", help=f"commit to compare with (default {baseline.DEFAULT_COMMIT})"
    )
    parser.add_argument("--no-baseline", action="store_true", help="ours only")
    parser.add_argument("--profile", action="store_true", help="cProfile part B (slower)")
    args = parser.parse_args()
    with Sandbox("--no-limits", "--latency-ms", "0") as sandbox:
        runs = side_by_side(args, sandbox)
        b = breakdown(sandbox, args.serial, args.profile)
    mine, split = per_cpu_second(runs["ours"]), per_cpu_second(runs["follow_ups"])
    every = per_cpu_second(runs["every_api"]) if runs["every_api"] else None
    reference = per_cpu_second(runs["baseline"]) if runs["baseline"] else None
    if reference:
        say(
            f"tracks per CPU-second of workers + Postgres: ours {mine:.1f} (follow-up jobs: "
            f"{split:.1f}), baseline {reference:.1f}: x{mine / reference:.2f} "
            f"(x{split / reference:.2f})"
        )
    shares, a = b["shares"], runs["ours"][-1]
    commit = baseline.commit_wanted(args.baseline)
    figures = [
        Figure(
            "per_cpu_s_vs_baseline",
            "tracks per CPU-second (workers + Postgres), ours vs the baseline's",
            round(mine, 1),
            round(reference, 1) if reference else None,
            f"baseline {commit}, same run",
            "tracks/CPU-s",
            "ratio >= 2",
        ),
        Figure(
            "per_cpu_s_follow_ups_vs_baseline",
            "the same, slow sources always in follow-up jobs (ENRICH_INLINE_WHEN_IDLE=false)",
            round(split, 1),
            round(reference, 1) if reference else None,
            f"baseline {commit}, same run",
            "tracks/CPU-s",
        ),
        *(
            [
                Figure(
                    "per_cpu_s_every_api_vs_baseline",
                    "the same, ours asking every API (TIDAL too: one more call per track)",
                    round(every, 1),
                    round(reference, 1) if reference else None,
                    f"baseline {commit}, same run",
                    "tracks/CPU-s",
                )
            ]
            if every
            else []
        ),
        Figure(
            "statements_per_attempt",
            "SQL statements per attempt asking every source (the shared limiter's apart)",
            b["statements_per_attempt"],
            unit="statements",
            target="value <= 25",
        ),
        Figure(
            "statements_per_track",
            "SQL statements per track, its job and follow-up jobs (the limiter's included)",
            b["with_follow_ups"]["statements_per_track"],
            unit="statements",
        ),
    ]
    ratios(
        "overhead",
        {
            "tracks_per_s": a["tracks_per_s"],
            "per_core": a["tracks_per_s_per_core"],
            "per_cpu_s_ours": round(mine, 1),
            "per_cpu_s_follow_ups": round(split, 1),
            "per_cpu_s_baseline": round(reference, 1) if reference else None,
            "per_cpu_s_every_api": round(every, 1) if every else None,
            "statements_per_attempt": b["statements_per_attempt"],
            "our_code": shares["our_code"],
            "database": shares["database"],
            "http": shares["http"],
        },
        {"end_to_end": runs, "breakdown": b},
        measured=figures,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
