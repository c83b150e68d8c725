"""Schedule rules fire by themselves on the local cloud's clock (`LocalCloud(schedules=True)`),
at the minutes EventBridge's rate and cron expressions name."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud, testing
from localcloud.services.events.schedule import Cron, InvalidSchedule, Rate, parse
from tests.support.paths import LOCALCLOUD_TEMPLATES
from tests.support.queues import rule_queue

# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html
# "All scheduled events use UTC+0 time zone, and the minimum precision for a schedule is one
# minute." "Cron expressions have six required fields" [Minutes, Hours, Day-of-month, Month,
# Day-of-week (1-7 or SUN-SAT), Year]. "The L wildcard in the Day-of-month or Day-of-week fields
# specifies the last day of the month or week." "The W wildcard in the Day-of-month field
# specifies a weekday. In the Day-of-month field, 3W specifies the weekday closest to the third
# day of the month." "The # wildcard in the Day-of-week field specifies a certain instance of the
# specified day of the week within a month. For example, 3#2 would be the second Tuesday of the
# month". "You can't specify the Day-of-month and Day-of-week fields in the same cron
# expression. If you specify a value or a * (asterisk) in one of the fields, you must use a ?
# (question mark) in the other." "A rate expression starts when you create the scheduled event
# rule" and "If the value is equal to 1, then the unit must be singular. If the value is
# greater than 1, the unit must be plural."


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "fires", "quiet"),
    [
        ("cron(0 10 * * ? *)", "2026-03-04T10:00", "2026-03-04T10:01"),
        ("cron(0/15 * * * ? *)", "2026-03-04T07:45", "2026-03-04T07:50"),
        ("cron(0/5 8-17 ? * MON-FRI *)", "2026-03-06T17:55", "2026-03-07T09:00"),  # Fri / Sat
        ("cron(0/30 20-2 ? * MON-FRI *)", "2026-03-05T01:30", "2026-03-05T03:00"),  # wraps
        ("cron(15 10 ? * 6L 2019-2022)", "2022-12-30T10:15", "2022-12-23T10:15"),  # last Fri
        ("cron(15 10 ? * 6L 2019-2022)", "2021-01-29T10:15", "2023-01-27T10:15"),  # years
        ("cron(0 12 ? * 3#2 *)", "2026-03-10T12:00", "2026-03-03T12:00"),  # 2nd Tuesday
        ("cron(0 12 L * ? *)", "2024-02-29T12:00", "2024-02-28T12:00"),  # last of the month
        ("cron(0 12 3W * ? *)", "2026-10-02T12:00", "2026-10-03T12:00"),  # 3rd is a Saturday
        ("cron(0 12 1W * ? *)", "2026-08-03T12:00", "2026-07-31T12:00"),  # not into July
        ("cron(0 12 ? * L *)", "2026-03-07T12:00", "2026-03-08T12:00"),  # Saturday
        ("cron(5,35 14 * JAN,DEC ? *)", "2026-12-01T14:35", "2026-11-01T14:35"),
    ],
)
def test_cron_expressions_fire_at_the_documented_minutes(
    expression: str, fires: str, quiet: str
) -> None:
    schedule = parse(expression)
    assert isinstance(schedule, Cron)
    assert schedule.fires_at(_at(fires))
    assert not schedule.fires_at(_at(quiet))


def test_a_rate_starts_when_the_rule_is_made() -> None:
    schedule = parse("rate(5 minutes)")
    assert schedule == Rate(300)
    made = _at("2026-03-04T10:02:40")
    assert not schedule.fires_at(_at("2026-03-04T10:02"), made)
    assert schedule.fires_at(_at("2026-03-04T10:07"), made)
    assert not schedule.fires_at(_at("2026-03-04T10:10"), made)
    assert schedule.fires_at(_at("2026-03-04T10:12"), made)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 hours)",
        "rate(5 hour)",
        "rate(0 minutes)",
        "rate(30 seconds)",
        "cron(0 10 * * *)",  # five fields
        "cron(0 10 * * MON *)",  # both days given
        "cron(0 10 ? * ? *)",
        "cron(60 10 * * ? *)",
        "cron(0 10 ? * 3#1,6#3 *)",  # "you can define only one expression" with #
        "every(5 minutes)",
    ],
)
def test_put_rule_refuses_schedule_expressions_eventbridge_refuses(
    cloud: LocalCloud, expression: str
) -> None:
    with pytest.raises(InvalidSchedule):
        parse(expression)
    with pytest.raises(ClientError) as caught:
        cloud.client("events").put_rule(Name="bad", ScheduleExpression=expression)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"] == (
        "Parameter ScheduleExpression is not valid."
    )


def _eventually(cloud: LocalCloud, check: Callable[[], Any], expected: Any) -> Any:
    """What `check()` returns once it is `expected` (or after 30 s): timers fire within a few
    milliseconds of the clock reaching them, then run on the dispatcher."""
    deadline = time.monotonic() + 30
    while True:
        time.sleep(0.05)
        cloud.wait_idle(timeout=30)
        found = check()
        if found == expected or time.monotonic() > deadline:
            return found


def _count(cloud: LocalCloud, machine: str) -> int:
    return len(cloud.executions(machine))


def test_schedules_fire_by_themselves_on_the_clock_and_never_move_it(cloud_factory: Any) -> None:
    cloud: LocalCloud = cloud_factory(
        template=LOCALCLOUD_TEMPLATES / "schedules.yaml", schedules=True
    )
    minute_queue = cloud.physical_id("MinuteQueue")
    # At time_scale 0 nothing waits: the clock stays where it is and nothing fires.
    before = cloud.clock.now()
    time.sleep(0.3)
    cloud.wait_idle(timeout=30)
    assert cloud.clock.now() - before < 1
    assert testing.drain(cloud, minute_queue) == []
    assert _count(cloud, "EveryFiveMinutes") == 0

    started = cloud.clock.wall()
    cloud.clock.sleep(600)  # a Wait state elsewhere skips ten minutes
    assert _eventually(cloud, lambda: _count(cloud, "EveryFiveMinutes"), 2) == 2
    ticks = testing.drain(cloud, minute_queue)
    assert len(ticks) == 10  # rate(1 minute): once each minute the clock went through
    rule = cloud.attribute("EveryMinuteRule", "Arn")
    times = sorted(tick["time"] for tick in ticks)
    assert len(set(times)) == 10 and all(t.endswith(":00Z") for t in times)
    for tick in ticks:
        assert (tick["source"], tick["detail-type"], tick["detail"]) == (
            "aws.events",
            "Scheduled Event",
            {},
        )
        assert tick["resources"] == [rule]
        assert started < datetime.fromisoformat(tick["time"]).timestamp() <= started + 600
    [first, _] = cloud.executions("EveryFiveMinutes")
    assert first["input"] == {"from": "rate"}
    # The disabled rate(1 minute) rule of AtNoon never fired (its noon rule may have).
    noon_rule = cloud.attribute("AtNoonNoon", "Arn")
    assert all(e["input"]["resources"] == [noon_rule] for e in cloud.executions("AtNoon"))


def test_a_disabled_rule_does_not_fire_and_cron_fires_in_utc(cloud_factory: Any) -> None:
    cloud: LocalCloud = cloud_factory(
        template=LOCALCLOUD_TEMPLATES / "schedules.yaml", schedules=True
    )
    events = cloud.client("events")
    events.disable_rule(Name=cloud.physical_id("EveryMinuteRule"))
    events.disable_rule(Name=cloud.physical_id("EveryFiveMinutesTick"))
    cloud.clock.sleep(86_400)  # a day: one noon, UTC
    assert _eventually(cloud, lambda: _count(cloud, "AtNoon"), 1) == 1
    [noon] = cloud.executions("AtNoon")
    assert noon["input"]["time"].endswith("T12:00:00Z")
    assert noon["input"]["resources"] == [cloud.attribute("AtNoonNoon", "Arn")]
    assert testing.drain(cloud, cloud.physical_id("MinuteQueue")) == []
    assert _count(cloud, "EveryFiveMinutes") == 0


def test_a_rule_made_over_the_api_fires_too(cloud_factory: Any) -> None:
    cloud: LocalCloud = cloud_factory(
        template=LOCALCLOUD_TEMPLATES / "schedules.yaml", schedules=True
    )
    cloud.client("events").disable_rule(Name=cloud.physical_id("EveryMinuteRule"))
    url, rule = rule_queue(cloud, "api-made", schedule="rate(2 minutes)")
    cloud.clock.sleep(300)
    received: list[Any] = []

    def delivered() -> int:
        received.extend(testing.drain(cloud, url))  # draining deletes: keep what was read
        return len(received)

    found = _eventually(cloud, delivered, 2)
    assert found == 2  # at 2 and 4 minutes after PutRule
    assert {tick["resources"][0] for tick in received} == {rule}
