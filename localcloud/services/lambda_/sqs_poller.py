"""Lambda's SQS event source mappings: pollers that receive, invoke and delete through the APIs.

- When a message becomes visible on a queue (`sqs.message`), each enabled mapping of that
  queue receives a batch of up to BatchSize visible messages and invokes its function;
- a batch that fails, or the records a function reports in `batchItemFailures` when the
  mapping has `ReportBatchItemFailures`, become visible again after the queue's visibility
  timeout (on the local cloud's clock) and are received again; the queue's redrive policy
  moves a message to its dead-letter queue once it has been received maxReceiveCount times;
- the messages the function handled are deleted.

Not emulated: MaximumBatchingWindowInSeconds (a batch goes as soon as it is visible),
ScalingConfig and provisioned pollers.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from localcloud.core import Core
from localcloud.services.lambda_.invoke import invoke_sync
from localcloud.services.sqs import MESSAGE_SIGNAL

LOG = logging.getLogger("localcloud")
_RECEIVE_MAX = 10  # ReceiveMessage's MaxNumberOfMessages


def _message_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """ReceiveMessage's MessageAttributes in the shape of Lambda's SQS event."""
    converted: dict[str, Any] = {}
    for name, value in attributes.items():
        record: dict[str, Any] = {
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value["DataType"],
        }
        if "StringValue" in value:
            record["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            import base64

            record["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
        converted[name] = record
    return converted


def sqs_lambda_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda sends for received messages (ReceiveMessage's shape in, Lambda's out)."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes") or {}),
                "messageAttributes": _message_attributes(message.get("MessageAttributes") or {}),
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": queue_arn.split(":")[3],
            }
            for message in messages
        ]
    }


class QueuePollers:
    """What Lambda's pollers do for every queue with an event source mapping."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._lock = threading.Lock()  # one receive at a time: moto's queues are not thread-safe
        self._urls: dict[str, str] = {}

    def _url(self, queue_arn: str) -> str:
        if queue_arn not in self._urls:
            _, _, _, _, account, name = queue_arn.split(":")
            sqs = self.core.clients.for_arn("sqs", queue_arn)
            self._urls[queue_arn] = sqs.get_queue_url(
                QueueName=name, QueueOwnerAWSAccountId=account
            )["QueueUrl"]
        return self._urls[queue_arn]

    def message_visible(self, queue_arn: str) -> None:
        self.core.dispatcher.submit(lambda: self._deliver(queue_arn))

    def _deliver(self, queue_arn: str) -> None:
        lambda_ = self.core.clients.for_arn("lambda", queue_arn)
        for page in lambda_.get_paginator("list_event_source_mappings").paginate(
            EventSourceArn=queue_arn
        ):
            for mapping in page["EventSourceMappings"]:
                if mapping.get("State") == "Enabled":
                    self._poll(queue_arn, mapping)

    def _sqs(self, queue_arn: str, mapping: dict[str, Any]) -> Any:
        """Lambda reads the queue with the function's execution role, as on AWS."""
        spec = self.core.functions.get(mapping["FunctionArn"])
        if spec is None or not spec.role_arn:
            return self.core.clients.for_arn("sqs", queue_arn)
        return self.core.clients.as_role(spec.role_arn, spec.name, "sqs", queue_arn.split(":")[3])

    def _receive(
        self, queue_arn: str, mapping: dict[str, Any], batch_size: int
    ) -> list[dict[str, Any]]:
        sqs = self._sqs(queue_arn, mapping)
        received: list[dict[str, Any]] = []
        with self._lock:
            while len(received) < batch_size:
                messages = sqs.receive_message(
                    QueueUrl=self._url(queue_arn),
                    MaxNumberOfMessages=min(_RECEIVE_MAX, batch_size - len(received)),
                    WaitTimeSeconds=0,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
                if not messages:
                    break
                received += messages
        return received

    def _poll(self, queue_arn: str, mapping: dict[str, Any]) -> None:
        received = self._receive(queue_arn, mapping, int(mapping.get("BatchSize") or 10))
        if not received:
            return  # another poll took them, or they went to the dead-letter queue
        failed = self._invoke(mapping, sqs_lambda_event(received, queue_arn))
        sqs = self._sqs(queue_arn, mapping)
        handled = [m for m in received if m["MessageId"] not in failed]
        for start in range(0, len(handled), 10):
            sqs.delete_message_batch(
                QueueUrl=self._url(queue_arn),
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(handled[start : start + 10])
                ],
            )
        if failed:
            self._retry_later(queue_arn, mapping, [m for m in received if m["MessageId"] in failed])

    def _invoke(self, mapping: dict[str, Any], event: dict[str, Any]) -> set[str]:
        """The ids of the records to receive again."""
        everything = {r["messageId"] for r in event["Records"]}
        function_arn = mapping["FunctionArn"]
        if self.core.functions.get(function_arn) is None:
            LOG.warning("event source mapping to unknown function %s", function_arn)
            return everything
        response, function_error = invoke_sync(self.core, function_arn, event)
        if function_error:
            return everything
        if "ReportBatchItemFailures" not in (mapping.get("FunctionResponseTypes") or []):
            return set()
        if not isinstance(response, dict) or not response.get("batchItemFailures"):
            return set()  # None, {} and an empty list all mean the whole batch succeeded
        ids = {item.get("itemIdentifier") for item in response["batchItemFailures"]}
        if not ids <= everything:  # Lambda treats an unknown or missing id as a failed batch
            return everything
        return {i for i in ids if isinstance(i, str)}

    def _retry_later(
        self, queue_arn: str, mapping: dict[str, Any], messages: list[dict[str, Any]]
    ) -> None:
        # The local cloud's own clock work (not Lambda's calls): its own credentials.
        sqs = self.core.clients.for_arn("sqs", queue_arn)
        timeout = float(
            sqs.get_queue_attributes(
                QueueUrl=self._url(queue_arn), AttributeNames=["VisibilityTimeout"]
            )["Attributes"]["VisibilityTimeout"]
        )

        def again() -> None:
            self.core.clock.sleep(timeout)
            # moto measures visibility in real time: end it when the clock says it is over.
            for message in messages:
                try:
                    sqs.change_message_visibility(
                        QueueUrl=self._url(queue_arn),
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=0,
                    )
                except sqs.exceptions.ClientError:
                    pass  # already visible again, or gone to the dead-letter queue
            self._poll(queue_arn, mapping)

        self.core.dispatcher.submit(again)


def install(core: Core) -> None:
    pollers = QueuePollers(core)
    core.connect(MESSAGE_SIGNAL, pollers.message_visible)
