"""Shared helpers of the benchmarks and drills: their own Postgres, a sandbox, real workers.

Importing this module sets Django up against the *bench* database: an embedded Postgres under
`bench/output/data` (SONGNODES_DATA_DIR), never the developer's `.songnodes/` one. Set
BENCH_DATABASE_URL to use an external server instead (the restart drill needs the embedded one).
Every script imports `bench.common` before anything from the project.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.figures import Figure, cpu_model, host

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bench" / "output"
DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR") or OUTPUT / "data").resolve()
RESULTS_DIR = OUTPUT / "results"

os.environ["SONGNODES_DATA_DIR"] = str(DATA_DIR)
os.environ.pop("DATABASE_URL", None)
if os.environ.get("BENCH_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
for _name in ("PROMETHEUS_MULTIPROC_DIR", "PROMETHEUS_METRICS_DIR"):
    os.environ.pop(_name, None)  # prepare() puts them under the bench data dir
os.environ["DJANGO_SETTINGS_MODULE"] = "songnodes.settings"
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.chdir(ROOT)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import django  # noqa: E402

from songnodes.bootstrap import prepare  # noqa: E402

prepare()  # the data dir, secret key and metrics directory, before Django imports the apps
django.setup()

import psutil  # noqa: E402
import requests  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402

from enrichment.sources import registry  # noqa: E402

APIS = tuple(api.name for api in registry.APIS)
TERMINAL = ("completed", "partial", "failed")
# A track's job and the follow-up jobs of its slow sources (enrichment.pacing).
ENRICHMENT_TASKS = ("enrichment.enrich_track", "enrichment.enrich_track_source")
# A status row some source of which still waits for its follow-up job.
HAS_PENDING = "jsonb_path_exists(source_outcomes, '$.* ? (@.outcome == \"pending\")')"
# The seed's client rates (the registry's defaults of <API>_RATE_LIMIT), requests per second.
SEED_RATES = {api.name: api.rate_limit for api in registry.APIS}
# The identifying APIs, in waterfall order (the later providers wait for their identifiers).
IDENTIFYING = tuple(api.name for api in registry.APIS if api.identifies)


def primary_apis() -> tuple[str, ...]:
    """The APIs most trusted for some field: asked for every track, whatever others answer.

    The others are fallbacks (ReccoBeats' features when Spotify has none): their traffic
    follows the other providers' answers, so it is no steady signal of their own.
    """
    first = {names[0] for names in registry.precedence().values()}
    return tuple(api for api in APIS if api in {registry.provider(n).api for n in first})


# --- output ------------------------------------------------------------------------------
def say(*parts: Any) -> None:
    """Print a line at once (progress of a long run)."""
    print(*parts, flush=True)


def ratios(
    name: str,
    figures: Mapping[str, Any],
    details: Mapping[str, Any] | None = None,
    *,
    measured: Sequence[Figure] = (),
) -> None:
    """Print the final RATIOS line and keep the figures for bench.report.

    `measured`: the figures with their same-run references and targets (bench/figures.py),
    which bench.report renders as ratios; `figures` stays the RATIOS line's key=value pairs.
    """
    shown = " ".join(f"{key}={_fmt(value)}" for key, value in figures.items())
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    record = {
        "name": name,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": host(),
        "ratios": dict(figures),
        "figures": [figure.as_dict() for figure in measured],
        "details": dict(details or {}),
    }
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(record, indent=2, default=str))
    say(f"RATIOS {name} {shown}")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def median_ms(
    run: Callable[[], Any], repeat: int = 7, warmup: int = 1
) -> tuple[float, list[float]]:
    """Median wall time of run() in milliseconds (after warm-up runs), and every sample."""
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(samples), samples


def machine() -> dict[str, Any]:
    """A short description of this machine."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgres": pg[0] if pg else "?",
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


# --- database ------------------------------------------------------------------------------
def database_url() -> str:
    """A DATABASE_URL for child processes: the same database as this process."""
    config = connection.settings_dict
    host, name = config["HOST"], config["NAME"]
    user, password = config["USER"] or "", config["PASSWORD"] or ""
    if host.startswith("/"):
        return f"postgresql://{user}:{password}@/{name}?host={host}"
    return f"postgresql://{user}:{password}@{host}:{config['PORT'] or 5432}/{name}"


def prepare_database() -> None:
    """Migrate, then empty everything a run reads or writes (tracks, cache, queue, state)."""
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE tracks, enrichment_status, api_cache, rate_limit_state, "
            "circuit_breaker_state, django_cache, procrastinate_jobs, "
            "procrastinate_periodic_defers, procrastinate_workers RESTART IDENTITY CASCADE"
        )
    wipe_metrics()


