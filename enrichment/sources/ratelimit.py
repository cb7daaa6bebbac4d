"""A rate limiter shared by every thread, process and host on the same Postgres.

GCRA with reservations: one atomic UPDATE per call books the next free slot on the API's row
(`theoretical_arrival`), using the database clock so hosts agree; the caller then sleeps until
its slot. Callers are served in booking order, none is falsely rejected, and the spacing is
exact. (pyrate-limiter's Postgres bucket falsely rejected calls when processes contended.)

Spacing is checked again when a request leaves, not only when it books: a worker the host
wakes late (a busy machine) would otherwise go out next to the caller of the following slot.
Right before sending, one atomic UPDATE claims the API's `last_sent` stamp, and only if the
last request that left (any worker, database clock) left at least (1 - RATE_LIMIT_SAFETY_MARGIN)
x the interval ago; a refused claim books a fresh slot. A per-process monotonic guard keeps
threads of one process from racing for the same claim. A booking whose slot is due at once
makes that claim itself, in the same UPDATE (same condition): an API below its rate costs one
statement per call, not two.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.db import connection

from enrichment.sources.errors import LimiterBusy

_BOOK = """
WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now)
UPDATE rate_limit_state AS state
   SET theoretical_arrival = greatest(state.theoretical_arrival, clock.now) + %(interval)s,
       last_sent = CASE WHEN state.theoretical_arrival <= clock.now
                         AND clock.now - state.last_sent >= %(gap)s
                        THEN clock.now ELSE state.last_sent END
  FROM clock
 WHERE state.api = %(api)s
   AND greatest(state.theoretical_arrival, clock.now) - clock.now <= %(max_wait)s
RETURNING greatest(state.theoretical_arrival - %(interval)s - clock.now, 0),
          state.theoretical_arrival - %(interval)s,
          state.last_sent = clock.now
"""
_WAIT = """
SELECT greatest(theoretical_arrival - extract(epoch FROM clock_timestamp())::float8, 0)
  FROM rate_limit_state WHERE api = %s
"""
_CLAIM = """
WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now),
claimed AS (
    UPDATE rate_limit_state AS state
       SET last_sent = clock.now
      FROM clock
     WHERE state.api = %(api)s AND clock.now - state.last_sent >= %(gap)s
    RETURNING clock.now AS sent
)
SELECT claimed.sent, greatest(state.last_sent + %(gap)s - clock.now, 0)
  FROM clock
  JOIN rate_limit_state AS state ON state.api = %(api)s
  LEFT JOIN claimed ON true
"""
_PENALISE = """
UPDATE rate_limit_state
   SET theoretical_arrival = greatest(
       theoretical_arrival, extract(epoch FROM clock_timestamp())::float8 + %s)
 WHERE api = %s
