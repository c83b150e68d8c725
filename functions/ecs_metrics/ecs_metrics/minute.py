"""A minute of samples as a chain of delayed SQS messages, one hop per offset.

The state machine sends the minute's plan (its offsets are data) as the first message. Each
hop takes the sample for its offset, writes it (EMF) or carries it (PutMetricData), and sends
the plan on with DelaySeconds set for the next offset by the clock, so lateness does not add
up from hop to hop. The last hop publishes what is carried and reports the clusters that went
missing since the last minute, and those back (watch.py): once per change, not once a minute.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from ecs_metrics.metrics import METRICS, count, pack
from ecs_metrics.publishing import emit_emf, put_packed
from ecs_metrics.sampling import SamplerSettings, sample_time, take_sample
from ecs_metrics.watch import ClusterWatch
from steward_common import clock
from steward_common.alerts import publish_alert


class Packed(BaseModel):
    """Data points of one timestamp, packed (see steward_common.ecs_metrics)."""

    t: int = Field(gt=0)  # epoch milliseconds
    d: list[tuple[int, str, str | None, int | float]] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_metrics(self) -> Packed:
        if any(not 0 <= point[0] < len(METRICS) for point in self.d):
            raise ValueError("a packed point names an unknown metric")
        return self


class MinutePlan(BaseModel):
    """The message that travels from hop to hop."""

    minute: str
    offsets: list[int] = Field(min_length=1, max_length=60)
    next: int = Field(default=0, ge=0)  # index of the offset this hop samples
    carried: list[Packed] = []  # data points not yet published (PutMetricData mode)
    missing: list[str] = []  # clusters any sample so far found missing
    taken: int = 0  # samples taken so far
    published: int = 0  # data points the minute's hops have published so far
    requests: int = 0  # PutMetricData requests they sent

    @model_validator(mode="after")
    def _offsets_fit_the_minute(self) -> MinutePlan:
        offsets = self.offsets
        if any(not 0 <= o < 60 for o in offsets) or offsets != sorted(set(offsets)):
            raise ValueError("offsets must be distinct seconds within the minute, ascending")
        if self.next >= len(offsets):
            raise ValueError("next is past the last offset")
        return self

    @property
    def last(self) -> bool:
        return self.next == len(self.offsets) - 1


def delay_seconds(target: datetime, now: datetime, most: int) -> int:
    """Whole seconds (SQS delays are whole) until `target`, rounded up so that no sample is
    taken before its time; 0 when it is already due, and never more than `most`."""
    return max(0, min(most, math.ceil((target - now).total_seconds())))


@dataclass
class Clients:
    ecs: Any
    cloudwatch: Any
    sqs: Any
    sns: Any
    watch: ClusterWatch | None = None  # None: report the missing clusters every minute


@dataclass
class HopResult:
    minute: str
    offset: int
    last: bool
    datapoints: int = 0  # PutMetricData data points, the minute's so far
    requests: int = 0  # PutMetricData requests, the minute's so far
    emf_documents: int = 0  # this hop's
    carried: int = 0  # data points handed to the next hop
    delay: int | None = None  # DelaySeconds of the message to the next hop
    missing: list[str] = field(default_factory=list)  # the minute's, reported by the last hop
    samples: int = 0
    skipped: list[int] = field(default_factory=list)  # offsets a late start left out
    replayed: bool = False  # a duplicate delivery, answered from the idempotency record


def _skip_past(plan: MinutePlan, now: datetime) -> list[int]:
    """A minute whose schedule fired late (EventBridge may fire several seconds after the
    minute) does not sample the offsets already behind it back to back: it starts with the
    latest offset already due and skips the earlier ones, so no sample is taken more than one
    interval after its time, and the rest follow on the grid. The skipped offsets."""
    due = [
        i
        for i in range(plan.next, len(plan.offsets))
        if sample_time(plan.minute, plan.offsets[i]) <= now
    ]
    first = due[-1] if due else plan.next
    skipped = plan.offsets[plan.next : first]
    plan.next = first
    return skipped


def hop(
    plan: MinutePlan,
    clients: Clients,
    settings: SamplerSettings,
    now: Callable[[], datetime] = clock.now,
) -> HopResult:
    skipped = _skip_past(plan, now()) if plan.taken == 0 else []
    offset = plan.offsets[plan.next]
    sample = take_sample(clients.ecs, settings, sample_time(plan.minute, offset))
    missing = sorted(set(plan.missing) | set(sample["missing"]))
    result = HopResult(plan.minute, offset, plan.last, samples=plan.taken + 1, skipped=skipped)
    carried = [group.model_dump() for group in plan.carried]
    if settings.mode == "emf":
        result.emf_documents = emit_emf(sample, settings.namespace)
    else:
        points, requests, carried = put_packed(
            clients.cloudwatch, settings.namespace, [*carried, pack(sample)], everything=plan.last
        )
        result.datapoints, result.requests = plan.published + points, plan.requests + requests
    if not plan.last:
        following = plan.offsets[plan.next + 1]
        result.delay = delay_seconds(
            sample_time(plan.minute, following), now(), most=following - offset
        )
        onward = MinutePlan.model_validate(
            {
                **plan.model_dump(),
                "next": plan.next + 1,
                "carried": carried,
                "missing": missing,
                "taken": plan.taken + 1,
                "published": result.datapoints,
                "requests": result.requests,
            }
        )
        clients.sqs.send_message(
            QueueUrl=settings.queue_url,
            MessageBody=onward.model_dump_json(),
            DelaySeconds=result.delay,
        )
        result.carried = count(carried)
        return result
    result.missing = missing
    if clients.watch is None:
        if missing:  # once per minute, however many samples saw it
            _report(clients, settings, plan.minute, "missing-clusters", missing, missing)
        return result
    active = [row[0] for row in sample["c"]]
    found = clients.watch.update(missing, active)
    if found.gone:  # once when a cluster goes missing ...
        _report(clients, settings, plan.minute, "missing-clusters", found.gone, found.missing)
    if found.back:  # ... and once when it is back
        _report(clients, settings, plan.minute, "clusters-back", found.back, found.missing)
    return result


def _report(
    clients: Clients,
    settings: SamplerSettings,
    minute: str,
    kind: str,
    clusters: list[str],
    missing: list[str],
) -> None:
    subject = (
        f"Steward ECS metrics: {len(clusters)} cluster(s) missing"
        if kind == "missing-clusters"
        else f"Steward ECS metrics: {len(clusters)} cluster(s) back"
    )
    publish_alert(
        clients.sns,
        settings.alert_topic_arn,
        subject,
        {
            "automation": "ecs-metrics",
            "kind": kind,
            "minute": minute,
            "clusters": clusters,
            "still_missing": missing,
        },
    )
