"""SQS queues that tests read what a service sent from: made, and let a service send to them.

As on AWS, SNS and EventBridge send to a queue only if its policy lets their service principal
do so (for one topic or rule, with `aws:SourceArn`).
"""

from __future__ import annotations

import json
from typing import Any

from localcloud import LocalCloud


def make_queue(
    cloud: LocalCloud, name: str, *, region: str | None = None, kms_key: str | None = None
) -> tuple[str, str]:
    """A new queue (url, arn); with `kms_key`, encrypted with that KMS key."""
    sqs = cloud.client("sqs", region=region)
    attributes = {"KmsMasterKeyId": kms_key} if kms_key else {}
    url = str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, str(arn)


def let_service_send(
    cloud: LocalCloud,
    url: str,
    arn: str,
    service: str,
    source_arn: str | None = None,
    *,
    region: str | None = None,
) -> None:
    """Give the queue a policy that lets `service` ("events.amazonaws.com") send to it, only
    for `source_arn` (a rule, a topic) when given."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sqs:SendMessage",
        "Resource": arn,
    }
    if source_arn:
        statement["Condition"] = {"ArnEquals": {"aws:SourceArn": source_arn}}
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    cloud.client("sqs", region=region).set_queue_attributes(
        QueueUrl=url, Attributes={"Policy": json.dumps(policy)}
    )


def rule_queue(
    cloud: LocalCloud,
    name: str,
    *,
    pattern: dict[str, Any] | None = None,
    schedule: str | None = None,
    region: str | None = None,
) -> tuple[str, str]:
    """A default-bus rule named `name` (an event pattern or a schedule) whose only target is a
    new queue of the same name that the rule may send to: (queue url, rule arn)."""
    if (pattern is None) == (schedule is None):
        raise ValueError("give the rule a pattern or a schedule")
    url, arn = make_queue(cloud, name, region=region)
    events = cloud.client("events", region=region)
    spec = {"EventPattern": json.dumps(pattern)} if pattern else {"ScheduleExpression": schedule}
    rule = str(events.put_rule(Name=name, **spec)["RuleArn"])
    let_service_send(cloud, url, arn, "events.amazonaws.com", rule, region=region)
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])
    return url, rule
