"""EventBridge's scheduler: a schedule rule fires on the minute, on the local cloud's clock.

Schedules do not fire by themselves locally (a test or the demo says when); when told to, a
rule fires at the next minute of the local cloud's clock, waited for at its scale, with the
Scheduled Event a rate or cron rule sends.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from localcloud.core import Core
from localcloud.services.events.envelope import scheduled_event
from localcloud.services.events.router import Router


class Scheduler:
    def __init__(self, core: Core, router: Router) -> None:
        self.core = core
        self.router = router

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
