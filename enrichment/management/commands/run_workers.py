"""manage.py run_workers: N Procrastinate worker processes, restarted if they die.

A Procrastinate worker exits after about 30 s without its database; this supervisor starts it
again with backoff, so a database restart loses nothing. Besides the N enrichment workers it
runs a maintenance worker that takes only the maintenance queue (stalled-job recovery, the
periodic top-up, statistics, pruning), so those never wait for a slot behind an enrichment
backlog; and, for each slow source asked in follow-up jobs (enrichment.pacing), a worker
that takes only that source's queue, so each of those queues is drained at its own rate
beside the tracks' jobs. Workers run in their own sessions (songnodes.children): a Ctrl-C,
SIGTERM or SIGHUP, to this process or to its whole group, reaches only the supervisor, which
passes one SIGTERM on for a graceful stop (in-flight jobs finish); they also stop if the
supervisor is killed. A worker killed outright has its job recovered by the periodic
stalled-job recovery.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from enrichment import pacing
from enrichment.tasks import MAINTENANCE_QUEUE
from songnodes.children import STOP_SIGNALS, spawn

MAX_BACKOFF = 30.0
HEALTHY_AFTER = 60.0  # a worker that ran this long restarts without accumulated backoff
# Recovery keeps a slot while a long job (a daily prune, statistics at a million tracks) runs.
MAINTENANCE_CONCURRENCY = 3


@dataclass
class Child:
    """One supervised worker process."""

    number: int
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    backoff: float = 1.0
    restart_at: float = field(default=0.0)

    def start(self) -> None:
        self.process = spawn(self.command)
        self.started = time.monotonic()

    def reap(self) -> int | None:
        """The exit code if the process ended (and schedule its restart), else None."""
        if self.process is None or self.process.poll() is None:
            return None
        code = self.process.returncode
        _mark_metrics_dead(self.process.pid)
        ran = time.monotonic() - self.started
        self.backoff = 1.0 if ran > HEALTHY_AFTER else min(self.backoff * 2, MAX_BACKOFF)
        self.restart_at = time.monotonic() + self.backoff
        self.process = None
        return code


def _mark_metrics_dead(pid: int) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def worker_command(concurrency: int, queues: str) -> list[str]:
    """The command line of one worker process."""
    worker = [sys.executable, "manage.py", "procrastinate", "worker"]
    return [*worker, "--concurrency", str(concurrency), "--queues", queues]


def follow_up_commands(concurrency: int, processes: int) -> list[list[str]]:
    """`processes` workers per follow-up queue, each paced to its source's rate."""
    return [
        worker_command(pacing.follow_up_concurrency(name, concurrency), pacing.queue_for(name))
        for name in pacing.follow_up_providers()
        for _ in range(processes)
    ]


class Command(BaseCommand):
    help = "Run and supervise Procrastinate worker processes (restart on exit, graceful stop)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--processes", type=int, default=2)
        parser.add_argument(
            "--concurrency", type=int, default=None, help="jobs per process (ENRICH_THREADS)"
        )
        parser.add_argument("--queues", default="", help="comma-separated (default: all)")
        parser.add_argument(
            "--maintenance-processes",
            type=int,
            default=1,
            help="workers for the maintenance queue only (0: rely on other hosts' ones)",
        )
        parser.add_argument(
            "--follow-up-processes",
            type=int,
            default=1,
            help="workers per follow-up queue (enrich-<source>; 0: the other workers take them)",
        )
        parser.add_argument("--grace", type=float, default=60.0, help="seconds to finish jobs")

    def handle(self, *args: Any, **options: Any) -> None:
        concurrency = options["concurrency"] or settings.ENRICH_THREADS
        commands = [worker_command(concurrency, options["queues"])] * options["processes"]
        maintenance = worker_command(MAINTENANCE_CONCURRENCY, MAINTENANCE_QUEUE)
        commands += [maintenance] * options["maintenance_processes"]
        follow_ups = follow_up_commands(concurrency, options["follow_up_processes"])
        commands += follow_ups
        children = [Child(number, command) for number, command in enumerate(commands)]
        stopping: list[int] = []
        for signum in STOP_SIGNALS:
            signal.signal(signum, lambda number, frame: stopping.append(number))
        for child in children:
            child.start()
        self.stdout.write(
            f"started {options['processes']} worker(s), {concurrency} jobs each, and "
            f"{options['maintenance_processes']} for the {MAINTENANCE_QUEUE} queue, "
            f"{len(follow_ups)} for follow-up queues"
        )
        while not stopping:
            self._supervise(children)
            time.sleep(0.5)
        self._stop(children, options["grace"])

    def _supervise(self, children: list[Child]) -> None:
        now = time.monotonic()
        for child in children:
            code = child.reap()
            if code is not None:
                self.stderr.write(
                    f"worker {child.number} exited ({code}); restarting in {child.backoff:.0f}s"
                )
            if child.process is None and now >= child.restart_at:
                child.start()

    def _stop(self, children: list[Child], grace: float) -> None:
        running = [child.process for child in children if child.process is not None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            _mark_metrics_dead(process.pid)
        self.stdout.write("workers stopped")
