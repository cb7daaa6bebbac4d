"""The shared limiter spaces calls exactly, across threads and processes, with bounded waits."""

from __future__ import annotations

import itertools
import json
import os
import signal
import threading
import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrichment.sources.errors import RateLimited
from enrichment.sources.ratelimit import RateLimiter
from tests.subprocesses import start_snippet

pytestmark = pytest.mark.django_db


def test_calls_are_spaced_by_the_rate() -> None:
    limiter = RateLimiter("test-spacing", 20.0)
    started = time.monotonic()
    for _ in range(6):
        limiter.acquire()
    # Six slots at 20/s: the first is immediate, the sixth 0.25 s later (at the earliest: a
    # busy machine may only add to that).
    assert time.monotonic() - started >= 0.24


def test_each_booking_waits_no_longer_than_its_slot() -> None:
    # The limiter's own answer, not the wall clock: the n-th booking in a row is told to wait
    # at most n intervals (time passing between bookings only shortens the waits).
    limiter = RateLimiter("test-slots", 20.0)
    waits = [limiter.reserve() for _ in range(6)]
    assert waits[0] == 0.0
    assert all(wait <= n * 0.05 + 1e-6 for n, wait in enumerate(waits))


def test_a_caller_woken_late_gives_its_slot_up_and_books_the_next() -> None:
    limiter = RateLimiter("test-late", 2.0)
    limiter.reserve()
    booked = limiter.last_slot
    # Woken a second (two intervals) after its slot, as a descheduled worker would be: going
    # now would put it next to the caller of the following slot.
    limiter.wait_for(time.monotonic() - 1.0)
    assert booked is not None and limiter.last_slot is not None
    assert limiter.last_slot >= booked + 0.5


def test_a_slow_booking_does_not_send_early(monkeypatch: pytest.MonkeyPatch) -> None:
    limiter = RateLimiter("test-slow-booking", 10.0)

    def slow_reserve() -> float:
        time.sleep(0.2)  # a busy database answering late
        return 0.3  # the wait, as the database measured it when it booked

    monkeypatch.setattr(limiter, "reserve", slow_reserve)
    before = time.monotonic()
    # The wait counts from when the answer arrived, not from when the booking was sent.
    assert limiter.book() >= before + 0.2 + 0.3


def test_a_caller_woken_on_time_keeps_its_slot() -> None:
    limiter = RateLimiter("test-on-time", 1.0)
    limiter.reserve()
    booked = limiter.last_slot
    limiter.wait_for(time.monotonic() + 0.01)  # half a second of tolerance at 1/s
    assert limiter.last_slot == booked


def test_a_wait_longer_than_max_wait_is_refused_as_transient() -> None:
    limiter = RateLimiter("test-bounded", 1.0, max_wait=0.2)
    assert limiter.reserve() == 0.0
    with pytest.raises(RateLimited) as caught:
        limiter.reserve()
    assert caught.value.transient
    assert 0.7 < (caught.value.retry_after or 0) <= 1.0


def test_a_refused_caller_books_nothing() -> None:
    limiter = RateLimiter("test-refused", 1.0, max_wait=0.2)
    limiter.reserve()
    for _ in range(3):
        with pytest.raises(RateLimited):
            limiter.reserve()
    # The queue is still one interval long, not four.
    limiter.max_wait = 5.0
    assert limiter.reserve() <= 1.0


def test_penalise_pushes_the_next_slot_back() -> None:
    limiter = RateLimiter("test-penalty", 100.0, max_wait=0.5)
    limiter.penalise(3.0)
    with pytest.raises(RateLimited) as caught:
        limiter.reserve()
    assert 2.5 < (caught.value.retry_after or 0) <= 3.0


def test_a_non_positive_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter("test-zero", 0)


