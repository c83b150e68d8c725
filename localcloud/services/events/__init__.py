"""Amazon EventBridge: patterns, envelopes, target input, the router and the scheduler."""

from __future__ import annotations

from localcloud.core import Core
from localcloud.services.events import service_events
from localcloud.services.events.envelope import build_envelope, scheduled_event
from localcloud.services.events.pattern import InvalidEventPattern, matches, validate_pattern
from localcloud.services.events.router import Router
from localcloud.services.events.scheduler import Scheduler
from localcloud.services.events.target_input import InvalidTargetInput, target_input

__all__ = [
    "InvalidEventPattern",
    "InvalidTargetInput",
    "Router",
    "Scheduler",
    "build_envelope",
    "install",
    "matches",
    "scheduled_event",
    "service_events",
    "target_input",
    "validate_pattern",
]


def install(core: Core) -> None:
    router = Router(core)
    router.install()
    scheduler = Scheduler(core, router)
    scheduler.install()
    core.services["events"] = scheduler
    service_events.install(core)
