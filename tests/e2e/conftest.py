"""End-to-end fixtures: the real template.yaml on the local cloud."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud import LocalCloud
from tests.conftest import TEMPLATE


@pytest.fixture
def stack() -> Iterator[Any]:
    """Start the suite with parameter overrides: `cloud = stack(CostControlGroups="g")`."""
    opened: list[LocalCloud] = []

    def start(**parameters: str) -> LocalCloud:
        for cloud in opened:  # one local cloud per process at a time
            cloud.stop()
        cloud = LocalCloud(template=TEMPLATE, parameters=parameters).start()
        opened.append(cloud)
        return cloud

    yield start
    for cloud in opened:
        cloud.stop()


class TopicTap:
    """An SQS queue subscribed to a topic, as an operator's mailbox would be."""

    def __init__(self, cloud: LocalCloud, topic_logical_id: str) -> None:
        self.sqs = cloud.client("sqs")
        self.url = self.sqs.create_queue(QueueName=f"tap-{topic_logical_id}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        cloud.client("sns").subscribe(
            TopicArn=cloud.physical_id(topic_logical_id), Protocol="sqs", Endpoint=arn
        )

    def messages(self) -> list[dict[str, Any]]:
        """Every notification received so far (Subject, Message, MessageAttributes)."""
        received: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for message in batch:
                received.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return received
