"""The core pieces services use to send their events and to act when time has passed."""

from __future__ import annotations

import threading

from localcloud import LocalCloud, testing
from localcloud.core import Dispatcher, ScaledClock, Timers
from tests.support.queues import rule_queue


def test_a_timer_fires_once_the_clock_reaches_it_and_does_not_move_the_clock() -> None:
    clock, dispatcher = ScaledClock(0.0), Dispatcher(workers=1)
    timers = Timers(clock, dispatcher)
    fired = threading.Event()
    timers.after(600, fired.set)
    before = clock.now()
    assert not fired.wait(0.05)
    assert clock.now() - before < 1  # waiting for it skipped nothing
    clock.sleep(600)  # a scaled wait elsewhere skips ten minutes
    assert fired.wait(2)
    timers.stop()
    dispatcher.shutdown()


def test_timers_fire_in_the_order_they_are_due() -> None:
    clock, dispatcher = ScaledClock(0.0), Dispatcher(workers=1)
    timers = Timers(clock, dispatcher)
    order: list[str] = []
    timers.after(20, lambda: order.append("second"))
    timers.after(10, lambda: order.append("first"))
    clock.sleep(30)
    timers.fire_due()
    assert dispatcher.wait(2)
    assert order == ["first", "second"]
    timers.stop()
    dispatcher.shutdown()


def test_a_service_event_reaches_the_default_bus_rules_that_match_it(cloud: LocalCloud) -> None:
    pattern = {"source": ["aws.ec2"], "detail-type": ["EBS Snapshot Notification"]}
    url, _ = rule_queue(cloud, "snapshots", pattern=pattern)
    send = cloud.core.service("aws_events").send
    region = cloud.stack().region
    send(source="aws.ec2", detail_type="Other", detail={}, region=region)
    send(source="aws.ec2", detail_type="EBS Snapshot Notification", detail={"n": 1}, region=region)
    cloud.wait_idle()
    delivered = testing.drain(cloud, url)
    assert [e["detail"] for e in delivered] == [{"n": 1}]
    assert delivered[0]["account"] == cloud.account_id
    assert [e["detail-type"] for e in testing.service_events(cloud)] == [
        "Other",
        "EBS Snapshot Notification",
    ]
