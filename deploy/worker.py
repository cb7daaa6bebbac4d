"""Worker container entry point: `manage.py run_workers` plus a /metrics port for its processes.

    python -m deploy.worker [run_workers options, e.g. --processes 2]

Each worker container keeps the Prometheus multiprocess files of its processes inside the
container (PROMETHEUS_METRICS_DIR, not a shared volume), empties them at start, and serves
their merged samples on WORKER_METRICS_PORT (default 9100; 0 turns it off) for Prometheus to
scrape: workers on any machine are scraped the same way, and nothing piles up on a volume as
containers come and go. The gauges read from the database (queue, tracks per status, breaker
states) come from the web's /metrics only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

DEFAULT_PORT = 9100


class WorkerExposition:
    """This container's process samples (the families read from Postgres are the web's)."""

    def collect(self) -> Iterator[Any]:
        """Yield each family of the multiprocess directory."""
        from enrichment.api.prometheus import process_families

        yield from process_families()


def serve_metrics(port: int, address: str = "0.0.0.0") -> Any:
    """Serve the worker exposition in a background thread; the HTTP server."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry(auto_describe=False)
    registry.register(WorkerExposition())
    server, _thread = start_http_server(port, addr=address, registry=registry)
    return server


def metrics_port() -> int:
    """The port to serve on (0 = none)."""
    return int(os.environ.get("WORKER_METRICS_PORT", "").strip() or DEFAULT_PORT)


def main(arguments: Sequence[str]) -> None:
    """Empty the metrics directory, serve it, then supervise the workers until stopped."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "songnodes.settings")
    import django

    from songnodes.bootstrap import prepare

    # First: sets PROMETHEUS_MULTIPROC_DIR before Django's apps import prometheus_client.
    prepare()
    django.setup()
    from django.core.management import call_command, execute_from_command_line

    call_command("metrics_reset")
    port = metrics_port()
    if port:
        serve_metrics(port)
        print(f"worker metrics on :{port}/metrics", flush=True)
    execute_from_command_line(["manage.py", "run_workers", *arguments])


if __name__ == "__main__":
    main(sys.argv[1:])
