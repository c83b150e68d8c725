"""Work AWS does asynchronously (async invokes, rotations, pollers), and what of it failed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

LOG = logging.getLogger("localcloud")


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
