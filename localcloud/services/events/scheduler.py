"""EventBridge's scheduler: rules with a ScheduleExpression fire on the local cloud's clock.

With `LocalCloud(schedules=True)` (on under `steward local up`) every enabled rate or cron rule
of a default bus fires by itself at the minutes EventBridge would fire it (`schedule`), in UTC
on the local cloud's clock: a timer is due at each minute, and a timer never moves the clock,
so at time_scale 0 schedules fire only as far as something else (a Wait state,
`cloud.clock.sleep`) moves the clock, and every minute it skipped gets its firings, in order.
A disabled rule does not fire ("a disabled rule [...] delivers nothing").

Without the option schedules fire only when told to (`LocalCloud.fire_schedule`): at the next
minute of the local cloud's clock, waited for at its scale.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from localcloud.core import Core
from localcloud.services.events.envelope import scheduled_event
from localcloud.services.events.router import Router
from localcloud.services.events.schedule import InvalidSchedule, Schedule, parse

LOG = logging.getLogger("localcloud.events")


def _minute(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(second=0, microsecond=0)


class Scheduler:
    def __init__(self, core: Core, router: Router) -> None:
        self.core = core
        self.router = router
        # rule ARN -> (its ScheduleExpression, when PutRule set it, on the clock's wall time)
        self._created: dict[str, tuple[str, datetime]] = {}
        self._lock = threading.Lock()
        self._running = False
        self._last_minute: float | None = None  # epoch of the last minute fired

    # ------------------------------------------------------------------ explicit firing

    def fire(self, region: str, rule_names: Iterable[str]) -> list[Any]:
        """Fire the named rules of the default bus; what their targets started."""
        from moto.events.models import events_backends

        bus = events_backends[self.core.account_id][region].describe_event_bus("default")
        clock = self.core.clock
        clock.sleep(60 - clock.wall() % 60)
        minute = datetime.fromtimestamp(round(clock.wall() / 60) * 60, UTC)
        started: list[Any] = []
        for name in rule_names:
            rule = bus.rules[name]
            if rule.state != "ENABLED":
                continue
            event = scheduled_event(
                rule_arn=rule.arn, account=self.core.account_id, region=region, time=minute
            )
            started += self.router.deliver(rule, event)
        return started

    # ------------------------------------------------------------------ firing by itself

    def start(self) -> None:
        """Fire every schedule rule by itself from the next minute on."""
        with self._lock:
            if self._running:
                return
            self._running = True
            self._last_minute = math.floor(self.core.clock.wall() / 60) * 60
        self._arm()

    def _arm(self) -> None:
        assert self._last_minute is not None
        clock = self.core.clock
        # The next minute in wall time, as a due time on the monotonic clock timers run on.
        due = clock.now() + (self._last_minute + 60 - clock.wall())
        self.core.timers.at(due, self._tick)

    def _tick(self) -> None:
        with self._lock:
            assert self._last_minute is not None
            reached = math.floor(self.core.clock.wall() / 60) * 60
            minutes = range(int(self._last_minute) + 60, int(reached) + 1, 60)
            self._last_minute = max(self._last_minute, reached)
        for epoch in minutes:
            self._fire_minute(_minute(epoch))
        self._arm()

    def _fire_minute(self, minute: datetime) -> None:
        for account, region, rule, schedule in self._schedule_rules():
            with self._lock:
                expression, created = self._created.get(rule.arn, (None, minute))
            if expression != rule.scheduled_expression:
                created = minute  # made outside PutRule (not seen): from now on
                with self._lock:
                    self._created[rule.arn] = (rule.scheduled_expression, minute)
            if rule.state != "ENABLED" or not schedule.fires_at(minute, created):
                continue
            event = scheduled_event(rule_arn=rule.arn, account=account, region=region, time=minute)
            try:
                self.router.deliver(rule, event)
            except Exception:  # one rule's broken target must not stop the others' schedules
                LOG.exception("schedule of rule %s failed to deliver", rule.name)

    def _schedule_rules(self) -> Iterator[tuple[str, str, Any, Schedule]]:
        from moto.events.models import events_backends

        for account, regions in list(events_backends.items()):
            for region, backend in list(regions.items()):
                bus = backend.event_buses.get("default")
                if bus is None:
                    continue
                for rule in list(bus.rules.values()):
                    expression = rule.scheduled_expression
                    if not expression:
                        continue
                    try:
                        schedule = parse(expression)
                    except InvalidSchedule:
                        continue  # PutRule refused it; a rule moto made otherwise never fires
                    yield account, region, rule, schedule

    # ------------------------------------------------------------------ PutRule

    def install(self) -> None:
        """PutRule validates a ScheduleExpression as EventBridge does, and the time a rate
        starts from is recorded ("A rate expression starts when you create the scheduled
        event rule")."""
        from moto.events.exceptions import ValidationException
        from moto.events.models import EventsBackend

        original = self.core.hooks.original(EventsBackend, "put_rule")
        scheduler = self

        def put_rule(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            expression = kwargs.get("scheduled_expression")
            if expression:
                try:
                    parse(expression)
                except InvalidSchedule as refused:
                    LOG.debug("ScheduleExpression %r refused: %s", expression, refused)
                    raise ValidationException(
                        "Parameter ScheduleExpression is not valid."
                    ) from None
            rule = original(self, name, *args, **kwargs)
            if rule.scheduled_expression:
                with scheduler._lock:
                    known = scheduler._created.get(rule.arn)
                    if known is None or known[0] != rule.scheduled_expression:
                        scheduler._created[rule.arn] = (
                            rule.scheduled_expression,
                            datetime.fromtimestamp(scheduler.core.clock.wall(), UTC),
                        )
            return rule

        self.core.hooks.replace(EventsBackend, "put_rule", put_rule)
