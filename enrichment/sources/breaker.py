"""Circuit breakers (pybreaker) whose state lives in Postgres, shared by every worker."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
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


class PostgresBreakerStorage(pybreaker.CircuitBreakerStorage):
    """pybreaker storage backed by one `circuit_breaker_state` row per API."""

    def __init__(self, api: str) -> None:
        super().__init__(api)
        self.api = api
        self._ensure_row()

    def _ensure_row(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO circuit_breaker_state "
                "(api, state, failure_count, success_count, updated_at) "
                "VALUES (%s, 'closed', 0, 0, now()) ON CONFLICT (api) DO NOTHING",
                [self.api],
            )

    def _read(self, column: str) -> object:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {column} FROM circuit_breaker_state WHERE api = %s",
                [self.api],
            )
            row = cursor.fetchone()
        if row is None:  # the row was deleted (e.g. a reset): start closed again
            self._ensure_row()
            return self._read(column)
        return row[0]

    def _write(self, assignment: str, params: list[Any], where: str = "") -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE circuit_breaker_state SET {assignment}, updated_at = now() "
                f"WHERE api = %s {where}",
                [*params, self.api],
            )

    @property
    def state(self) -> str:
        return str(self._read("state"))

    @state.setter
    def state(self, state: str) -> None:
        self._write("state = %s", [state])

    def increment_counter(self) -> None:
        self._write("failure_count = failure_count + 1", [])

    def reset_counter(self) -> None:
        # Conditional, so the common success path writes nothing when there is nothing to reset.
        self._write("failure_count = 0", [], "AND failure_count <> 0")

    def increment_success_counter(self) -> None:
        self._write("success_count = success_count + 1", [])

    def reset_success_counter(self) -> None:
        self._write("success_count = 0", [], "AND success_count <> 0")

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
        self._write("opened_at = %s", [value])


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

    def raise_if_open(self) -> None:
        """Refuse at once (no rate-limit token spent) while the breaker is open and cooling."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT state, opened_at FROM circuit_breaker_state WHERE api = %s", [self.api]
            )
            row = cursor.fetchone()
        if row is None or row[0] != "open" or row[1] is None:
            return
        remaining = (row[1] + timedelta(seconds=RESET_TIMEOUT) - datetime.now(UTC)).total_seconds()
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
