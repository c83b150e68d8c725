"""What `steward local fire | put-events | status | down` ask of a running `local up` server.

The server answers these on its control endpoint (`/_steward/<operation>`, see
`localcloud.server.control_endpoint`) for requests signed with the administrator's
credentials, with JSON: `GET status`, `POST fire` `{"logicalId", "region"}`, `POST put-events`
`{"events": [...]}` and `POST down`. They are the local cloud's own operations, not AWS APIs:
AWS has no call that fires a schedule now or stops a cloud.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from localcloud.errors import LocalCloudError, MalformedEventError, UnknownResourceError
from localcloud.services.events import service_events

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

__all__ = ["Control", "put_events_entries"]

# An EventBridge envelope's fields (the samples in events/ are envelopes, as rules see events).
_ENVELOPE_KEYS = ("detail-type", "source", "detail")


def put_events_entries(document: Any) -> list[dict[str, Any]]:
    """The events a sample file holds, as EventBridge envelopes or PutEvents entries: one
    envelope, a list of them, PutEvents entries, or `{"Entries": [...]}`."""
    if isinstance(document, Mapping) and "Entries" in document:
        document = document["Entries"]
    items = document if isinstance(document, list) else [document]
    if not items:
        raise MalformedEventError("the file holds no event")
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise MalformedEventError(f"event {index} is not a JSON object")
        if not (all(k in item for k in _ENVELOPE_KEYS) or "Source" in item):
            raise MalformedEventError(
                f"event {index} is neither an EventBridge event (detail-type, source, detail) "
                "nor a PutEvents entry (Source, DetailType, Detail)"
            )
    return [dict(item) for item in items]


class Control:
    """The control endpoint's operations on one running local cloud."""

    def __init__(self, cloud: LocalCloud, stop: threading.Event, **about: Any) -> None:
        self.cloud = cloud
        self.stop = stop
        self.about = about  # what `status` reports of how the server was started

    def __call__(self, method: str, operation: str, body: bytes) -> tuple[int, Any]:
        routes = {
            ("GET", "status"): self.status,
            ("POST", "fire"): self.fire,
            ("POST", "put-events"): self.put_events,
            ("POST", "down"): self.down,
        }
        route = routes.get((method, operation))
        if route is None:
            return 404, {"error": f"no control operation {method} /_steward/{operation}"}
        try:
            request = json.loads(body) if body else {}
            return 200, route(request)
        except UnknownResourceError as exc:
            return 404, {"error": str(exc)}
        except (LocalCloudError, ValueError, KeyError, TypeError) as exc:
            return 400, {"error": str(exc)}

    # ------------------------------------------------------------------ operations

    def status(self, _: Any) -> dict[str, Any]:
        cloud = self.cloud
        return {
            **self.about,
            "time": datetime.fromtimestamp(cloud.clock.wall(), UTC).isoformat(),
            "timeScale": cloud.clock.scale,
            "stacks": [
                {
                    "name": stack.name,
                    "region": stack.region,
                    "outputs": {k: str(v) for k, v in stack.outputs.items()},
                    "schedules": sorted(stack.schedules) + sorted(stack.rotations),
                }
                for stack in cloud.stacks
            ],
            "runningExecutions": cloud.running_executions(),
            "timersPending": cloud.core.timers.scheduled,
            "asyncFailures": len(cloud.async_failures),
        }

    def fire(self, request: Mapping[str, Any]) -> dict[str, Any]:
        logical_id = request.get("logicalId")
        if not isinstance(logical_id, str) or not logical_id:
            raise MalformedEventError("fire takes a logicalId")
        started = self.cloud.fire_schedule(logical_id, region=request.get("region"))
        return {"logicalId": logical_id, "started": [str(s) for s in started]}

    def put_events(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Each event to its region's default bus. An AWS service's event (`source` aws.*)
        is sent as that service sends its events (`service_events`), a testing affordance:
        on AWS only the service itself puts those on the bus. Any other event goes through
        PutEvents, as `aws events put-events` sends it."""
        regions = {stack.region for stack in self.cloud.stacks}
        ids: list[str] = []
        for event in put_events_entries(request.get("events")):
            if "Source" in event:  # already a PutEvents entry
                ids += self.cloud.put_events([event])
                continue
            region = event.get("region") or self.cloud.stacks[0].region
            if region not in regions:
                raise MalformedEventError(
                    f"the event is in {region}, where no stack runs ({sorted(regions)})"
                )
            detail = event["detail"]
            if not isinstance(detail, Mapping):
                raise MalformedEventError("an event's detail is a JSON object")
            if str(event["source"]).startswith("aws."):
                sent = service_events.send(
                    self.cloud.core,
                    source=str(event["source"]),
                    detail_type=str(event["detail-type"]),
                    detail=detail,
                    region=region,
                    resources=list(event.get("resources") or []),
                    time=event.get("time"),
                )
                ids.append(str(sent["id"]))
                continue
            entry: dict[str, Any] = {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(detail),
                "Resources": list(event.get("resources") or []),
            }
            ids += self.cloud.put_events([entry], region=region)
        return {"eventIds": ids}

    def down(self, _: Any) -> dict[str, Any]:
        self.stop.set()
        return {"stopping": True}