"""


_rows_ready: set[tuple[str, str]] = set()
_REBOOKS = 3  # fresh slots a late sleeper may take before it goes anyway
_CLAIMS = 8  # refused claims (someone else just left) before the call is retried later
# Lateness below the scheduler's own jitter is no sign of a descheduled worker: it never makes
# a caller give its slot up (at API rates up to 250/s the late tolerance is above it anyway;
# at the benchmarks' "unlimited" rates every wake-up would otherwise re-book a few times).
SCHEDULER_JITTER = 0.002
# Per process and API: when this process last sent (monotonic), so its threads keep apart.
_left_here: dict[str, float] = {}
_left_lock = threading.Lock()


class RateLimiter:
    """Books request slots for one API at `rate` requests per second, cluster-wide."""

    def __init__(self, api: str, rate: float, *, max_wait: float | None = None) -> None:
        if rate <= 0:
            raise ValueError(f"{api}: rate limit must be positive, got {rate}")
        self.api = api
        self.rate = rate
        self.interval = 1.0 / rate
        self.max_wait = settings.RATE_LIMIT_MAX_WAIT if max_wait is None else max_wait
        self.late_tolerance = settings.RATE_LIMIT_LATE_TOLERANCE
        # Seconds after its slot a caller may still leave on it.
        self.late_allowance = max(self.late_tolerance * self.interval, SCHEDULER_JITTER)
        # Two requests never leave closer than this (seconds), cluster-wide.
        self.gap = self.interval * (1.0 - settings.RATE_LIMIT_SAFETY_MARGIN)
        # The last slot this limiter booked, in epoch seconds on the database clock.
        self.last_slot: float | None = None
        # When this limiter's last request was allowed to leave (database clock).
        self.last_sent: float | None = None
        # Did the last booking also claim the right to send (its slot was due at once)?
        self.claimed_at_booking = False

    def _ensure_row(self) -> None:
        # Once per process and database, not per limiter: a limiter is made per attempt.
        key = (connection.settings_dict["NAME"], self.api)
        if key not in _rows_ready:
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO rate_limit_state (api, theoretical_arrival) VALUES (%s, 0) "
                    "ON CONFLICT (api) DO NOTHING",
                    [self.api],
                )
            _rows_ready.add(key)

    def reserve(self) -> float:
        """Book the next slot; seconds to wait for it. LimiterBusy if it is too far away."""
        self._ensure_row()
        params: dict[str, str | float] = {
            "api": self.api,
            "interval": self.interval,
            "max_wait": self.max_wait,
            "gap": self.gap,
        }
        self.claimed_at_booking = False
        with connection.cursor() as cursor:
            cursor.execute(_BOOK, params)
            row = cursor.fetchone()
            if row is not None:
                self.last_slot = float(row[1])
                if row[2]:
                    self._claimed(self.last_slot)
                    self.claimed_at_booking = True
                return float(row[0])
            cursor.execute(_WAIT, [self.api])
            waiting = cursor.fetchone()
        if waiting is None:  # the row is gone (deleted, or rolled back): make it and book again
            _rows_ready.discard((connection.settings_dict["NAME"], self.api))
            return self.reserve()
        backlog = float(waiting[0])
        raise LimiterBusy(
            self.api,
            f"rate limit queue is {backlog:.1f}s long (max wait {self.max_wait:.0f}s)",
            retry_after=backlog,
        )

    def acquire(self) -> None:
        """Wait for this process's turn (bounded by max_wait); the request may leave now."""
        self.leave(self.book())

    def leave(self, slot: float) -> None:
        """Wait for a booked slot, then claim the right to send now.

        Refused (another worker's request left less than `gap` ago), the caller waits until
        the gap has passed and claims again, as long as it is still within the late tolerance
        of its own slot; beyond it, it books a fresh slot. So a request leaves neither closer
        than `gap` to another nor later than the tolerance after a slot booked for it alone.
        LimiterBusy when a fresh slot is too far away or the claim keeps being refused: the
        call is retried later rather than sent too close to another one.
        """
        for _ in range(_CLAIMS):
            slot = self.wait_for(slot)
            if self.claimed_at_booking:  # the booking of the slot kept claimed it: go now
                return
            self._keep_apart_here()
            wait = self.claim()
            if wait is None:
                return
            if time.monotonic() + wait - slot > self.late_allowance:
                slot = self.book()
            else:
                time.sleep(wait)
        raise LimiterBusy(self.api, "others kept sending first; retry later", retry_after=1.0)

    def _keep_apart_here(self) -> None:
        """Sleep until this process's last request to the API is `gap` old (no statement)."""
        with _left_lock:
            due = _left_here.get(self.api, -1e18) + self.gap
        time.sleep(max(0.0, due - time.monotonic()))

    def claim(self) -> float | None:
        """Mark the request as leaving now if the last one (any worker) left `gap` ago.

        None when claimed; otherwise the seconds until the gap will have passed.
        """
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM, {"api": self.api, "gap": self.gap})
            row = cursor.fetchone()
        if row is None:  # the row is gone: booking again makes it
            _rows_ready.discard((connection.settings_dict["NAME"], self.api))
            return self.interval * (self.late_tolerance + 1)
        if row[0] is None:
            return max(float(row[1]), 0.001)
        self._claimed(float(row[0]))
        return None

    def _claimed(self, sent: float) -> None:
        """Note a claim (database clock): this request leaves now."""
        self.last_sent = sent
        self.claimed_at_booking = False
        with _left_lock:
            _left_here[self.api] = time.monotonic()

    def book(self) -> float:
        """Book the next slot; when it comes, on this process's monotonic clock.

        The wait is measured from the moment the booking returns, never from before it was
        sent: a slow booking (a busy database) would otherwise send the request early.
        """
        wait = self.reserve()
        return time.monotonic() + wait

    def wait_for(self, slot: float) -> float:
        """Sleep until a booked slot (monotonic clock); woken too late, take a fresh slot.

        A sleeper that the operating system wakes late (a busy host) would go out next to the
        caller of the following slot, and the upstream would see two requests closer than the
        rate allows. Later than `late_tolerance` x the interval, the slot is given up and the
        next free one booked (a few times at most; a full queue means going now). Returns the
        slot kept.
        """
        for _ in range(_REBOOKS):
            time.sleep(max(0.0, slot - time.monotonic()))
            if time.monotonic() - slot <= self.late_allowance:
                return slot
            try:
                slot = self.book()
            except LimiterBusy:
                return slot
        time.sleep(max(0.0, slot - time.monotonic()))
        return slot

    def penalise(self, seconds: float) -> None:
        """Push everyone's next slot at least `seconds` away (after a 429/503 Retry-After)."""
        self._ensure_row()
        with connection.cursor() as cursor:
            cursor.execute(_PENALISE, [seconds, self.api])