CHILD = """
import json, time
from enrichment.sources.ratelimit import RateLimiter
limiter = RateLimiter("test-shared", {rate}, max_wait=60)
stamps, slots = [], []
for _ in range({calls}):
    limiter.acquire()
    stamps.append(time.time())
    slots.append(limiter.last_slot)
print(json.dumps({{"stamps": stamps, "slots": slots}}))
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_several_processes_share_one_limit() -> None:
    rate, calls, processes = 25.0, 15, 3
    children = [start_snippet(CHILD.format(rate=rate, calls=calls)) for _ in range(processes)]
    pairs: list[tuple[float, float]] = []  # (booked slot, when the caller went ahead)
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        answer = json.loads(out.strip().splitlines()[-1])
        pairs += zip(answer["slots"], answer["stamps"], strict=True)
    slots = sorted(slot for slot, _ in pairs)
    # The booked slots, on the database clock, are one interval apart across the three
    # processes: what an upstream enforcing the rate with no burst at all would accept.
    # (Epoch seconds as doubles carry ~1e-7 s of rounding, hence the tolerance.)
    close = [(a, b) for a, b in itertools.pairwise(slots) if b - a < 1 / rate - 1e-5]
    assert close == []
    # And no caller goes ahead before its slot (same host, so the clocks agree to within a
    # millisecond). How late a descheduled sleeper wakes depends on the machine's load:
    # bench/throughput.py measures what the upstream sees on a busy machine.
    early = [(slot, stamp) for slot, stamp in pairs if stamp < slot - 0.005]
    assert early == []


def bucket_rejections(stamps: list[float], rate: float, burst: float) -> int:
    """How many of these requests a token bucket (rate, burst) would have refused."""
    tokens, last, refused = burst, stamps[0], 0
    for stamp in stamps:
        tokens = min(burst, tokens + (stamp - last) * rate)
        last = stamp
        if tokens >= 1 - 1e-9:
            tokens -= 1
        else:
            refused += 1
    return refused


def test_the_bucket_check_itself_catches_an_overshoot() -> None:
    assert bucket_rejections([i / 40 for i in range(40)], rate=20, burst=2) > 0
    assert bucket_rejections([i / 20 for i in range(40)], rate=20, burst=2) == 0


def test_a_limit_row_deleted_under_a_running_process_is_made_again() -> None:
    from enrichment.models import RateLimitState

    limiter = RateLimiter("test-vanished", 10.0, max_wait=5)
    limiter.reserve()
    RateLimitState.objects.filter(api="test-vanished").delete()
    assert limiter.reserve() == 0.0  # a fresh row, not a false "queue is 5 s long"
    assert RateLimitState.objects.filter(api="test-vanished").exists()


def test_a_request_leaves_only_a_safe_gap_after_the_last_one_that_left() -> None:
    first, second = RateLimiter("test-claim", 10.0), RateLimiter("test-claim", 10.0)
    first.acquire()
    # A second worker that booked a later slot but claims at once (its clock ran ahead): the
    # claim is refused, since the last request left less than (1 - margin) x 0.1 s ago.
    refused = second.claim()
    assert refused is not None and 0 < refused <= second.gap
    second.acquire()  # it books a fresh slot, and then leaves far enough behind
    assert first.last_sent is not None and second.last_sent is not None
    assert second.last_sent - first.last_sent >= second.gap - 1e-5


def test_a_slot_due_at_once_is_booked_and_claimed_in_one_statement() -> None:
    limiter = RateLimiter("test-one-statement", 5.0)
    limiter.acquire()  # makes the row
    time.sleep(limiter.interval)
    with CaptureQueriesContext(connection) as queries:
        limiter.acquire()
    assert len(queries) == 1, [query["sql"] for query in queries]
    # The next caller's slot is not due yet: it waits, then claims apart.
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        limiter.acquire()
    assert time.monotonic() - started >= limiter.gap * 0.9
    assert len(queries) == 2


def test_a_due_booking_claims_nothing_while_the_last_request_is_closer_than_the_gap() -> None:
    first, second = RateLimiter("test-due-claim", 10.0), RateLimiter("test-due-claim", 10.0)
    first.acquire()
    # The next slot is made due at once, but the last request left just now: the booking may
    # not claim; the caller waits out the gap and claims then.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE rate_limit_state SET theoretical_arrival = 0 WHERE api = 'test-due-claim'"
        )
    second.book()
    assert not second.claimed_at_booking
    second.acquire()
    assert first.last_sent is not None and second.last_sent is not None
    assert second.last_sent - first.last_sent >= second.gap - 1e-5


def test_the_gap_is_the_interval_less_the_safety_margin(settings: Any) -> None:
    settings.RATE_LIMIT_SAFETY_MARGIN = 0.1
    assert RateLimiter("test-margin", 4.0).gap == pytest.approx(0.225)


@pytest.mark.django_db(transaction=True)
def test_descheduled_senders_never_leave_closer_than_the_gap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every other wake-up comes late by up to two intervals, as on a host where the workers
    # are descheduled between their slot and their send: the moments requests leave (the
    # claims, on the database clock) still keep the gap.
    waking = RateLimiter.wait_for
    lateness = itertools.cycle([0.0, 0.06, 0.0, 0.11, 0.02])
    lock = threading.Lock()

    def wake_late(self: RateLimiter, slot: float) -> float:
        kept = waking(self, slot)
        with lock:
            late = next(lateness)
        time.sleep(late)
        return kept

    monkeypatch.setattr(RateLimiter, "wait_for", wake_late)
    sent: list[float] = []

    def worker() -> None:
        limiter = RateLimiter("test-descheduled", 20.0, max_wait=60)
        try:
            for _ in range(6):
                limiter.acquire()
                assert limiter.last_sent is not None
                with lock:
                    sent.append(limiter.last_sent)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(sent) == 24
    gap = RateLimiter("test-descheduled", 20.0).gap
    close = [(a, b) for a, b in itertools.pairwise(sorted(sent)) if b - a < gap - 1e-5]
    assert close == []


STOPPED_CHILD = """
import json
from enrichment.sources.ratelimit import RateLimiter
limiter = RateLimiter("test-stopped", {rate}, max_wait=60)
sent = []
for _ in range({calls}):
    limiter.acquire()
    sent.append(limiter.last_sent)
print(json.dumps(sent))
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_workers_stopped_and_continued_never_bunch_their_requests() -> None:
    # Real processes, really descheduled: SIGSTOP/SIGCONT one of them over and over while all
    # send. Whatever the timing, the requests that leave keep the gap (database clock).
    rate, calls = 20.0, 12
    children = [start_snippet(STOPPED_CHILD.format(rate=rate, calls=calls)) for _ in range(3)]
    victim = children[0]
    for pause in itertools.islice(itertools.cycle([0.03, 0.07, 0.12]), 30):
        if victim.poll() is not None:
            break
        os.kill(victim.pid, signal.SIGSTOP)
        time.sleep(pause)
        os.kill(victim.pid, signal.SIGCONT)
        time.sleep(pause / 2)
    sent: list[float] = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        sent += json.loads(out.strip().splitlines()[-1])
    assert len(sent) == 3 * calls
    gap = (1 / rate) * (1 - 0.05)
    close = [(a, b) for a, b in itertools.pairwise(sorted(sent)) if b - a < gap - 1e-5]
    assert close == []