def wipe_metrics() -> None:
    """Empty the Prometheus multiprocess directory of the bench data dir."""
    directory = DATA_DIR / "prometheus"
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("**/*.db"):
        path.unlink(missing_ok=True)


def sql(query: str, params: Iterable[Any] | None = None) -> list[tuple[Any, ...]]:
    """Run one statement and return its rows (empty for statements without)."""
    with connection.cursor() as cursor:
        cursor.execute(query, list(params or []))
        return list(cursor.fetchall()) if cursor.description else []


def scalar(query: str, params: Iterable[Any] | None = None) -> Any:
    rows = sql(query, params)
    return rows[0][0] if rows else None


def reconnect() -> None:
    """Drop this process's connection (after a database restart)."""
    close_old_connections()
    with contextlib.suppress(Exception):  # the server may be gone; reconnects lazily
        connection.close()


# --- tracks --------------------------------------------------------------------------------
def recordings(count: int, seed: int = 11) -> list[Any]:
    """`count` distinct sandbox recordings, a seeded sample over the whole catalogue."""
    from sandbox.catalogue import catalogue

    every = list(catalogue().recordings)
    if count > len(every):
        raise SystemExit(f"the sandbox catalogue has {len(every)} recordings, asked {count}")
    return random.Random(seed).sample(every, count)


def create_tracks(picks: Iterable[Any], *, with_isrc: bool = False) -> dict[str, Any]:
    """One pending track per recording (artist + Spotify's title; no identifiers, or only the
    ISRC); {track id: recording}."""
    from enrichment.models import EnrichmentStatus, Track

    rows = [
        (
            Track(
                artist_name=r.artist.name, title=r.spotify_name, isrc=r.isrc if with_isrc else None
            ),
            r,
        )
        for r in picks
    ]
    Track.objects.bulk_create([track for track, _ in rows], batch_size=2000)
    EnrichmentStatus.objects.bulk_create(
        [EnrichmentStatus(track=track) for track, _ in rows], batch_size=2000
    )
    return {str(track.pk): recording for track, recording in rows}


def enqueue(track_ids: Iterable[str]) -> int:
    """Queue an enrichment job per track (the project's bulk path)."""
    import uuid

    from enrichment import tasks

    return tasks.bulk_defer([uuid.UUID(t) for t in track_ids])


def status_counts() -> dict[str, int]:
    """Tracks per status; a terminal status with a source still pending counts as "waiting"."""
    return dict(
        sql(
            f"SELECT CASE WHEN {HAS_PENDING} THEN 'waiting' ELSE status END, count(*) "
            "FROM enrichment_status GROUP BY 1"
        )
    )


def job_counts() -> dict[str, int]:
    """The tracks' jobs and their follow-ups, per status."""
    return dict(
        sql(
            "SELECT status::text, count(*) FROM procrastinate_jobs "
            "WHERE task_name = ANY(%s) GROUP BY status",
            [list(ENRICHMENT_TASKS)],
        )
    )


def completion_times() -> list[float]:
    """Epoch seconds of every terminal status write (enrichment_status.last_attempt) of a
    track no source of which is pending any more."""
    rows = sql(
        "SELECT extract(epoch FROM last_attempt)::float8 FROM enrichment_status "
        f"WHERE status IN ('completed', 'partial', 'failed') AND NOT {HAS_PENDING} "
        "ORDER BY last_attempt"
    )
    return [row[0] for row in rows]


