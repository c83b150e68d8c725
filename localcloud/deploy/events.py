"""EventBridge: rules with their targets; schedule rules are recorded for `fire_schedule`."""

from __future__ import annotations

import json
from typing import Any

from localcloud.deploy.context import DeployContext
from localcloud.deploy.stack import Deployed

_TARGET_KEYS = (
    "Id",
    "Arn",
    "Input",
    "InputPath",
    "InputTransformer",
    "RoleArn",
    # What EventBridge does when a delivery fails (localcloud.services.events.delivery).
    "RetryPolicy",
    "DeadLetterConfig",
)


def put_rule(
    ctx: DeployContext,
    logical_id: str,
    name: str,
    pattern: Any,
    schedule: Any,
    state: str,
    bus: str | None,
    targets: list[dict[str, Any]],
) -> Deployed:
    events = ctx.client("events")
    kwargs: dict[str, Any] = {"Name": name, "State": state}
    if pattern is not None:
        kwargs["EventPattern"] = json.dumps(pattern)
    if schedule is not None:
        kwargs["ScheduleExpression"] = str(schedule)
    if bus:
        kwargs["EventBusName"] = bus
    arn = events.put_rule(**kwargs)["RuleArn"]
    if targets:
        put: dict[str, Any] = {"Rule": name, "Targets": targets}
        if bus:
            put["EventBusName"] = bus
        events.put_targets(**put)
    return Deployed(logical_id, "AWS::Events::Rule", name, {"Arn": arn})


def rule(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    name = str(props.get("Name") or ctx.physical_name(logical_id))
    targets = [
        {
            k: (json.dumps(v) if k == "Input" and not isinstance(v, str) else v)
            for k, v in t.items()
            if k in _TARGET_KEYS
        }
        for t in props.get("Targets") or []
    ]
    deployed = put_rule(
        ctx,
        logical_id,
        name,
        props.get("EventPattern"),
        props.get("ScheduleExpression"),
        str(props.get("State", "ENABLED")),
        props.get("EventBusName"),
        targets,
    )
    if props.get("ScheduleExpression"):
        schedules = ctx.stack.schedules
        schedules.setdefault(logical_id, []).append(name)
        # fire_schedule also accepts the function or state machine the rule targets.
        for target in targets:
            for owner, resource in ctx.stack.resources.items():
                if target["Arn"] in (resource.ref, resource.attrs.get("Arn")):
                    schedules.setdefault(owner, []).append(name)
    return deployed


PROVISIONERS = {"AWS::Events::Rule": rule}
