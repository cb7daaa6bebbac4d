"""Benchmark 2: our overhead. Rate limits off, instant upstreams, cold cache.

Part A, end to end: supervised worker processes drain N tracks against a sandbox with no
limits and no latency (client rates the seed's x 10^5: no waits, the same per-source pacing as
production, so slow sources go to their follow-up workers). Reports tracks/s, tracks/s per
core, and CPU seconds per track spent by the workers (every worker process, follow-up ones
included), Postgres and the sandbox (read from /proc). The same part A of a baseline commit
(--baseline, BENCH_BASELINE; default the main before issue 14) runs in its own checkout and
database, alternating with ours (baseline, ours, baseline, ours, ...): the figure is our tracks
per CPU-second of workers + Postgres over the baseline's.

Part B, where the time goes: one thread in this process enriches M tracks one after the other
(the same pipeline.enrich the task runs), timing every database statement (Django
execute_wrapper) and every HTTP exchange (requests' Session.send); the rest is our code
(pipeline, matching, ORM, cache serialisation). With --profile, cProfile's top functions too.
It counts the statements of one attempt asking every source (the shared limiter's apart), and
those of a track's job plus its follow-up jobs (enrichment.pacing).

    python -m bench.overhead [--tracks 1000] [--processes 2] [--serial 150] [--rounds 2]
                             [--baseline COMMIT | --no-baseline] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import requests
from django.conf import settings
from django.db import connection

from bench import baseline
from bench.common import (
    APIS,
    SEED_RATES,
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

# No waits, and the seed's order of rates: per-source pacing splits tracks as in production.
UNLIMITED = {api: rate * 100_000 for api, rate in SEED_RATES.items()}
LIMITER_TABLE = "rate_limit_state"


def end_to_end(sandbox: Sandbox, tracks_wanted: int, processes: int, concurrency: int) -> dict:
    prepare_database()
    env = child_env(sandbox, UNLIMITED, ENRICH_THREADS=str(concurrency))
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


def point_settings_at(sandbox: Sandbox) -> None:
    """This process's sources talk to the sandbox, unlimited (settings are read per call)."""
    for name, value in sandbox.env().items():
        source = name.removesuffix("_API_URL").lower()
        if name.endswith("_API_URL") and source in settings.SOURCES:
            settings.SOURCES[source]["api_url"] = value
        else:
            setattr(settings, name, value)
    for api in APIS:
        settings.SOURCES[api]["rate_limit"] = float(UNLIMITED[api])


def statement_kind(sql: str) -> str:
    """A short name for a statement: its verb and main table."""
    words = re.sub(r"\s+", " ", sql).strip()
    verb = words.split(" ", 1)[0].upper()
    table = re.search(r'(?:FROM|INTO|UPDATE|JOIN)\s+"?([a-z_]+)"?', words, re.IGNORECASE)
    if verb == "WITH" and "rate_limit_state" in words:
        return "WITH/UPDATE rate_limit_state (book a slot)"
    return f"{verb} {table.group(1) if table else ''}".strip()


