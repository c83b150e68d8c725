"""Counting the AWS API calls made on the local cloud, by the function that made them.

For `steward cost` and `bench/`: what a design costs is mostly what it calls. Every call made
through botocore in this process is seen (`localcloud.core.calls`); the function making it is
the Lambda invocation running in that thread (each invocation has its own environment), or
None for calls made outside any invocation (a test, the local cloud itself). The local cloud's
own calls made during an invocation (IAM evaluation reading the caller's policies, say) are
not the function's and are not counted.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from localcloud.core.calls import ApiCall, observe

__all__ = ["ApiCall", "CallCounter", "invoking_function", "metered"]


def invoking_function() -> str | None:
    """The name of the function whose invocation is running in this thread, if any."""
    return os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or None


@contextmanager
def metered(on_call: Callable[[str | None, ApiCall], Any]) -> Iterator[None]:
    """Call `on_call(function, call)` before every API call made while the block runs."""
    stop = observe(lambda call: None if call.internal else on_call(invoking_function(), call))
    try:
        yield
    finally:
        stop()


class CallCounter:
    """Calls by (function, "service:Operation"), for calls made inside invocations."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def __call__(self, function: str | None, call: ApiCall) -> None:
        if function:
            with self._lock:
                self.calls[(function, f"{call.service}:{call.operation}")] += 1

    @contextmanager
    def counting(self) -> Iterator[CallCounter]:
        with metered(self):
            yield self
