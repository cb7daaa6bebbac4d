"""Circuit breakers (pybreaker) whose state lives in Postgres, shared by every worker."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pybreaker
from django.db import connection

from enrichment.sources.errors import (
    BreakerOpen,
    MalformedResponse,
    PermanentSourceError,
    RateLimited,
)

FAIL_MAX = 5  # consecutive failures that open the breaker
RESET_TIMEOUT = 60  # seconds open before one trial call (half-open)
SUCCESS_THRESHOLD = 2  # successes in half-open that close it


_COLUMNS = ("state", "failure_count", "success_count", "opened_at")
# The breaker row's columns as one_read's snapshot takes them (other statements may read them
# along with their own: the response cache's read does).
SNAPSHOT_COLUMNS = _COLUMNS


class PostgresBreakerStorage(pybreaker.CircuitBreakerStorage):
    """pybreaker storage backed by one `circuit_breaker_state` row per API.

    Within `one_read()` (one upstream call) the row is read once, by the first property read,
    and every later read answers from that snapshot; writes keep it current, and a reset of a
    counter the snapshot holds at zero writes nothing.
    """

    def __init__(self, api: str) -> None:
        super().__init__(api)
        self.api = api
        self._local = threading.local()
        self._ensure_row()

    def _ensure_row(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO circuit_breaker_state "
                "(api, state, failure_count, success_count, updated_at) "
                "VALUES (%s, 'closed', 0, 0, now()) ON CONFLICT (api) DO NOTHING",
                [self.api],
            )

    @contextlib.contextmanager
    def one_read(self, snapshot: Sequence[Any] | None = None) -> Iterator[None]:
        """While open (in this thread), the row is read at most once; not at all when the
        caller read it just now (`snapshot`: the SNAPSHOT columns, e.g. with the cache)."""
        outer = getattr(self._local, "active", False)
        self._local.active = True
        if not outer and snapshot is not None:
            self._local.row = dict(zip(_COLUMNS, snapshot, strict=True))
        try:
            yield
        finally:
            if not outer:
                self._local.active = False
                self._local.row = None

    def _row(self) -> dict[str, Any]:
        row: dict[str, Any] | None = getattr(self._local, "row", None)
        if row is not None:
            return row
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM circuit_breaker_state WHERE api = %s",
                [self.api],
            )
            found = cursor.fetchone()
        if found is None:  # the row was deleted (e.g. a reset): start closed again
            self._ensure_row()
            return self._row()
        row = dict(zip(_COLUMNS, found, strict=True))
        if getattr(self._local, "active", False):
            self._local.row = row
        return row

    def _read(self, column: str) -> object:
        return self._row()[column]

    def _write(self, column: str, assignment: str, params: list[Any]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE circuit_breaker_state SET {assignment}, updated_at = now() "
                f"WHERE api = %s RETURNING {column}",
                [*params, self.api],
            )
            found = cursor.fetchone()
        row = getattr(self._local, "row", None)
        if row is not None and found is not None:
            row[column] = found[0]

    def _reset(self, column: str) -> None:
        row = getattr(self._local, "row", None)
        if row is not None and row[column] == 0:
            return  # nothing to reset: no statement (the common success path)
        self._write(column, f"{column} = 0", [])

    @property
    def state(self) -> str:
        return str(self._read("state"))

    @state.setter
    def state(self, state: str) -> None:
        self._write("state", "state = %s", [state])

    def increment_counter(self) -> None:
        self._write("failure_count", "failure_count = failure_count + 1", [])

    def reset_counter(self) -> None:
        self._reset("failure_count")

    def increment_success_counter(self) -> None:
        self._write("success_count", "success_count = success_count + 1", [])

    def reset_success_counter(self) -> None:
        self._reset("success_count")

    @property
    def counter(self) -> int:
        return cast(int, self._read("failure_count"))

    @property
    def success_counter(self) -> int:
        return cast(int, self._read("success_count"))

    @property
    def opened_at(self) -> datetime | None:
        value = self._read("opened_at")
        return value if isinstance(value, datetime) else None

    @opened_at.setter
    def opened_at(self, value: datetime) -> None:
        self._write("opened_at", "opened_at = %s", [value])


def _not_a_failure(error: BaseException) -> bool:
    # Configuration problems and refusals are ours to fix, not signs the API is down; a rate
    # limit is honoured through the shared limiter (Retry-After), not by opening the breaker;
    # an unreadable body is a sign (the upstream is misbehaving).
    if isinstance(error, RateLimited):
        return True
    return isinstance(error, PermanentSourceError) and not isinstance(error, MalformedResponse)


class SharedBreaker:
    """A pybreaker breaker with Postgres state, plus a cheap pre-check used before rate limiting."""

    def __init__(self, api: str) -> None:
        self.api = api
        self.storage = PostgresBreakerStorage(api)
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=FAIL_MAX,
            reset_timeout=RESET_TIMEOUT,
            success_threshold=SUCCESS_THRESHOLD,
            exclude=[_not_a_failure],
            state_storage=self.storage,
            name=api,
            throw_new_error_on_trip=False,
        )

    def one_read(
        self, snapshot: Sequence[Any] | None = None
    ) -> contextlib.AbstractContextManager[None]:
        """One upstream call's scope: the shared row is read once in it (the storage's)."""
        return self.storage.one_read(snapshot)

    def raise_if_open(self) -> None:
        """Refuse at once (no rate-limit token spent) while the breaker is open and cooling."""
        opened_at = self.storage.opened_at
        if self.storage.state != "open" or opened_at is None:
            return
        remaining = (
            opened_at + timedelta(seconds=RESET_TIMEOUT) - datetime.now(UTC)
        ).total_seconds()
        if remaining > 0:
            raise BreakerOpen(self.api, "circuit breaker open", retry_after=remaining)

    @contextlib.contextmanager
    def calling(self) -> Iterator[None]:
        """Run the block as one guarded call; an open breaker raises BreakerOpen."""
        try:
            with self.breaker.calling():
                yield
        except pybreaker.CircuitBreakerError as error:
            raise BreakerOpen(
                self.api, "circuit breaker open", retry_after=RESET_TIMEOUT
            ) from error

    def current_state(self) -> str:
        """closed, open or half-open, as all processes see it."""
        return self.storage.state


_breakers: dict[str, SharedBreaker] = {}
_lock = threading.Lock()


def breaker_for(api: str) -> SharedBreaker:
    """This process's breaker object for an API (its state is shared through Postgres)."""
    with _lock:
        if api not in _breakers:
            _breakers[api] = SharedBreaker(api)
        return _breakers[api]
