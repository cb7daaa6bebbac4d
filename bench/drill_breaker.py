"""Drill 5: one API fails 100% for a while under several workers.

One API (by default the last identifying one, Discogs) answers 500 to everything from t=5 s to
t=25 s. Expected: its shared breaker opens (seen in the circuit_breaker_state row, /health and
/metrics), the other APIs keep being called, the breaker half-opens after its 60 s and closes
after two successes, and the tracks that met the outage end `partial` first and `completed`
later (their jobs retry only that API).
Fails (exit 1) if a track is lost, stuck, written twice or wrongly, or an expectation is unmet.

    python -m bench.drill_breaker [--tracks 600] [--api API] [--down 5:25]
"""

from __future__ import annotations

import argparse
from typing import Any

from bench.common import (
    APIS,
    IDENTIFYING,
    Checks,
    Sandbox,
    Workers,
    drill_figures,
    nothing_lost,
    primary_apis,
    ratios,
    requests_by_api,
    run_drill,
    say,
    scaled_rates,
    sql,
)
from bench.figures import Figure

# Statuses of tracks still waiting for (or in) their own job.
WORK_LEFT = ["pending", "in_progress"]
# The outage is judged over at least this many seconds of work for the other APIs (more
# tracks, --tracks, when they run out sooner).
MEASURED_SECONDS = 5.0


