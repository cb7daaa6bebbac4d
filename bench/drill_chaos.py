"""Drill 6: the sandbox's chaos mix while several workers drain the queue.

For --chaos seconds every API meets random 500/502/503 (error rate), truncated JSON and HTML
error pages (malformed), responses delayed by 1.5 s (slow), and 429 storms with Retry-After on
the first two identifying APIs (Spotify and MusicBrainz); the sandbox also enforces our client
rates. Then the faults stop and the retries the workers scheduled drain. Fails (exit 1) if a
track is lost, stuck, written twice or wrongly.

    python -m bench.drill_chaos [--tracks 300] [--chaos 30]
    python -m bench.drill_chaos --faults "error_rate=0.2,storm=<api>:0:10"
"""

from __future__ import annotations

import argparse

from bench.common import (
    APIS,
    IDENTIFYING,
    Checks,
    Sandbox,
    Workers,
    drill_figures,
    nothing_lost,
    ratios,
    run_drill,
    say,
    scaled_rates,
    sql,
    status_counts,
)
from bench.figures import Figure

FAULTS = (
    "error_rate=0.05,malformed=0.03,slow=0.05:1500,"
    f"storm={IDENTIFYING[0]}:5:6,storm={IDENTIFYING[1]}:12:5,seed=7"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=300)
    parser.add_argument("--chaos", type=float, default=30.0, help="seconds of faults")
    parser.add_argument("--faults", default=FAULTS)
    parser.add_argument("--processes", type=int, default=3)
    args = parser.parse_args()
    rates = scaled_rates(20)
    limits = ",".join(
        f"{api}={rate:g}:{max(2, round(1 + rate / 10))}" for api, rate in rates.items()
    )
    checks = Checks()
    say(f"chaos for {args.chaos:g}s: {args.faults}")

    with Sandbox("--limits", limits) as sandbox:

        def chaos(workers: Workers) -> None:
            sandbox.faults(args.faults)  # storm times count from here

        def calm(workers: Workers) -> None:
            sandbox.faults("")

        def periodic_tick(workers: Workers) -> None:
            # What the enqueue-due periodic job does every 15 minutes, here while busy.
            from django.conf import settings

            from enrichment import tasks

            added = tasks.enqueue_due(settings.ENRICH_BATCH_SIZE)
            say(f"     enqueue_due({settings.ENRICH_BATCH_SIZE}) added {added} job(s)")

        run = run_drill(
            sandbox,
            tracks=args.tracks,
            rates=rates,
            processes=args.processes,
            events=[
                (0.0, "faults on", chaos),
                (
                    0.0,
                    "the periodic enqueue-due tick lands just after a big enqueue",
                    periodic_tick,
                ),
                (args.chaos, "faults cleared", calm),
            ],
            timeout=300,
        )
        stats = sandbox.stats()["apis"]

    injected = {api: stats[api]["faults_injected"] for api in APIS}
    responses = {api: stats[api]["responses"] for api in APIS}
    say(f"faults injected: {injected}")
    say(f"responses: {responses}")
    counts = status_counts()
    retried = sql("SELECT count(*) FROM procrastinate_jobs WHERE attempts > 1")[0][0]
    doubled = sql(
        "SELECT count(*) FROM (SELECT args->>'track_id' FROM procrastinate_jobs "
        "WHERE task_name = 'enrichment.enrich_track' GROUP BY 1 HAVING count(*) > 1) AS t"
    )[0][0]
    say(f"tracks that got a second job while theirs was running: {doubled}")
    outcomes = dict(
        sql(
            "SELECT o.value->>'outcome', count(*) FROM enrichment_status, "
            "jsonb_each(source_outcomes) AS o GROUP BY 1"
        )
    )
    say(
        f"drill finished after {run.seconds:.0f}s; statuses {counts}; jobs run more than once: "
        f"{retried}; provider outcomes {outcomes}"
    )
    total_faults = sum(sum(faults.values()) for faults in injected.values())
    checks.check("faults were injected", total_faults > 0, total_faults)
    hit = sql(
        "SELECT count(DISTINCT track_id) FROM bench_status_audit "
        "WHERE new_status = 'partial' AND NOT pending_only"
    )
    say(f"tracks that went partial at some point: {hit[0][0]}; why (first error per write):")
    reasons = sql(
        "SELECT split_part(error, ';', 1) AS first, count(*) FROM bench_status_audit "
        "WHERE new_status = 'partial' AND NOT pending_only GROUP BY 1 ORDER BY 2 DESC LIMIT 8"
    )
    for reason, count in reasons:
        say(f"   {count:5}  {reason[:150]}")
    nothing_lost(checks, run.tracks)
    transient_left = sql(
        "SELECT count(*) FROM enrichment_status, jsonb_each(source_outcomes) AS o "
        "WHERE o.value->>'outcome' IN ('transient', 'rate_limited', 'breaker_open')"
    )[0][0]
    checks.check(
        "no transient outcome left once the retries drained", transient_left == 0, transient_left
    )
    code = checks.finish()
    ratios(
        "drill_chaos",
        {
            "ok": int(code == 0),
            "tracks": len(run.tracks),
            "faults": total_faults,
            "completed": counts.get("completed", 0),
            "partial": counts.get("partial", 0),
            "failed": counts.get("failed", 0),
            "seconds": round(run.seconds),
            "failed_checks": len(checks.failed),
        },
        {
            "faults": args.faults,
            "injected": injected,
            "statuses": counts,
            "outcomes": outcomes,
            "jobs_retried": retried,
            "tracks_with_two_jobs": doubled,
            "failed": checks.failed,
        },
        measured=[
            *drill_figures(checks, len(run.tracks), run.seconds),
            Figure("faults", "faults injected", total_faults, len(run.tracks), "tracks"),
            Figure(
                "completed",
                "tracks completed",
                counts.get("completed", 0),
                len(run.tracks),
                "tracks",
            ),
        ],
    )
    return code


if __name__ == "__main__":
    raise SystemExit(main())
