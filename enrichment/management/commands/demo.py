"""manage.py demo: the whole system end to end, on this machine, with no credentials.

Starts the sandbox (fake upstream APIs), imports the bundled sample catalogue, runs workers
until the queue drains while showing progress, prints what enrichment achieved, then serves
the admin. With --real it skips the sandbox and the sample: web + workers on the real APIs.

Its ports are checked before anything starts. Its parts run in their own sessions, stopped
by this process: Ctrl-C, SIGTERM or SIGHUP stops them in order (the workers finish their
jobs), and they stop by themselves should this process be killed (songnodes.children).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
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
from songnodes.children import STOP_SIGNALS, ignore_stop_signals, spawn

ROOT = Path(settings.BASE_DIR)


class Stopped(BaseException):
    """A stop signal arrived: stop the parts and end."""

    # A BaseException, like KeyboardInterrupt: no `except Exception` on the way carries on.

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


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
        check_ports(_ports(options))
        for signum in STOP_SIGNALS:
            signal.signal(signum, _raise_stopped)
        children: list[subprocess.Popen[bytes]] = []
        try:
            self._run(options, children)
        except Stopped as stop:
            self.stderr.write(f"{stop}: stopping the sandbox, workers and web server")
            raise SystemExit(128 + stop.signum) from None
        finally:
            ignore_stop_signals()  # a second Ctrl-C must not cut the stop short
            self._stop(children)

    def _run(self, options: dict[str, Any], children: list[subprocess.Popen[bytes]]) -> None:
        env = dict(os.environ)
        if not options["real"]:
            env |= self._start_sandbox(options, children)
        call_command("migrate", verbosity=0)
        call_command("metrics_reset")  # counters of this run only
        if not options["real"]:
            call_command("import_tracks", options["sample"], "--quiet-progress")
            queued = tasks.enqueue_due(100_000)
            self.stdout.write(f"queued {queued} track(s) for enrichment")
        children.append(self._spawn(["run_workers", "--processes", str(options["processes"])], env))
        self.stdout.write(f"logs of the sandbox and workers: {settings.DATA_DIR / 'logs'}")
        if not options["real"]:
            self._watch_queue(options["timeout"])
            self._report(options["sandbox_port"])
        if not options["no_serve"]:
            self._serve(options["port"], env, children)

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
        # Own sessions: Ctrl-C reaches only us, and we stop the children in order.
        return spawn([sys.executable, "manage.py", *args], env, cwd=ROOT, stdout=log, stderr=log)

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
        try:
            web.wait()
        except Stopped:  # Ctrl-C (or SIGTERM) is how serving ends
            self.stdout.write("stopping")

    def _stop(self, children: list[subprocess.Popen[bytes]]) -> None:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in reversed(children):
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()


def _ports(options: dict[str, Any]) -> list[tuple[int, str]]:
    """The ports this run will listen on, each with the option that sets it."""
    ports = [] if options["no_serve"] else [(options["port"], "--port")]
    if not options["real"]:
        ports.append((options["sandbox_port"], "--sandbox-port"))
    return ports


def check_ports(ports: list[tuple[int, str]]) -> None:
    """Fail before starting anything if one of the ports is taken (or given twice)."""
    numbers = [port for port, _option in ports]
    if len(set(numbers)) < len(numbers):
        raise CommandError(f"--port and --sandbox-port are both {numbers[0]}: give two ports")
    for port, option in ports:
        if not port_is_free(port):
            raise CommandError(
                f"port {port} is already in use: stop what listens there or pass {option}"
            )


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Could a server listen on host:port now (as the sandbox and runserver do)?"""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as they do
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


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
