"""What a running handler's remaining time counts: the measure its timeout uses."""

from __future__ import annotations

import threading

from localcloud.core.clock import ScaledClock
from localcloud.services.lambda_.runtime import _Budget


def test_another_threads_wait_does_not_use_up_a_handlers_remaining_time() -> None:
    clock = ScaledClock(0.0)
    budget = _Budget(clock, timeout=900)
    budget.start(threading.get_ident() + 1)  # the handler is some other thread
    waiter = threading.Thread(target=clock.sleep, args=(3600,))  # a Wait state elsewhere
    waiter.start()
    waiter.join()
    assert clock.now() > 3600  # the local cloud's clock did move an hour
    assert budget.remaining_ms() > 899_000


def test_the_drivers_skip_and_the_handlers_own_waits_use_it_up() -> None:
    clock = ScaledClock(0.0)
    budget = _Budget(clock, timeout=900)
    started = threading.Event()
    go_on = threading.Event()

    def handler() -> None:
        started.set()
        go_on.wait()
        clock.sleep(300)  # the handler's own wait

    thread = threading.Thread(target=handler)
    thread.start()
    started.wait()
    budget.start(thread.ident or 0)
    clock.sleep(400)  # the driver (a test, on the main thread) skips ahead
    assert 499_000 < budget.remaining_ms() <= 500_000
    go_on.set()
    thread.join()
    assert 199_000 < budget.remaining_ms() <= 200_000