class Watcher:
    """Once a second: the breaker row, /health and /metrics as an operator sees them."""

    def __init__(self, sandbox: Sandbox, api: str) -> None:
        from django.test import Client

        self.sandbox, self.api = sandbox, api
        self.client = Client(HTTP_HOST="localhost")
        self.next = 0.0
        self.states: list[tuple[float, str]] = []
        self.health_open = self.health_degraded = self.metrics_open = False
        self.calls: list[tuple[float, dict[str, int]]] = []
        # Until when tracks still waited for (or ran) their own job: the other APIs have work.
        self.busy_until = 0.0

    def __call__(self, elapsed: float) -> None:
        if elapsed < self.next:
            return
        self.next = elapsed + 1.0
        rows = sql("SELECT state FROM circuit_breaker_state WHERE api = %s", [self.api])
        state = rows[0][0] if rows else "closed"
        if not self.states or self.states[-1][1] != state:
            say(f"  .. t={elapsed:.1f}s {self.api} breaker {state}")
            self.states.append((round(elapsed, 1), state))
        self.calls.append((elapsed, requests_by_api(self.sandbox.stats())))
        left = sql("SELECT count(*) FROM enrichment_status WHERE status = ANY(%s)", [WORK_LEFT])
        if left[0][0]:
            self.busy_until = elapsed
        if state == "open":
            health: Any = self.client.get("/health").json()
            source = health.get("sources", {}).get(self.api, {})
            self.health_open |= source.get("breaker") == "open"
            self.health_degraded |= health.get("status") == "degraded"
            metrics = self.client.get("/metrics").content.decode()
            wanted = f'circuit_breaker_state{{api="{self.api}",state="open"}} 1.0'
            self.metrics_open |= wanted in metrics

    def rate_between(self, api: str, start: float, end: float) -> float:
        """Requests per second to `api` between two run times (from the samples)."""
        inside = [(t, calls[api]) for t, calls in self.calls if start <= t <= end]
        if len(inside) < 2:
            return 0.0
        (t0, c0), (t1, c1) = inside[0], inside[-1]
        return (c1 - c0) / (t1 - t0) if t1 > t0 else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=600)
    # Default: the last identifying API (Discogs), whose ids no later provider waits for.
    parser.add_argument("--api", default=IDENTIFYING[-1], choices=APIS)
    parser.add_argument("--down", default="5:25", help="START:END seconds of the outage")
    parser.add_argument("--processes", type=int, default=3)
    args = parser.parse_args()
    start, end = (float(x) for x in args.down.split(":"))
    rates = scaled_rates(20)
    checks = Checks()

    with Sandbox("--no-limits") as sandbox:
        watcher = Watcher(sandbox, args.api)

        def down(workers: Workers) -> None:
            sandbox.faults(f"down={args.api}")

        def up(workers: Workers) -> None:
            sandbox.faults("")

        run = run_drill(
            sandbox,
            tracks=args.tracks,
            rates=rates,
            processes=args.processes,
            events=[
                (start, f"{args.api} down (every request 500)", down),
                (end, f"{args.api} back", up),
            ],
            on_tick=watcher,
            timeout=900,
        )
        stats = sandbox.stats()["apis"][args.api]

    say(f"drill finished after {run.seconds:.0f}s; breaker states {watcher.states}")
    states = [state for _, state in watcher.states]
    checks.check(f"{args.api} breaker opened", "open" in states, watcher.states)
    checks.check(
        "/health showed it open (and the service degraded)",
        watcher.health_open and watcher.health_degraded,
    )
    checks.check("/metrics showed circuit_breaker_state open = 1", watcher.metrics_open)
    checks.check(f"{args.api} breaker closed again after recovery", states[-1:] == ["closed"])
    failures = stats["responses"].get("500", 0)
    checks.check(
        f"the open breaker spared {args.api} (500s answered during the outage)",
        failures < 40,
        failures,
    )
    # Fallback APIs (ReccoBeats) are left out: their traffic follows the others' answers.
    others = [api for api in primary_apis() if api != args.api]
    before = {api: watcher.rate_between(api, 0, start) for api in others}
    # During the outage while the tracks' own jobs still had work (once every track has had
    # its job, only the outage API's retries are left, and the others rightly go quiet).
    until = min(end, watcher.busy_until)
    during = {api: watcher.rate_between(api, start + 2, until) for api in others}
    say(
        f"requests/s before the outage {_r(before)}, during it {_r(during)} "
        f"(t={start + 2:.0f}-{until:.0f}s; the tracks' jobs had work until "
        f"{watcher.busy_until:.0f}s)"
    )
    checks.check(
        "the other APIs kept going during the outage",
        until - (start + 2) >= MEASURED_SECONDS
        and all(during[api] > 0.5 * before[api] for api in others),
        _r(during),
    )
    hit = sql(
        "SELECT DISTINCT track_id FROM bench_status_audit "
        "WHERE new_status = 'partial' AND NOT pending_only"
    )
    hit_ids = [row[0] for row in hit]
    final = dict(
        sql(
            "SELECT CASE WHEN status = 'completed' THEN 'completed' "
            "WHEN source_outcomes::text ~ '\"(transient|rate_limited|breaker_open)\"' "
            "THEN 'still transient' ELSE status || ' (settled: ' || error_message || ')' END, "
            "count(*) "
            "FROM enrichment_status WHERE track_id = ANY(%s) GROUP BY 1",
            [hit_ids],
        )
    )
    checks.check("tracks that met the outage went partial", len(hit_ids) > 0, len(hit_ids))
    checks.check(
        "... and were completed later (a match under review may stay partial)",
        final.get("completed", 0) > 0 and "still transient" not in final,
        final,
    )
    nothing_lost(checks, run.tracks)
    code = checks.finish()
    ratios(
        "drill_breaker",
        {
            "ok": int(code == 0),
            "tracks": len(run.tracks),
            "partial_then_completed": len(hit_ids),
            "seconds": round(run.seconds),
            "failed_checks": len(checks.failed),
        },
        {
            "states": watcher.states,
            "requests_during_outage": during,
            "before": before,
            "api_500s": failures,
            "events": run.log,
            "failed": checks.failed,
        },
        measured=[
            *drill_figures(checks, len(run.tracks), run.seconds),
            Figure(
                "partial_then_completed",
                "tracks partial during the outage, completed after",
                len(hit_ids),
                len(run.tracks),
                "tracks",
            ),
        ],
    )
    return code


def _r(rates: dict[str, float]) -> dict[str, float]:
    return {api: round(rate, 1) for api, rate in rates.items()}


if __name__ == "__main__":
    raise SystemExit(main())