def wait_until_done(
    total: int,
    timeout: float,
    *,
    every: float = 5.0,
    queue_empty: bool = True,
    on_tick: Callable[[float], None] | None = None,
    fail: bool = True,
) -> float:
    """Poll until every track is terminal (and the queue empty); seconds waited. After
    `timeout` seconds: exit (fail=True) or just return (the caller's checks will tell)."""
    started = time.monotonic()
    last_print = 0.0
    while True:
        elapsed = time.monotonic() - started
        try:
            counts, jobs = status_counts(), job_counts()
        except Exception as error:
            say(f"  [{elapsed:5.0f}s] database unavailable: {type(error).__name__}")
            reconnect()
            time.sleep(1)
            continue
        done = sum(counts.get(s, 0) for s in TERMINAL)
        busy = jobs.get("todo", 0) + jobs.get("doing", 0)
        if elapsed - last_print >= every:
            say(f"  [{elapsed:5.0f}s] statuses {counts} jobs {jobs}")
            last_print = elapsed
        if on_tick:
            on_tick(elapsed)
        if done >= total and (not queue_empty or busy == 0):
            return elapsed
        if elapsed > timeout:
            if fail:
                raise SystemExit(f"FAILED: not done after {timeout:.0f}s: {counts} jobs {jobs}")
            say(f"  NOT DONE after {timeout:.0f}s: statuses {counts} jobs {jobs}")
            return elapsed
        time.sleep(0.25)


# --- sandbox -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sandbox:
    """`python -m sandbox` on its own port, as a child process."""

    def __init__(self, *args: str, port: int | None = None) -> None:
        self.port = port or int(os.environ.get("BENCH_SANDBOX_PORT") or 0) or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "sandbox", "--port", str(self.port), *args]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the sandbox exited ({self.process.returncode})")
            try:
                if requests.get(f"{self.url}/_sandbox/health", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit("the sandbox did not come up")

    def env(self) -> dict[str, str]:
        """<SOURCE>_API_URL lines and fake credentials for the workers."""
        from sandbox import server

        return dict(line.split("=", 1) for line in server.env_lines(self.url))

    def stats(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.url}/_sandbox/stats", timeout=10).json())

    def reset(self) -> None:
        requests.post(f"{self.url}/_sandbox/reset", timeout=10).raise_for_status()

    def faults(self, spec: str) -> None:
        requests.post(f"{self.url}/_sandbox/faults", json={"spec": spec}, timeout=10)

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.process.pid).cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def requests_by_api(stats: Mapping[str, Any]) -> dict[str, int]:
    return {api: int(stats["apis"][api]["requests"]) for api in APIS}


def violations_by_api(stats: Mapping[str, Any]) -> dict[str, int]:
    return {api: int(stats["apis"][api]["limit_violations"]) for api in APIS}


# --- workers -------------------------------------------------------------------------------
def scaled_rates(scale: float) -> dict[str, float]:
    return {api: rate * scale for api, rate in SEED_RATES.items()}


def rate_env(rates: Mapping[str, float]) -> dict[str, str]:
    return {f"{api.upper()}_RATE_LIMIT": f"{rate:g}" for api, rate in rates.items()}


def child_env(sandbox: Sandbox, rates: Mapping[str, float], **extra: str) -> dict[str, str]:
    """Environment of a worker: bench database, sandbox URLs, client rate limits."""
    env = dict(os.environ)
    env.update(sandbox.env())
    env.update(rate_env(rates))
    env["DATABASE_URL"] = database_url()
    env.update(extra)
    return env


