"""Prometheus metrics (the original service's names); every one of them is updated somewhere.

circuit_breaker_state is not declared here: /metrics reads it from the shared breaker rows
at scrape time (enrichment/api/prometheus.py), since a process's own view of a breaker goes
stale as soon as another process moves it.
"""

from __future__ import annotations

import atexit
import glob
import os
from collections.abc import Callable, Iterable

from prometheus_client import Counter, Histogram, multiprocess
from prometheus_client.mmap_dict import MmapedDict

from enrichment import metrics_files

# Before any metric is declared: a full disk is then an error, not a SIGBUS.
metrics_files.install()

# prometheus_client leaves these two untyped: their types, given once.
_mark_process_dead: Callable[[int, str], None] = multiprocess.mark_process_dead
_read_samples: Callable[[str], Iterable[tuple[str, float, float, int]]] = (
    MmapedDict.read_all_values_from_file
)

# Finished attempts by the track's status (completed, partial, failed), as the original's
# success-rate query reads them; source is "pipeline" (the label the original declared).
ENRICHMENT_TASKS = Counter(
    "enrichment_tasks_total", "Finished enrichment attempts by track status", ["source", "status"]
)
PIPELINE = "pipeline"
SOURCE_OUTCOMES = Counter(
    "enrichment_source_outcomes_total",
    "How each source answered within attempts (data, not_found, transient, ...)",
    ["source", "status"],
)
API_CALLS = Counter("api_calls_total", "Upstream API calls by API and outcome", ["api", "status"])
API_RESPONSE_TIME = Histogram(
    "api_response_time_seconds",
    "Upstream response time (network calls only, not cache hits)",
    ["api"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CACHE_HITS = Counter("enrichment_cache_hits_total", "Upstream responses served from cache", ["api"])
CACHE_MISSES = Counter(
    "enrichment_cache_misses_total", "Upstream requests not served from cache", ["api"]
)
TRACKS_ENRICHED = Counter(
    "tracks_enriched_total", "Enrichment attempts by final status", ["status"]
)
ENRICHMENT_DURATION = Histogram(
    "enrichment_duration_seconds",
    "Time to enrich one track",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)


def _forget_this_process() -> None:
    """On exit: drop this process's live gauge files, and its files that hold only zeros.

    Counters and histograms with data stay (a scrape sums every process, dead ones too);
    files of zeros add nothing, and a short-lived command would otherwise leave one behind.
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory or not os.path.isdir(directory):
        return
    pid = os.getpid()
    _mark_process_dead(pid, directory)
    for path in glob.glob(os.path.join(directory, f"*_{pid}.db")):
        kind = os.path.basename(path).split("_", 1)[0]
        if kind in {"counter", "histogram"} and _only_zeros(path):
            os.remove(path)


def _only_zeros(path: str) -> bool:
    try:
        samples = _read_samples(path)
        return all(value == 0 for _, value, _, _ in samples)
    except (OSError, ValueError):
        return False


atexit.register(_forget_this_process)
