"""Events AWS services send to the default bus (EC2's snapshot notifications, S3's Object
Created, Batch's Job State Change, Secrets Manager's rotation events).

No PutEvents call can send them: EventBridge refuses a `source` beginning "aws." from a
PutEvents caller. So a service hands its event to the default bus of its region the way
moto's own PutEvents does (`Rule.send_to_targets`, which the router matches with EventBridge's
patterns), asynchronously and in the order the service sent them. Every event sent is kept,
in order, for `localcloud.testing.service_events`.
"""

from __future__ import annotations

import collections
import copy
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from localcloud.core import Core
from localcloud.services.events.envelope import Timestamp, build_envelope

LOG = logging.getLogger("localcloud.events")
SERVICE = "aws_events"


class ServiceEvents:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.sent: list[dict[str, Any]] = []
        self._queue: collections.deque[dict[str, Any]] = collections.deque()
        self._lock = threading.Lock()
        self._delivering = threading.Lock()

    def send(
        self,
        *,
        source: str,
        detail_type: str,
        detail: Mapping[str, Any],
        region: str,
        resources: Sequence[str] | None = None,
        time: Timestamp | None = None,
        account: str | None = None,
    ) -> dict[str, Any]:
        """Send a service's event to the default bus of `region`; returns the envelope.

        `time` defaults to now on the local cloud's clock."""
        event = build_envelope(
            source=source,
            detail_type=detail_type,
            detail=detail,
            account=account or self.core.account_id,
            region=region,
            resources=resources,
            time=self.core.clock.wall() if time is None else time,
        )
        with self._lock:
            self.sent.append(copy.deepcopy(event))
            self._queue.append(event)
        try:
            self.core.dispatcher.submit(self._deliver)
        except RuntimeError:  # the local cloud is stopping: nothing is listening any more
            LOG.debug("%s event not delivered: stopping", detail_type)
        return event

    def _deliver(self) -> None:
        # Whoever holds the lock delivers what is queued, oldest first.
        with self._delivering:
            while True:
                with self._lock:
                    if not self._queue:
                        return
                    event = self._queue.popleft()
                to_default_bus(event)


def to_default_bus(event: dict[str, Any]) -> None:
    """Hand an event to every rule of its account's and region's default bus, at once."""
    from moto.events.models import events_backends

    backend = events_backends[event["account"]][event["region"]]
    rules: list[Any] = list(backend.describe_event_bus("default").rules.values())
    for rule in rules:
        rule.send_to_targets(copy.deepcopy(event))


def install(core: Core) -> ServiceEvents:
    events = ServiceEvents(core)
    core.services[SERVICE] = events
    return events


def send(core: Core, **kwargs: Any) -> dict[str, Any]:
    """`ServiceEvents.send` of the local cloud's events service."""
    service: ServiceEvents = core.service(SERVICE)
    return service.send(**kwargs)
