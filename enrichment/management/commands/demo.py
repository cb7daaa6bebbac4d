"""manage.py demo: the whole system end to end, on this machine, with no credentials.

Starts the sandbox (fake upstream APIs), imports the bundled sample catalogue, runs workers
until the queue drains while showing progress, prints what enrichment achieved, then serves
the admin. With --real it skips the sandbox and the sample: web + workers on the real APIs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from enrichment import coverage, tasks
from enrichment.models import EnrichmentStatus
from enrichment.sources.registry import APIS
from sandbox import server

ROOT = Path(settings.BASE_DIR)


class Command(BaseCommand):
    help = "Run the full demo against the sandbox (or, with --real, the service on real APIs)."
    # This process's own settings are not the ones its workers use (they get the sandbox's).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8022, help="web port")
        parser.add_argument("--sandbox-port", type=int, default=8099)
        parser.add_argument("--sample", default=str(ROOT / "sandbox/data/sample_tracks.csv"))
        parser.add_argument("--processes", type=int, default=2, help="worker processes")
        parser.add_argument(
            "--rate-scale",
            type=float,
            default=20.0,
            help="scale the seed rate limits (and the sandbox's) so the demo takes a minute",
        )
        parser.add_argument("--timeout", type=float, default=600, help="max seconds to drain")
        parser.add_argument("--no-serve", action="store_true", help="stop after the report")
        parser.add_argument("--real", action="store_true", help="real APIs, no sandbox/sample")

    def handle(self, *args: Any, **options: Any) -> None:
        children: list[subprocess.Popen[bytes]] = []
        try:
            env = dict(os.environ)
            if not options["real"]:
                env |= self._start_sandbox(options, children)
            call_command("migrate", verbosity=0)
            call_command("metrics_reset")  # counters of this run only
            if not options["real"]:
                call_command("import_tracks", options["sample"], "--quiet-progress")
                queued = tasks.enqueue_due(100_000)
                self.stdout.write(f"queued {queued} track(s) for enrichment")
            children.append(
                self._spawn(["run_workers", "--processes", str(options["processes"])], env)
            )
            self.stdout.write(f"logs of the sandbox and workers: {settings.DATA_DIR / 'logs'}")
            if not options["real"]:
                self._watch_queue(options["timeout"])
                self._report(options["sandbox_port"])
            if not options["no_serve"]:
                self._serve(options["port"], env, children)
        finally:
            self._stop(children)

    def _start_sandbox(
        self, options: dict[str, Any], children: list[subprocess.Popen[bytes]]
    ) -> dict[str, str]:
        port, scale = options["sandbox_port"], options["rate_scale"]
        children.append(self._spawn(["sandbox", "--port", str(port), "--rate-scale", str(scale)]))
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{url}/_sandbox/health", children[-1])
        env = dict(line.split("=", 1) for line in server.env_lines(url))
        # Our client-side limits: the seed rates, scaled like the sandbox's.
        for api in APIS:
            env[api.rate_limit_variable] = str(api.rate_limit * scale)
        self.stdout.write(f"sandbox on {url}, rate limits x{scale:g}")
        return env

    def _spawn(
        self, args: list[str], env: dict[str, str] | None = None, *, quiet: bool = True
    ) -> subprocess.Popen[bytes]:
        # Background parts log to files, so the progress display stays readable.
        log_dir = settings.DATA_DIR / "logs"
        log_dir.mkdir(exist_ok=True)
        log = (log_dir / f"{args[0]}.log").open("ab") if quiet else None
        return subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
        )

    def _watch_queue(self, timeout: float) -> None:
        total = EnrichmentStatus.objects.count()
        deadline = time.monotonic() + timeout
        with tqdm(total=total, desc="enriching", unit=" tracks") as bar:
            while time.monotonic() < deadline:
                counts = {row["status"]: row["count"] for row in coverage.status_counts()}
                done = sum(counts.get(s, 0) for s in ("completed", "partial", "failed"))
                bar.n = done
                bar.set_postfix(counts, refresh=True)
                if coverage.queue_depth() == 0 and done == total:
                    return
                time.sleep(0.5)
        raise CommandError(f"the queue did not drain within {timeout:.0f}s")

    def _report(self, sandbox_port: int) -> None:
        for line in coverage.report_lines():
            self.stdout.write(line)
        stats = requests.get(f"http://127.0.0.1:{sandbox_port}/_sandbox/stats", timeout=5).json()
        violations = {name: api["limit_violations"] for name, api in stats["apis"].items()}
        calls = {name: api["requests"] for name, api in stats["apis"].items()}
        self.stdout.write(f"upstream requests: {calls}")
        self.stdout.write(f"rate-limit violations reported by the sandbox: {violations}")

    def _serve(
        self, port: int, env: dict[str, str], children: list[subprocess.Popen[bytes]]
    ) -> None:
        call_command("ensure_demo_admin")
        self.stdout.write(f"admin: http://localhost:{port}/admin/   (Ctrl-C stops everything)")
        web = self._spawn(["runserver", f"127.0.0.1:{port}", "--noreload"], env, quiet=False)
        children.append(web)
        with contextlib.suppress(KeyboardInterrupt):
            web.wait()

    def _stop(self, children: list[subprocess.Popen[bytes]]) -> None:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in reversed(children):
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"the sandbox exited ({process.returncode})")
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise CommandError(f"{url} did not come up within {timeout:.0f}s")
