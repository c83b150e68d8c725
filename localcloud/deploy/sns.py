"""SNS: topics, subscriptions and topic policies."""

from __future__ import annotations

import json
from typing import Any

from localcloud.deploy.context import DeployContext, string
from localcloud.deploy.stack import Deployed


def topic(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    name = str(props.get("TopicName") or ctx.physical_name(logical_id, 256))
    attributes = {"FifoTopic": "true"} if props.get("FifoTopic") else {}
    # KmsMasterKeyId makes an encrypted topic (CreateTopic's attribute of that name); its
    # publishers then need the key (localcloud.services.sns).
    for attribute in ("KmsMasterKeyId", "DisplayName", "ContentBasedDeduplication"):
        if attribute in props:
            attributes[attribute] = string(props[attribute])
    sns = ctx.client("sns")
    arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
    for sub in props.get("Subscription") or []:
        sns.subscribe(TopicArn=arn, Protocol=sub["Protocol"], Endpoint=sub["Endpoint"])
    return Deployed(logical_id, body["Type"], arn, {"TopicArn": arn, "TopicName": name})


def subscribe(
    ctx: DeployContext, topic_arn: str, protocol: str, endpoint: str, props: dict[str, Any]
) -> str:
    """Subscribe with the attributes a subscription (or a SAM SNS event) sets."""
    attributes = {}
    if "FilterPolicy" in props:
        attributes["FilterPolicy"] = json.dumps(props["FilterPolicy"])
    if "FilterPolicyScope" in props:
        attributes["FilterPolicyScope"] = str(props["FilterPolicyScope"])
    if "RawMessageDelivery" in props:
        attributes["RawMessageDelivery"] = string(props["RawMessageDelivery"])
    # "RedrivePolicy - When specified, sends undeliverable messages to the specified Amazon
    # SQS dead-letter queue" (API reference, Subscribe); a template gives it as a JSON object.
    if "RedrivePolicy" in props:
        redrive = props["RedrivePolicy"]
        attributes["RedrivePolicy"] = redrive if isinstance(redrive, str) else json.dumps(redrive)
    return str(
        ctx.client("sns").subscribe(
            TopicArn=topic_arn,
            Protocol=protocol,
            Endpoint=endpoint,
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
    )


def subscription(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    arn = subscribe(ctx, props["TopicArn"], props["Protocol"], props["Endpoint"], props)
    return Deployed(logical_id, body["Type"], arn, {"Arn": arn})


def topic_policy(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    """The topics' access policy, which replaces the default one (SetTopicAttributes Policy)."""
    document = json.dumps(props["PolicyDocument"])
    for arn in props.get("Topics") or []:
        ctx.client("sns").set_topic_attributes(
            TopicArn=str(arn), AttributeName="Policy", AttributeValue=document
        )
    return Deployed(logical_id, body["Type"], f"{ctx.stack.name}-{logical_id}")


PROVISIONERS = {
    "AWS::SNS::Topic": topic,
    "AWS::SNS::Subscription": subscription,
    "AWS::SNS::TopicPolicy": topic_policy,
}
