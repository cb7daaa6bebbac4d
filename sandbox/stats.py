"""Per-API request statistics: counts by status, limit violations, peak observed rates."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from typing import Any


class ApiStats:
    """Counters of one API; arrival times kept only as long as the longest window needs."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self.lock = threading.Lock()
        self.requests = 0
        self.responses: Counter[int] = Counter()
        self.violations = 0
        self.faults: Counter[str] = Counter()
        self.last_second: deque[float] = deque()
        self.last_window: deque[float] = deque()
        self.peak_1s = 0
        self.peak_window = 0

    def arrive(self, now: float) -> None:
        """Count a request and update the sliding-window peaks."""
        with self.lock:
            self.requests += 1
            self.peak_1s = max(self.peak_1s, _slide(self.last_second, now, 1.0))
            self.peak_window = max(self.peak_window, _slide(self.last_window, now, self.window_s))

    def recent(self, now: float, window_s: float) -> int:
        """Requests that arrived within the last window_s seconds (window_s <= the window)."""
        count = 0
        with self.lock:
            for arrived in reversed(self.last_window):
                if now - arrived >= window_s:
                    break
                count += 1
        return count

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of the counters."""
        with self.lock:
            return {
                "requests": self.requests,
                "responses": {str(code): n for code, n in sorted(self.responses.items())},
                "limit_violations": self.violations,
                "faults_injected": dict(sorted(self.faults.items())),
                "peak_rate_1s": self.peak_1s,
                "peak_requests_in_window": self.peak_window,
                "peak_rate_window": round(self.peak_window / self.window_s, 3),
                "window_s": self.window_s,
            }


def _slide(times: deque[float], now: float, window_s: float) -> int:
    """Append `now`, drop arrivals older than the window, return how many remain."""
    times.append(now)
    while times and now - times[0] >= window_s:
        times.popleft()
    return len(times)


class Stats:
    """Statistics of every API, resettable, with the uptime of the sandbox."""

    def __init__(self, windows: Mapping[str, float], clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.windows = dict(windows)
        self.started = clock()
        self.started_at = time.time()
        self.reset()

    def reset(self) -> None:
        """Forget every counter (uptime keeps counting from server start)."""
        self.apis = {api: ApiStats(window) for api, window in self.windows.items()}
        self.reset_at = self.clock()

    def arrive(self, api: str) -> None:
        """Count one request to `api` now."""
        self.apis[api].arrive(self.clock())

    def finish(self, api: str, status: int, violation: bool, fault: str) -> None:
        """Count the response sent for one request."""
        stats = self.apis[api]
        with stats.lock:
            stats.responses[status] += 1
            stats.violations += violation
            if fault:
                stats.faults[fault] += 1

    def recent(self, api: str, window_s: float) -> int:
        """Requests to `api` within the last window_s seconds."""
        return self.apis[api].recent(self.clock(), window_s)

    def snapshot(self, describe_limit: Callable[[str], Mapping[str, Any]]) -> dict[str, Any]:
        """Uptime plus, per API, the counters and its configured limit."""
        now = self.clock()
        return {
            "uptime_s": round(now - self.started, 3),
            "since_reset_s": round(now - self.reset_at, 3),
            "started_at": self.started_at,
            "apis": {
                api: {**stats.snapshot(), **describe_limit(api)} for api, stats in self.apis.items()
            },
        }
