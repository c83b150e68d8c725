"""SAM's `Events` on a function or state machine, made into the resources SAM generates:
a rule for Schedule/EventBridgeRule, a subscription for SNS, a mapping for SQS."""

from __future__ import annotations

from typing import Any

from localcloud.deploy import events, iam, lambda_, sns, sqs
from localcloud.deploy.context import DeployContext
from localcloud.deploy.stack import Deployed
from localcloud.errors import TemplateError

_RULE_KINDS = ("Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent")


def _rule(
    ctx: DeployContext, owner: str, generated_id: str, target_arn: str, props: dict[str, Any]
) -> None:
    target: dict[str, Any] = {
        "Id": str((props.get("Target") or {}).get("Id") or f"{owner}Target"),
        "Arn": target_arn,
    }
    role_arn = iam.sam_role(ctx, f"{generated_id}Role")  # a rule's role to start a machine
    if role_arn:
        target["RoleArn"] = role_arn
    for key in ("Input", "InputPath", "InputTransformer", "RetryPolicy"):
        if key in props:
            target[key] = props[key]
    schedule = props.get("Schedule") or props.get("ScheduleExpression")
    enabled = props.get("Enabled", True)
    state = str(props.get("State") or ("ENABLED" if enabled in (True, "true") else "DISABLED"))
    name = str(props.get("Name") or ctx.physical_name(generated_id))
    made_queue = _dead_letter_queue(ctx, generated_id, props.get("DeadLetterConfig"), target)
    ctx.stack.resources[generated_id] = events.put_rule(
        ctx,
        generated_id,
        name,
        props.get("Pattern"),
        schedule,
        state,
        props.get("EventBusName"),
        [target],
    )
    if made_queue is not None:
        _let_rule_send(
            ctx, generated_id, made_queue, ctx.stack.resources[generated_id].attrs["Arn"]
        )
    if schedule is not None:
        ctx.stack.schedules.setdefault(owner, []).append(name)
        ctx.stack.schedules.setdefault(generated_id, []).append(name)


def _dead_letter_queue(
    ctx: DeployContext, generated_id: str, config: Any, target: dict[str, Any]
) -> Deployed | None:
    """A Schedule or EventBridgeRule event's DeadLetterConfig, as SAM makes it: `Arn` passes
    to the target's DeadLetterConfig; `Type: SQS` makes a queue (`QueueLogicalId`, by default
    `<rule's logical id>Queue`), which "AWS SAM automatically creates [...] and attaches
    necessary resource-based policy to grant permission to rule resource to send events to the
    queue" (SAM's DeadLetterConfig property). Returns the queue made, if one was."""
    if not config:
        return None
    if config.get("Arn") and config.get("Type"):
        raise TemplateError(f"{generated_id}: DeadLetterConfig takes Type or Arn, not both")
    if config.get("Arn"):
        target["DeadLetterConfig"] = {"Arn": config["Arn"]}
        return None
    if config.get("Type") != "SQS":
        raise TemplateError(f"{generated_id}: DeadLetterConfig Type must be SQS")
    queue_id = str(config.get("QueueLogicalId") or f"{generated_id}Queue")
    made = sqs.queue(ctx, queue_id, {}, {"Type": "AWS::SQS::Queue"})
    ctx.stack.resources[queue_id] = made
    target["DeadLetterConfig"] = {"Arn": made.attrs["Arn"]}
    return made


def _let_rule_send(ctx: DeployContext, generated_id: str, queue: Deployed, rule_arn: str) -> None:
    """The queue policy SAM generates (`<rule>QueuePolicy`): events.amazonaws.com may send,
    for this rule only."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Action": "sqs:SendMessage",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Resource": queue.attrs["Arn"],
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            }
        ],
    }
    policy_id = f"{generated_id}QueuePolicy"
    ctx.stack.resources[policy_id] = sqs.queue_policy(
        ctx,
        policy_id,
        {"PolicyDocument": policy, "Queues": [queue.ref]},
        {"Type": "AWS::SQS::QueuePolicy"},
    )


def _sqs(ctx: DeployContext, generated_id: str, target_arn: str, props: dict[str, Any]) -> None:
    spec: dict[str, Any] = {
        "EventSourceArn": props["Queue"],
        "FunctionName": target_arn,
        "BatchSize": int(props.get("BatchSize", 10)),
        "Enabled": props.get("Enabled", True) in (True, "true"),
    }
    for key in ("FunctionResponseTypes", "MaximumBatchingWindowInSeconds"):
        if key in props:
            spec[key] = props[key]
    mapping = ctx.client("lambda").create_event_source_mapping(**spec)
    ctx.stack.resources[generated_id] = Deployed(
        generated_id, "AWS::Lambda::EventSourceMapping", mapping["UUID"], {}
    )


def add(
    ctx: DeployContext, owner: str, deployed: Deployed, event_name: str, event: dict[str, Any]
) -> None:
    kind = event.get("Type")
    props = ctx.resolver.resolve(event.get("Properties") or {})
    target_arn = deployed.attrs["Arn"]
    generated_id = f"{owner}{event_name}"
    if kind in _RULE_KINDS:
        _rule(ctx, owner, generated_id, target_arn, props)
        lambda_.sam_permission(ctx, f"{generated_id}Permission")
    elif kind == "SNS":
        arn = sns.subscribe(ctx, props["Topic"], "lambda", target_arn, props)
        ctx.stack.resources[generated_id] = Deployed(
            generated_id, "AWS::SNS::Subscription", arn, {"Arn": arn}
        )
        lambda_.sam_permission(ctx, f"{generated_id}Permission")
    elif kind == "SQS":
        _sqs(ctx, generated_id, target_arn, props)
    else:
        raise TemplateError(f"{owner}: event source {event_name} of Type {kind} is not supported")
