"""The local cloud's clock as code sees it: schedules fire on the minute, Steward reads it."""

from __future__ import annotations

import time
from typing import Any

from localcloud import LocalCloud
from steward_common import clock


def test_a_schedule_fires_at_the_next_minute_on_the_clock_without_waiting_for_it(
    cloud: LocalCloud,
) -> None:
    before = cloud.clock.wall()
    skipped_before = before - time.time()
    cloud.fire_schedule("RecorderAHourly")
    after = cloud.clock.wall()
    assert after // 60 == before // 60 + 1 and after % 60 < 1  # just past the next minute
    # at scale 0 the wait to the minute is skipped on the clock, not slept
    assert (after - time.time()) - skipped_before >= (60 - before % 60) - 1
    cloud.wait_idle(timeout=30)


def test_steward_code_reads_the_local_clock_while_it_runs_and_the_system_clock_after(
    cloud_factory: Any,
) -> None:
    cloud = cloud_factory()
    cloud.clock.sleep(3600)  # an hour passes on the local cloud in a millisecond
    assert abs(clock.now().timestamp() - cloud.clock.wall()) < 1
    assert clock.now().timestamp() - time.time() > 3500
    cloud.stop()
    assert abs(clock.now().timestamp() - time.time()) < 1