class Clock:
    """Wall time spent inside database statements and HTTP exchanges."""

    def __init__(self) -> None:
        self.db = self.http = 0.0
        self.queries = self.exchanges = 0
        self.kinds: Counter[str] = Counter()
        self.kind_time: dict[str, float] = defaultdict(float)

    def db_wrapper(self, execute: Callable, sql: str, params: Any, many: bool, context: Any):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            self.db += spent
            self.queries += 1
            kind = statement_kind(sql)
            self.kinds[kind] += 1
            self.kind_time[kind] += spent

    @contextmanager
    def http_timed(self):
        original = requests.Session.send
        clock = self

        def send(session: requests.Session, request: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(session, request, **kwargs)
            finally:
                clock.http += time.perf_counter() - started
                clock.exchanges += 1

        requests.Session.send = send  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            requests.Session.send = original  # type: ignore[method-assign]


def breakdown(sandbox: Sandbox, count: int, profile: bool) -> dict:
    from enrichment import pipeline

    prepare_database()
    point_settings_at(sandbox)
    tracks = list(create_tracks(recordings(count, seed=23)))
    warm, measured = tracks[:10], tracks[10:]
    for track_id in warm:  # connections, sessions, token, imports
        pipeline.enrich(track_id)
    clock = Clock()
    profiler = cProfile.Profile(time.process_time) if profile else None
    with connection.execute_wrapper(clock.db_wrapper), clock.http_timed():
        started = time.perf_counter()
        cpu_started = time.process_time()
        if profiler:
            profiler.enable()
        for track_id in measured:
            pipeline.enrich(track_id)
        if profiler:
            profiler.disable()
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    n = len(measured)
    ours = wall - clock.db - clock.http
    shares = {"our_code": ours / wall, "database": clock.db / wall, "http": clock.http / wall}
    limiter = sum(number for kind, number in clock.kinds.items() if LIMITER_TABLE in kind)
    result: dict[str, Any] = {
        "tracks": n,
        "ms_per_track": round(1000 * wall / n, 1),
        "serial_tracks_per_s": round(n / wall, 1),
        "ms_per_track_split": {
            "our_code": round(1000 * ours / n, 1),
            "database": round(1000 * clock.db / n, 1),
            "http": round(1000 * clock.http / n, 1),
        },
        "shares": {k: round(v, 3) for k, v in shares.items()},
        "queries_per_track": round(clock.queries / n, 1),
        "statements_per_attempt": round((clock.queries - limiter) / n, 1),
        "limiter_statements_per_attempt": round(limiter / n, 1),
        "http_per_track": round(clock.exchanges / n, 2),
        "process_cpu_ms_per_track": round(1000 * cpu / n, 1),
        "profiled": profile,
    }
    split = result["ms_per_track_split"]
    say(
        f"B. one thread, {n} tracks: {result['ms_per_track']} ms per track "
        f"({result['serial_tracks_per_s']} tracks/s serial)"
        + (" [under cProfile]" if profile else "")
    )
    say(
        f"   our code {split['our_code']} ms ({shares['our_code']:.0%}), database "
        f"{split['database']} ms ({shares['database']:.0%}, {result['queries_per_track']} "
        f"statements), HTTP {split['http']} ms ({shares['http']:.0%}, "
        f"{result['http_per_track']} exchanges)"
    )
    say(
        f"   statements per attempt (every source asked): {result['statements_per_attempt']}, "
        f"and {result['limiter_statements_per_attempt']} of the shared limiter"
    )
    say("   statements per track (count, ms):")
    for kind, number in clock.kinds.most_common(14):
        say(f"     {number / n:5.1f}  {1000 * clock.kind_time[kind] / n:5.1f} ms  {kind}")
    result["statements"] = {k: round(v / n, 2) for k, v in clock.kinds.most_common()}
    if profiler:
        show_profile(profiler)
    result["with_follow_ups"] = statements_with_follow_ups(count)
    return result


def show_profile(profiler: cProfile.Profile) -> None:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    say("   cProfile (CPU time), top 25 by own time:")
    for line in out.getvalue().splitlines():
        if line.strip() and ("/" in line or "ncalls" in line):
            say("   " + line.rstrip()[:150])


def statements_with_follow_ups(count: int) -> dict[str, Any]:
    """Statements of a track's job plus its follow-up jobs (queued, then run here in turn)."""
    from enrichment import follow_up_tasks, follow_ups, pipeline

    prepare_database()
    tracks = list(create_tracks(recordings(count, seed=29)))
    asked: list[tuple[str, list[str]]] = []

    def queue(track_id: str, sources: list[str]) -> None:
        follow_up_tasks.defer_follow_ups(track_id, sources)
        asked.append((track_id, sources))

    def one_track(track_id: str) -> None:
        pipeline.enrich(track_id, follow_ups=queue)
        while asked:
            track, sources = asked.pop()
            for source in sources:
                follow_ups.enrich_source(track, source)

    for track_id in tracks[:10]:
        one_track(track_id)
    clock = Clock()
    with connection.execute_wrapper(clock.db_wrapper):
        for track_id in tracks[10:]:
            one_track(track_id)
    n = len(tracks) - 10
    limiter = sum(number for kind, number in clock.kinds.items() if LIMITER_TABLE in kind)
    result = {
        "tracks": n,
        "statements_per_track": round(clock.queries / n, 1),
        "limiter_statements_per_track": round(limiter / n, 1),
    }
    say(
        f"   a track's job and its follow-up jobs: {result['statements_per_track']} statements "
        f"per track ({result['limiter_statements_per_track']} of them the shared limiter's)"
    )
    return result


def per_cpu_second(runs: list[dict]) -> float:
    """Tracks per CPU-second of workers + Postgres over several part A runs."""
    tracks = sum(run["tracks"] for run in runs)
    cpu = sum(run["tracks"] * sum(run["cpu_ms_per_track"][k] for k in OURS) for run in runs)
    return 1000 * tracks / cpu


OURS = ("workers", "postgres")


def side_by_side(args: argparse.Namespace, sandbox: Sandbox) -> tuple[list[dict], list[dict]]:
    """Part A of the baseline and ours, alternating (baseline first), `rounds` times each."""
    directory = (
        None if args.no_baseline else baseline.checkout(baseline.commit_wanted(args.baseline))
    )
    theirs: list[dict] = []
    ours: list[dict] = []
    try:
        for number in range(args.rounds):
            if directory is not None:
                say(f"round {number + 1}: baseline ({directory.name})")
                theirs.append(
                    baseline.run_end_to_end(
                        directory, args.tracks, args.processes, args.concurrency
                    )
                )
            say(f"round {number + 1}: ours")
            ours.append(end_to_end(sandbox, args.tracks, args.processes, args.concurrency))
    finally:
        if directory is not None:
            baseline.stop_database(directory)
    return ours, theirs


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
        ours, theirs = side_by_side(args, sandbox)
        b = breakdown(sandbox, args.serial, args.profile)
    mine = per_cpu_second(ours)
    reference = per_cpu_second(theirs) if theirs else None
    if reference:
        say(
            f"tracks per CPU-second of workers + Postgres: ours {mine:.1f}, baseline "
            f"{reference:.1f}: x{mine / reference:.2f}"
        )
    shares, a = b["shares"], ours[-1]
    figures = [
        Figure(
            "per_cpu_s_vs_baseline",
            "tracks per CPU-second (workers + Postgres), ours vs the baseline's",
            round(mine, 1),
            round(reference, 1) if reference else None,
            f"baseline {baseline.commit_wanted(args.baseline)}, same run",
            "tracks/CPU-s",
            "ratio >= 2",
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
            "per_cpu_s_baseline": round(reference, 1) if reference else None,
            "statements_per_attempt": b["statements_per_attempt"],
            "our_code": shares["our_code"],
            "database": shares["database"],
            "http": shares["http"],
        },
        {"end_to_end": ours, "baseline_end_to_end": theirs, "breakdown": b},
        measured=figures,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