@dataclass
class Workers:
    """`manage.py run_workers` (supervised Procrastinate workers) as a child process group."""

    env: dict[str, str]
    processes: int = 4
    concurrency: int = 16
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(default_factory=lambda: OUTPUT / "workers.log")

    def start(self, wait: bool = True) -> Workers:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "manage.py", "run_workers"]
        command += ["--processes", str(self.processes), "--concurrency", str(self.concurrency)]
        self.process = self._spawn([*command, "--grace", "30"])
        if wait:
            self.wait_registered(self.processes + 1)  # and run_workers' maintenance worker
            wait_maintenance_idle()
        return self

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        log = self.log_path.open("ab")
        return subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
        )

    def children(self) -> list[psutil.Process]:
        """The live enrichment worker processes (not the supervisor's maintenance worker)."""
        if self.process is None or self.process.poll() is not None:
            return []
        try:
            children = psutil.Process(self.process.pid).children()
            return [child for child in children if "maintenance" not in child.cmdline()]
        except psutil.NoSuchProcess:
            return []

    def wait_registered(self, count: int, timeout: float = 60) -> None:
        """Until `count` workers have a fresh heartbeat in procrastinate_workers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise SystemExit(f"run_workers exited ({self.process.returncode}); {self.log_path}")
            alive = scalar(
                "SELECT count(*) FROM procrastinate_workers "
                "WHERE last_heartbeat > now() - interval '30 seconds'"
            )
            if alive and alive >= count:
                return
            time.sleep(0.2)
        raise SystemExit(f"workers did not register within {timeout:.0f}s; see {self.log_path}")

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the live worker processes."""
        total = 0.0
        for child in self.children():
            try:
                times = child.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                # Workers have sessions of their own: kill them, not only the supervisor.
                for child in psutil.Process(self.process.pid).children():
                    with contextlib.suppress(psutil.NoSuchProcess):
                        child.kill()
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_maintenance_idle(timeout: float = 30) -> None:
    """Until the periodic jobs deferred at worker start-up (enqueue-due...) have run."""
    deadline = time.monotonic() + timeout
    time.sleep(1.0)
    while time.monotonic() < deadline:
        busy = scalar(
            "SELECT count(*) FROM procrastinate_jobs "
            "WHERE queue_name = 'maintenance' AND status IN ('todo', 'doing') "
            "AND (scheduled_at IS NULL OR scheduled_at <= now())"
        )
        if not busy:
            return
        time.sleep(0.2)


class StatsSampler:
    """Samples the sandbox's per-API counters about once a second during a run."""

    def __init__(self, sandbox: Sandbox, period: float = 1.0) -> None:
        self.sandbox, self.period = sandbox, period
        self.samples: list[tuple[float, dict[str, Any]]] = []
        self.started = time.monotonic()
        self._next = 0.0

    def __call__(self, elapsed: float) -> None:
        now = time.monotonic() - self.started
        if now >= self._next:
            self._next = now + self.period
            with contextlib.suppress(requests.RequestException):
                self.samples.append((now, self.sandbox.stats()["apis"]))

    def violation_seconds(self) -> dict[str, list[float]]:
        """Per API, the sample times (s since start) at which new violations appeared."""
        seen: dict[str, list[float]] = {}
        previous: dict[str, int] = {}
        for at, apis in self.samples:
            for api in APIS:
                count = int(apis[api]["limit_violations"])
                if count > previous.get(api, 0):
                    seen.setdefault(api, []).append(round(at, 1))
                previous[api] = count
        return seen


def postgres_cpu_seconds() -> float:
    """CPU seconds of the bench Postgres: postmaster + live backends + reaped backends."""
    pid_file = DATA_DIR / "pgdata" / "postmaster.pid"
    try:
        postmaster = psutil.Process(int(pid_file.read_text().split()[0]))
        times = postmaster.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in postmaster.children():
            try:
                child_times = child.cpu_times()
                total += child_times.user + child_times.system
            except psutil.NoSuchProcess:
                pass
        return float(total)
    except (OSError, ValueError, psutil.Error):
        return float("nan")


