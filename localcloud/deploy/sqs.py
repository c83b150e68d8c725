"""SQS: queues (a RedrivePolicy object becomes the API's JSON string) and queue policies."""

from __future__ import annotations

import json
from typing import Any

from localcloud.deploy.context import DeployContext, string
from localcloud.deploy.stack import Deployed

_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "FifoQueue",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "MaximumMessageSize",
)


def queue(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    name = str(props.get("QueueName") or ctx.physical_name(logical_id, 80))
    attributes = {k: string(v) for k, v in props.items() if k in _ATTRIBUTES}
    if "RedrivePolicy" in props:  # an object in CloudFormation, a JSON string in the API
        policy = props["RedrivePolicy"]
        attributes["RedrivePolicy"] = policy if isinstance(policy, str) else json.dumps(policy)
    url = ctx.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = ctx.arn("sqs", name)
    return Deployed(logical_id, body["Type"], url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


def queue_policy(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    """The queues' access policy (SetQueueAttributes Policy), which SQS evaluates for the
    services that send to them."""
    document = json.dumps(props["PolicyDocument"])
    for url in props.get("Queues") or []:
        ctx.client("sqs").set_queue_attributes(QueueUrl=str(url), Attributes={"Policy": document})
    return Deployed(logical_id, body["Type"], f"{ctx.stack.name}-{logical_id}")


PROVISIONERS = {
    "AWS::SQS::Queue": queue,
    "AWS::SQS::QueuePolicy": queue_policy,
}
