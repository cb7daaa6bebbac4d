"""Benchmark 2, part B: where one thread's time goes, and how many statements an attempt takes.

One thread in this process enriches M tracks one after the other (the same pipeline.enrich the
task runs), timing every database statement (Django execute_wrapper) and every HTTP exchange
(requests' Session.send); the rest is our code (pipeline, matching, ORM, cache
serialisation). With profile=True, cProfile's top functions by CPU time too. It counts the
statements of one attempt asking every source (the shared limiter's apart), and those of a
track's job plus its follow-up jobs (enrichment.pacing). Run through `bench.overhead`.
"""

from __future__ import annotations

import cProfile
import io
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

from bench.common import (
    APIS,
    SEED_RATES,
    Sandbox,
    create_tracks,
    prepare_database,
    recordings,
    say,
)

# No waits, and the seed's order of rates: per-source pacing splits tracks as in production.
UNLIMITED = {api: rate * 100_000 for api, rate in SEED_RATES.items()}
LIMITER_TABLE = "rate_limit_state"


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
