"""One readable message on the suite's AlertTopic: a subject line and a JSON body."""

from __future__ import annotations

import json
from typing import Any

_SUBJECT_LIMIT = 100  # SNS rejects longer subjects


def publish_alert(sns: Any, topic_arn: str, subject: str, body: dict[str, Any]) -> str:
    """Publish `body` (never a secret) to the alert topic; return the message id."""
    subject = " ".join(subject.split())  # SNS subjects may not contain line breaks
    if len(subject) > _SUBJECT_LIMIT:
        subject = subject[: _SUBJECT_LIMIT - 3] + "..."
    response = sns.publish(
        TopicArn=topic_arn,
        Subject=subject,
        Message=json.dumps(body, indent=2, sort_keys=True, default=str),
        MessageAttributes={
            "automation": {"DataType": "String", "StringValue": str(body.get("automation", ""))},
            "kind": {"DataType": "String", "StringValue": str(body.get("kind", "alert"))},
        },
    )
    return str(response["MessageId"])
