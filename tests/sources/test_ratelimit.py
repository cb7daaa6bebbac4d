"""The shared limiter spaces calls exactly, across threads and processes, with bounded waits."""

from __future__ import annotations

import itertools
import json
import time

import pytest

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
