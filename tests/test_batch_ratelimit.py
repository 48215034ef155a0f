"""The token bucket shared by a batch's workers."""

from __future__ import annotations

import threading
import time

import pytest

from wxplan_cli.ratelimit import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_spacing_and_refill_with_a_fake_clock() -> None:
    clock = Clock()
    bucket = TokenBucket(10.0, clock=clock)
    assert [round(bucket.reserve(), 3) for _ in range(4)] == [0.0, 0.1, 0.2, 0.3]
    clock.now += 0.4  # the three reserved tokens are paid back and one more has come in
    assert [round(bucket.reserve(), 3) for _ in range(2)] == [0.0, 0.1]
    clock.now += 10  # refills only up to the burst
    assert [round(bucket.reserve(), 3) for _ in range(2)] == [0.0, 0.1]


def test_burst() -> None:
    clock = Clock()
    bucket = TokenBucket(2.0, burst=3, clock=clock)
    assert [round(bucket.reserve(), 2) for _ in range(5)] == [0.0, 0.0, 0.0, 0.5, 1.0]


def test_no_limit_and_bad_rate() -> None:
    bucket = TokenBucket(None)
    assert all(bucket.reserve() == 0.0 for _ in range(1000)) and bucket.acquire()
    for bad in (0, -1):
        with pytest.raises(ValueError):
            TokenBucket(bad)


def test_shared_by_threads() -> None:
    bucket = TokenBucket(100.0)
    stamps: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(10):
            bucket.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=work) for _ in range(6)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    assert len(stamps) == 60
    assert 0.55 <= elapsed < 1.5  # 59 intervals of 10 ms, whatever the number of threads
    stamps.sort()
    in_any_100ms = max(sum(1 for s in stamps if t <= s < t + 0.1) for t in stamps)
    assert in_any_100ms <= 12


def test_a_stop_cuts_the_wait() -> None:
    bucket = TokenBucket(0.5)
    stop = threading.Event()
    assert bucket.acquire(stop)  # the first token is there
    threading.Timer(0.1, stop.set).start()
    start = time.monotonic()
    assert bucket.acquire(stop) is False
    assert time.monotonic() - start < 1.0  # not the 2 s the token would take
