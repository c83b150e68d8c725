"""AlertFormatterFunction on moto SNS, driven by the events/alerts samples."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest

from alerts.format import STARTED_BY
from steward_common.errors import InvalidInputError
from tests.support.events import load_event
from tests.support.handlers import lambda_context, load_handler

FAILED = load_event("alerts/bucket_sync_failed.json")
ROTATION = load_event("alerts/rotation_failed.json")


@pytest.fixture
def inbox(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """AlertTopic with a subscribed queue; the formatter configured with the samples' ARNs."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="AlertTopic")["TopicArn"]
    url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue["QueueArn"])
    monkeypatch.setenv("ALERT_TOPIC_ARN", topic)
    monkeypatch.setenv("BUCKET_SYNC_MACHINE_ARNS", FAILED["detail"]["stateMachineArn"])
    monkeypatch.setenv("BATCH_JOBS_MACHINE_ARNS", "")
    monkeypatch.setenv(
        "BEARER_TOKEN_SECRET_ARNS", ROTATION["detail"]["additionalEventData"]["SecretId"]
    )

    def received() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in messages.get("Messages", [])]

    return received


def invoke(event: Any) -> Any:
    return load_handler("alerts", "format").lambda_handler(event, lambda_context("formatter"))


def test_a_failed_execution_is_published_once(inbox: Any) -> None:
    assert invoke(FAILED)["published"] is True
    [notification] = inbox()
    body = json.loads(notification["Message"])
    assert (body["automation"], body["error"]) == ("bucket_sync", "DeletionRefused")
    # moto holds no such execution: its history is unreadable, the message goes out without it
    assert body["failed_state"] == "unknown"
    assert notification["Subject"].startswith("Steward bucket_sync: ")


def test_a_failed_rotation_is_published_once(inbox: Any) -> None:
    assert invoke(ROTATION)["published"] is True
    [notification] = inbox()
    body = json.loads(notification["Message"])
    assert body["secret"] == ROTATION["detail"]["additionalEventData"]["SecretId"]


def test_a_nested_execution_publishes_nothing(inbox: Any) -> None:
    event = copy.deepcopy(FAILED)
    event["detail"]["input"] = json.dumps({STARTED_BY: "arn:aws:states:::execution:parent:run"})
    assert invoke(event) == {"published": False}
    assert inbox() == []


def test_an_event_that_is_not_an_aws_event_is_refused(inbox: Any) -> None:
    # By name: a local cloud in the same worker may have imported alerts.format afresh since.
    with pytest.raises(InvalidInputError) as raised:
        invoke({"detail": {}})
    assert type(raised.value).__name__ == "UnknownAlertEventError"
    assert inbox() == []
