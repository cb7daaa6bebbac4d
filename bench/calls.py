"""Benchmark 3: upstream calls per track per API, and calls when re-enriching unchanged tracks.

A. Cold cache: N sandbox tracks (artist + title only) through real workers; the sandbox counts
   every request. Calls per track per API (Spotify's token requests counted apart).
B. The same catalogue again, warm cache (target: 0 upstream calls), three ways:
   1. re-queue every track as it is (providers already settled are skipped);
   2. forget every outcome (status pending, source_outcomes emptied): every provider is asked
      again, and the cache must answer all of it;
   3. delete the tracks and import the same rows afresh (new track ids).
C. Other sandbox tracks imported with their ISRC, cold cache: calls per ISRC-known track per
   API. An API whose adapter resolves ISRCs in batches (`isrc_batch`: one search for up to 100
   ISRCs of waiting tracks) has the target <= 0.05 calls per track.

    python -m bench.calls [--tracks 300] [--isrc-tracks 600] [--processes 2]
"""

from __future__ import annotations

import argparse

from django.utils.module_loading import import_string

from bench.common import (
    APIS,
    Sandbox,
    Workers,
    child_env,
    create_tracks,
    enqueue,
    prepare_database,
    ratios,
    recordings,
    requests_by_api,
    say,
    scalar,
    sql,
    status_counts,
    wait_until_done,
)
from bench.figures import Figure
from enrichment.sources import registry

UNLIMITED = {api: 1_000_000.0 for api in APIS}


def drain(sandbox: Sandbox, track_ids: list[str]) -> dict[str, int]:
    """Queue the tracks, wait for them, return the upstream requests made meanwhile."""
    sandbox.reset()
    sql("DELETE FROM procrastinate_jobs WHERE status = 'todo'")  # leftover scheduled retries
    queued = enqueue(track_ids)
    wait_until_done(len(track_ids), timeout=600)
    calls = requests_by_api(sandbox.stats())
    calls["spotify_accounts"] = int(sandbox.stats()["apis"]["spotify_accounts"]["requests"])
    say(f"   queued {queued}, statuses {status_counts()}, upstream requests {calls}")
    return calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=300)
    parser.add_argument("--isrc-tracks", type=int, default=600)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    prepare_database()
    every = recordings(args.tracks + args.isrc_tracks, seed=31)
    picks, isrc_picks = every[: args.tracks], every[args.tracks :]
    with Sandbox("--no-limits") as sandbox:
        env = child_env(sandbox, UNLIMITED, ENRICH_THREADS=str(args.concurrency))
        with Workers(env, args.processes, args.concurrency) as workers:
            workers.start()
            tracks = list(create_tracks(picks))
            n = len(tracks)
            say(f"A. cold cache, {n} tracks")
            cold = drain(sandbox, tracks)
            per_track = {api: round(cold[api] / n, 3) for api in APIS}
            say(f"{'api':<12}{'requests':>9}{'per track':>10}")
            for api in APIS:
                say(f"{api:<12}{cold[api]:>9}{per_track[api]:>10.3f}")
            say(
                f"{'total':<12}{sum(cold[a] for a in APIS):>9}"
                f"{sum(per_track.values()):>10.3f}   (+{cold['spotify_accounts']} token requests)"
            )
            statuses_cold = status_counts()

            say("B1. re-queue every track unchanged")
            requeue = drain(sandbox, tracks)
            say("B2. forget every outcome: every provider asked again, from the warm cache")
            sql("UPDATE enrichment_status SET status = 'pending', source_outcomes = '{}'")
            forget = drain(sandbox, tracks)
            say("B3. delete the tracks and import the same rows again")
            sql("DELETE FROM enrichment_status")
            sql("DELETE FROM tracks")
            fresh = drain(sandbox, list(create_tracks(picks)))
            same = scalar(
                "SELECT count(*) FROM enrichment_status WHERE status IN ('completed', 'partial')"
            )
            say(
                f"   tracks enriched again from cache alone: {same}/{n} (cold run: {statuses_cold})"
            )

            say(f"C. {len(isrc_picks)} other tracks imported with their ISRC, cold cache")
            with_isrc = drain(sandbox, list(create_tracks(isrc_picks, with_isrc=True)))

    warm = {
        name: sum(calls.values())
        for name, calls in (("requeue", requeue), ("forget", forget), ("reimport", fresh))
    }
    m = len(isrc_picks)
    batched = [
        api.name for api in registry.APIS if hasattr(import_string(api.adapter_path), "isrc_batch")
    ]
    say(f"{'api':<12}{'requests':>9}{'per ISRC-known track':>22}")
    for api in APIS:
        say(f"{api:<12}{with_isrc[api]:>9}{with_isrc[api] / m:>22.3f}")
    measured = [
        Figure(
            "calls_per_track",
            "calls per track (cold, all APIs)",
            sum(cold[a] for a in APIS),
            n,
            "tracks",
        ),
        *(
            Figure(
                f"warm_{name}",
                f"calls re-enriching ({name}, warm cache)",
                value,
                n,
                "tracks",
                target="value == 0",
            )
            for name, value in warm.items()
        ),
        *(
            Figure(
                f"isrc_{api}",
                f"{api} calls, tracks imported with ISRCs",
                with_isrc[api],
                m,
                "ISRC-known tracks",
                target="ratio <= 0.05" if api in batched else "",
            )
            for api in APIS
        ),
    ]
    ratios(
        "calls",
        {
            "calls_per_track": round(sum(per_track.values()), 3),
            **{f"{api}": per_track[api] for api in APIS},
            **{f"warm_{name}": value for name, value in warm.items()},
            **{f"isrc_{api}": round(with_isrc[api] / m, 3) for api in batched},
        },
        {
            "tracks": n,
            "cold": cold,
            "per_track": per_track,
            "warm_requeue": requeue,
            "warm_forget": forget,
            "warm_reimport": fresh,
            "statuses_cold": statuses_cold,
            "isrc_tracks": m,
            "isrc_cold": with_isrc,
        },
        measured=measured,
    )
    met = all(figure.met() is not False for figure in measured)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
