"""Work that AWS does when a time has passed (a snapshot copy completes, a restore ends, a
schedule fires), due on the local cloud's clock.

A timer never moves the clock: it fires once the clock has reached its time, by real time
passing (at the clock's scale) or by a scaled wait somewhere skipping ahead. So at scale 0 a
copy that takes ten minutes completes as soon as a Wait state (or `cloud.clock.sleep`) skips
ten minutes, and a schedule does not race the clock forward by itself. Due work runs on the
dispatcher, so `wait_idle` waits for it once it fires; a timer not yet due is not "in flight"
(it may be hours away).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable

from localcloud.core.clock import ScaledClock
from localcloud.core.dispatch import Dispatcher

LOG = logging.getLogger("localcloud")

_POLL_SECONDS = 0.005  # real seconds between looks at the clock


class Timers:
    def __init__(self, clock: ScaledClock, dispatcher: Dispatcher) -> None:
        self._clock = clock
        self._dispatcher = dispatcher
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def at(self, due: float, work: Callable[[], None]) -> None:
        """Run `work` once `clock.now()` has reached `due`."""
        with self._lock:
            heapq.heappush(self._heap, (due, next(self._order), work))
            if self._thread is None and not self._stopped.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="localcloud-timers", daemon=True
                )
                self._thread.start()

    def after(self, seconds: float, work: Callable[[], None]) -> float:
        """Run `work` once `seconds` have passed on the clock; returns when it is due."""
        due = self._clock.now() + max(0.0, float(seconds))
        self.at(due, work)
        return due

    @property
    def scheduled(self) -> int:
        with self._lock:
            return len(self._heap)

    def fire_due(self) -> int:
        """Hand every timer now due to the dispatcher (the thread does this by itself)."""
        now = self._clock.now()
        due: list[Callable[[], None]] = []
        with self._lock:
            while self._heap and self._heap[0][0] <= now:
                due.append(heapq.heappop(self._heap)[2])
        for work in due:
            try:
                self._dispatcher.submit(work)
            except RuntimeError:  # the dispatcher is shutting down: the cloud is stopping
                LOG.debug("timer not run: the local cloud is stopping")
        return len(due)

    def _run(self) -> None:
        while not self._stopped.wait(_POLL_SECONDS):
            self.fire_due()

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            self._heap.clear()