# --- checks (drills) ---------------------------------------------------------------------
AUDIT_SQL = """
CREATE TABLE IF NOT EXISTS bench_status_audit (
    id bigserial PRIMARY KEY, track_id uuid NOT NULL, old_status text, new_status text,
    old_claimed_at timestamptz, error text, at timestamptz DEFAULT clock_timestamp());
ALTER TABLE bench_status_audit ADD COLUMN IF NOT EXISTS error text;
ALTER TABLE bench_status_audit ADD COLUMN IF NOT EXISTS old_pending boolean DEFAULT false;
ALTER TABLE bench_status_audit ADD COLUMN IF NOT EXISTS pending_only boolean DEFAULT false;
TRUNCATE bench_status_audit;
CREATE OR REPLACE FUNCTION bench_audit_status() RETURNS trigger AS $$
DECLARE
  -- partial only because sources wait for their follow-up jobs (enrichment.pacing)
  pending_only boolean := coalesce(
    NEW.error_message ~ '^[a-z_]+: pending: [^;]*(; [a-z_]+: pending: [^;]*)*$', false);
BEGIN
  -- A follow-up that leaves the status as it was is logged when it records a failure.
  IF NEW.status IS DISTINCT FROM OLD.status OR (NEW.status = 'partial' AND NOT pending_only
      AND NEW.error_message IS DISTINCT FROM OLD.error_message) THEN
    INSERT INTO bench_status_audit
      (track_id, old_status, new_status, old_claimed_at, error, old_pending, pending_only)
    VALUES (NEW.track_id, OLD.status, NEW.status, OLD.claimed_at, NEW.error_message,
      -- old_pending: a source still to answer (pending, or failed and retried): the status
      -- may then change without a claim, by that source's follow-up job
      jsonb_path_exists(OLD.source_outcomes, '$.* ? (@.outcome != "data" && '
        '@.outcome != "not_found" && @.outcome != "skipped" && @.outcome != "unavailable")'),
      pending_only);
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS bench_audit_status ON enrichment_status;
CREATE TRIGGER bench_audit_status AFTER UPDATE ON enrichment_status
  FOR EACH ROW EXECUTE FUNCTION bench_audit_status();
"""


def install_audit() -> None:
    """Log every status transition (bench database only) to detect duplicate writes."""
    with connection.cursor() as cursor:
        cursor.execute(AUDIT_SQL)


class Checks:
    """Named pass/fail checks printed as they are made; fail() exits non-zero at the end."""

    def __init__(self) -> None:
        self.failed: list[str] = []
        self.passed = 0

    def check(self, name: str, ok: bool, detail: Any = "") -> bool:
        say(f"  [{'ok' if ok else 'FAIL'}] {name}" + (f": {detail}" if detail != "" else ""))
        if ok:
            self.passed += 1
        else:
            self.failed.append(name)
        return ok

    def finish(self) -> int:
        if self.failed:
            say(f"FAILED checks: {', '.join(self.failed)}")
            return 1
        say(f"all {self.passed} checks passed")
        return 0


def drill_figures(
    checks: Checks, tracks: int | None = None, seconds: float | None = None
) -> list[Figure]:
    """A drill's common figures: its failed checks (target 0) and, given, its tracks per second."""
    figures = [
        Figure(
            "failed_checks",
            "failed checks (nothing lost, nothing stuck, right identifiers)",
            len(checks.failed),
            checks.passed + len(checks.failed),
            "checks made",
            target="value == 0",
        )
    ]
    if tracks and seconds:
        figures.append(Figure("seconds", f"{tracks} tracks drained", seconds, unit="s"))
    return figures


