"""Gunicorn settings of the web container: ports 8022 and 8020, Prometheus hooks, log format.

Tune with WEB_CONCURRENCY (processes, default 2) and GUNICORN_CMD_ARGS (any other flag).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# 8022 is ours; 8020 is the original service's container port, which its in-cluster callers
# (http://metadata-enrichment:8020) still use.
bind = ["0.0.0.0:8022", "0.0.0.0:8020"]
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
# Threads: a synchronous POST /enrich waits for its job (at most ENRICH_SYNC_MAX_WAITERS of
# them per process, 4 by default); with threads the worker keeps answering meanwhile.
worker_class = "gthread"
threads = 8
timeout = 120
graceful_timeout = 30
accesslog = "-"
# No control socket: it would live in $HOME, which the image keeps read-only.
control_socket_disable = True
_log_format = os.environ.get("LOG_FORMAT", "").strip().lower()
_formatter = "JsonFormatter" if _log_format == "json" else "PlainFormatter"
# Gunicorn's own lines in the same format as the application's, secrets redacted.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"songnodes": {"()": f"enrichment.logging.{_formatter}"}},
    "filters": {"redact": {"()": "enrichment.logging.RedactSecretsFilter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "songnodes",
            "filters": ["redact"],
            "stream": "ext://sys.stdout",
        },
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "songnodes",
            "filters": ["redact"],
            "stream": "ext://sys.stderr",
        },
    },
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
}


def _metrics_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_METRICS_DIR", "").strip()
    return Path(value) if value else None


def on_starting(server: Any) -> None:
    """Start this container's metrics from zero: files of a previous run are not ours."""
    directory = _metrics_dir()
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.rglob("*.db"):
        path.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Drop a finished worker's live gauges (its counters and histograms stay in the sums)."""
    directory = _metrics_dir()
    if directory is not None:
        for path in directory.rglob(f"gauge_live*_{worker.pid}.db"):
            path.unlink(missing_ok=True)
