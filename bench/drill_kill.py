"""Drill 7: SIGKILL a worker mid-run; restart Postgres mid-run.

Part 1: three supervised worker processes drain the queue; at t=8 s one of them is SIGKILLed
(its in-flight jobs die with it). The supervisor starts a replacement; the survivors' periodic
stalled-job recovery (heartbeat 1 s, stalled after 5 s, checked every 2 s) retries the dead
worker's jobs and releases its tracks' claims.
Part 2: at t=8 s the embedded Postgres is stopped (fast shutdown: every connection cut), stays
down --outage seconds, and starts again in the same place; workers and supervisor must carry on.
Each part fails (exit 1) if a track is lost, stuck in_progress, written twice or wrongly.

    python -m bench.drill_kill [--tracks 300] [--outage 5] [--part kill|restart|both]
"""

from __future__ import annotations

import argparse
import os
import signal
import time

from bench.common import (
    DATA_DIR,
    Checks,
    Sandbox,
    Workers,
    drill_figures,
    nothing_lost,
    ratios,
    reconnect,
    run_drill,
    say,
    scaled_rates,
    sql,
)
from bench.figures import Figure


def kill_part(sandbox: Sandbox, tracks: int, checks: Checks) -> dict:
    killed: list[int] = []

    def kill_one(workers: Workers) -> None:
        victim = workers.children()[0]
        in_flight = sql("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'")[0][0]
        say(f"     SIGKILL worker pid {victim.pid} ({in_flight} jobs doing cluster-wide)")
        os.kill(victim.pid, signal.SIGKILL)
        killed.append(victim.pid)

    run = run_drill(
        sandbox,
        tracks=tracks,
        rates=scaled_rates(20),
        timeout=150,
        events=[(8.0, "SIGKILL one worker", kill_one)],
    )
    recovered = sql(
        "SELECT count(*) FROM bench_status_audit WHERE old_status = 'in_progress' "
        "AND new_status = 'pending' AND error IS NULL"
    )[0][0]
    say(f"part 1 finished after {run.seconds:.0f}s; claims released by the recovery: {recovered}")
    checks.check("a worker was killed", bool(killed))
    checks.check("the dead worker's tracks were released and redone", recovered > 0, recovered)
    nothing_lost(checks, run.tracks)
    return {"seconds": round(run.seconds), "released": recovered}


def restart_part(sandbox: Sandbox, tracks: int, outage: float, checks: Checks) -> dict:
    from songnodes.database import embedded_database_url, stop_embedded

    timings: dict[str, float] = {}

    def restart(workers: Workers) -> None:
        started = time.monotonic()
        stop_embedded(DATA_DIR)
        say(f"     Postgres stopped; down for {outage:g}s")
        time.sleep(outage)
        embedded_database_url(DATA_DIR)
        reconnect()
        timings["restart_s"] = round(time.monotonic() - started, 1)
        say(f"     Postgres back after {timings['restart_s']}s")

    run = run_drill(
        sandbox,
        tracks=tracks,
        rates=scaled_rates(20),
        timeout=150,
        events=[(8.0, "restart Postgres", restart)],
    )
    say(f"part 2 finished after {run.seconds:.0f}s")
    checks.check("Postgres was restarted", "restart_s" in timings)
    stuck = sql(
        "SELECT s.status, j.status, j.attempts, left(s.error_message, 80), count(*) "
        "FROM enrichment_status s LEFT JOIN procrastinate_jobs j "
        "ON j.task_name = 'enrichment.enrich_track' AND j.args->>'track_id' = s.track_id::text "
        "WHERE s.status IN ('in_progress', 'pending') GROUP BY 1, 2, 3, 4"
    )
    for row in stuck:
        say(f"     unfinished: track {row[0]}, its job {row[1]} (attempts {row[2]}) x{row[4]}")
    failed_jobs = sql(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'enrichment.enrich_track' "
        "AND status = 'failed'"
    )[0][0]
    checks.check(
        "no enrichment job failed for good because of the outage", failed_jobs == 0, failed_jobs
    )
    nothing_lost(checks, run.tracks)
    return {"seconds": round(run.seconds), **timings}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=300)
    parser.add_argument("--outage", type=float, default=5.0)
    parser.add_argument("--part", choices=("kill", "restart", "both"), default="both")
    args = parser.parse_args()
    checks = Checks()
    results: dict[str, dict] = {}
    with Sandbox("--no-limits") as sandbox:
        if args.part in ("kill", "both"):
            say("part 1: SIGKILL a worker mid-run")
            results["kill"] = kill_part(sandbox, args.tracks, checks)
        if args.part in ("restart", "both"):
            if os.environ.get("BENCH_DATABASE_URL"):
                say("part 2 skipped: it restarts the embedded Postgres (BENCH_DATABASE_URL set)")
            else:
                say("part 2: restart Postgres mid-run")
                results["restart"] = restart_part(sandbox, args.tracks, args.outage, checks)
    code = checks.finish()
    ratios(
        "drill_kill",
        {
            "ok": int(code == 0),
            "kill_seconds": results.get("kill", {}).get("seconds"),
            "restart_seconds": results.get("restart", {}).get("seconds"),
            "failed_checks": len(checks.failed),
        },
        {**results, "failed": checks.failed},
        measured=drill_figures(checks)
        + [
            Figure(f"{part}_seconds", f"{part} part: seconds until drained", seconds, unit="s")
            for part in ("kill", "restart")
            if (seconds := results.get(part, {}).get("seconds")) is not None
        ],
    )
    return code


if __name__ == "__main__":
    raise SystemExit(main())