def nothing_lost(checks: Checks, tracks: Mapping[str, Any], *, expect_truth: bool = True) -> None:
    """The drills' common assertions: terminal, not stuck, no duplicates, right identifiers."""
    total = len(tracks)
    counts = status_counts()
    terminal = sum(counts.get(s, 0) for s in TERMINAL)
    checks.check(
        "every track reached a terminal status", terminal == total, f"{terminal}/{total} {counts}"
    )
    checks.check(
        "no track stuck in_progress",
        counts.get("in_progress", 0) == 0,
        counts.get("in_progress", 0),
    )
    checks.check("no track left pending", counts.get("pending", 0) == 0, counts.get("pending", 0))
    jobs = job_counts()
    checks.check("no enrichment job left doing", jobs.get("doing", 0) == 0, jobs)
    per_track = sql(
        "SELECT args->>'track_id', count(*) FROM procrastinate_jobs "
        "WHERE task_name = ANY(%s) AND status IN ('todo', 'doing') "
        "GROUP BY 1, task_name, queue_name HAVING count(*) > 1",
        [list(ENRICHMENT_TASKS)],
    )
    checks.check("at most one queued job per track (and source)", not per_track, per_track[:5])
    tracks_now = scalar("SELECT count(*) FROM tracks")
    checks.check("no track created or lost", tracks_now == total, f"{tracks_now} rows")
    audit = sql(
        "SELECT track_id, old_claimed_at, count(*) FROM bench_status_audit "
        "WHERE old_status = 'in_progress' AND new_status IN ('completed', 'partial', 'failed') "
        "GROUP BY 1, 2 HAVING count(*) > 1"
    )
    checks.check("no duplicate writes (one terminal write per claim)", not audit, audit[:5])
    unclaimed = sql(
        "SELECT track_id, old_status, new_status FROM bench_status_audit "
        "WHERE new_status IN ('completed', 'partial') AND old_status <> 'in_progress' "
        "AND NOT old_pending"
    )
    checks.check("no write without a claim (or a follow-up)", not unclaimed, unclaimed[:5])
    duplicates = sql(
        "SELECT spotify_id, count(*) FROM tracks WHERE spotify_id IS NOT NULL "
        "GROUP BY 1 HAVING count(*) > 1"
    )
    checks.check("no Spotify id written to two tracks", not duplicates, duplicates[:5])
    if expect_truth:
        wrong = wrong_identifiers(tracks)
        checks.check("identifiers written match the catalogue", not wrong, wrong[:5])


def wrong_identifiers(tracks: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(track, field, value) for identifiers that differ from the recording's own."""
    wrong = []
    rows = sql("SELECT id::text, spotify_id, isrc, deezer_id FROM tracks")
    for track_id, spotify_id, isrc, deezer_id in rows:
        recording = tracks[track_id]
        for name, value in (("spotify_id", spotify_id), ("isrc", isrc), ("deezer_id", deezer_id)):
            if value is not None and str(value) != str(getattr(recording, name)):
                wrong.append((track_id, name, str(value)))
    return wrong


# --- drills --------------------------------------------------------------------------------
# Workers notice a dead peer within seconds (the defaults are 10 s heartbeat, 60 s stall).
FAST_RECOVERY = {
    "WORKER_HEARTBEAT_SECONDS": "1",
    "STALLED_AFTER_SECONDS": "5",
    "RECOVER_STALLED_CRON": "* * * * * */2",  # every 2 s (seconds are the 6th column)
}


@dataclass
class DrillRun:
    """What a drill run produced."""

    tracks: dict[str, Any]
    seconds: float
    log: list[str]


def run_drill(
    sandbox: Sandbox,
    *,
    tracks: int,
    rates: Mapping[str, float],
    events: list[tuple[float, str, Callable[[Workers], None]]],
    processes: int = 3,
    concurrency: int = 8,
    timeout: float = 600,
    on_tick: Callable[[float], None] | None = None,
    seed: int = 41,
    **env: str,
) -> DrillRun:
    """Start workers, queue `tracks` tracks, fire each (second, label, action) event, wait
    until every track is terminal and the queue empty."""
    prepare_database()
    install_audit()
    worker_env = child_env(sandbox, rates, ENRICH_THREADS=str(concurrency), **FAST_RECOVERY, **env)
    log: list[str] = []
    with Workers(worker_env, processes, concurrency) as workers:
        workers.start()
        created = create_tracks(recordings(tracks, seed=seed))
        sandbox.reset()
        pending = sorted(events, key=lambda event: event[0])
        enqueue(created)
        started = time.monotonic()

        def tick(elapsed: float) -> None:
            while pending and elapsed >= pending[0][0]:
                _, label, action = pending.pop(0)
                say(f"  >> t={elapsed:.1f}s {label}")
                log.append(f"t={elapsed:.1f}s {label}")
                action(workers)
            if on_tick:
                on_tick(elapsed)

        wait_until_done(len(created), timeout, on_tick=tick, fail=False)
        while pending:  # events planned after the queue drained still happen
            tick(time.monotonic() - started + pending[0][0])
        seconds = time.monotonic() - started
    return DrillRun(created, seconds, log)
