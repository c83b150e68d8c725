"""Asynchronous work of the local cloud (async Lambda invokes, rotations) and its clock."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

LOG = logging.getLogger("localcloud")


class ScaledClock:
    """Time as Wait states and retry back-offs see it: real seconds times `scale`."""

    def __init__(self, scale: float) -> None:
        if scale < 0:
            raise ValueError("time_scale must be >= 0")
        self.scale = scale
        self._skipped = 0.0  # nominal seconds waited beyond the real ones
        self._lock = threading.Lock()

    def seconds(self, seconds: float) -> float:
        return max(0.0, float(seconds)) * self.scale

    def now(self) -> float:
        """Virtual time: real (monotonic) time plus every second a scaled wait skipped.

        Things that take nominal time, such as emulated Batch jobs, finish by this clock.
        Concurrent waits each add their skip, so with parallel branches it runs fast.
        """
        with self._lock:
            return time.monotonic() + self._skipped

    def wall(self) -> float:
        """Virtual epoch seconds: the system clock plus every second a scaled wait skipped."""
        with self._lock:
            return time.time() + self._skipped

    def _skip(self, nominal: float, waited: float) -> None:
        with self._lock:
            self._skipped += max(0.0, nominal - waited)

    def sleep(self, seconds: float) -> None:
        scaled = self.seconds(seconds)
        started = time.monotonic()
        # Even at scale 0, give other threads a turn, as a real wait would.
        time.sleep(scaled if scaled > 0 else 0.001)
        self._skip(max(0.0, float(seconds)), time.monotonic() - started)

    def wait(self, event: threading.Event, seconds: float) -> None:
        scaled = self.seconds(seconds)
        started = time.monotonic()
        interrupted = event.wait(scaled if scaled > 0 else 0.001)
        if not interrupted:
            self._skip(max(0.0, float(seconds)), time.monotonic() - started)


@dataclass
class AsyncFailure:
    """An asynchronous invocation that failed after Lambda's retries."""

    what: str
    error_type: str
    error_message: str
    event: Any


class Dispatcher:
    """A pool for work that AWS does asynchronously, with a count of what is in flight."""

    def __init__(self, workers: int = 8) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="localcloud")
        self._pending = 0
        self._cond = threading.Condition()
        self.failures: list[AsyncFailure] = []

    def submit(self, fn: Callable[[], None]) -> None:
        with self._cond:
            self._pending += 1

        def run() -> None:
            try:
                fn()
            except Exception:
                LOG.exception("asynchronous work failed")
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

        self._pool.submit(run)

    @property
    def pending(self) -> int:
        with self._cond:
            return self._pending

    def wait(self, timeout: float) -> bool:
        """Wait until nothing is in flight; False if the timeout ran out first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
