"""The time, read in one place, so that a local cloud running on a scaled clock can supply it.

On Lambda the source is the system clock. The local cloud swaps in its own clock, on which
Wait states and SQS delays pass in a fraction of real time, so that code which plans by the
clock (the ECS sampler's delays) sees the same time as the services around it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], float] = time.time


def now() -> datetime:
    return datetime.fromtimestamp(_source(), UTC)
