"""Lambda's SQS event source mappings, on the local cloud's clock.

moto invokes a mapped function synchronously inside SendMessage, and never for a delayed
message (nothing polls once the delay is over). AWS's pollers are asynchronous, so here:

- a message reaches the function when its delay (per message, or the queue's) is over on the
  local cloud's clock, in a batch of up to BatchSize visible messages;
- a batch that fails, or the records a function reports in `batchItemFailures` when the
  mapping has `ReportBatchItemFailures`, become visible again after the queue's visibility
  timeout and are received again; the queue's redrive policy moves a message to its
  dead-letter queue once it has been received maxReceiveCount times;
- a message the function handled is deleted.

Not emulated: MaximumBatchingWindowInSeconds (a batch goes as soon as it is visible),
ScalingConfig and provisioned pollers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

LOG = logging.getLogger("localcloud")


def sqs_lambda_event(messages: list[Any], queue: Any) -> dict[str, Any]:
    """The event Lambda receives from an SQS event source mapping, field for field."""
    records = []
    for message in messages:
        attributes = {
            "ApproximateReceiveCount": str(message.approximate_receive_count),
            "SentTimestamp": str(message.sent_timestamp),
            "SenderId": "AROALOCALCLOUD:localcloud",
            "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
        }
        if queue.fifo_queue:
            attributes["MessageGroupId"] = message.group_id
            attributes["MessageDeduplicationId"] = message.deduplication_id
        records.append(
            {
                "messageId": message.id,
                "receiptHandle": message.receipt_handle,
                "body": message.body,
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(message.body.encode("utf-8")).hexdigest(),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": queue.queue_arn,
                "awsRegion": queue.region,
            }
        )
    return {"Records": records}


class QueuePollers:
    """What Lambda's pollers do for every queue with an event source mapping."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self._lock = threading.Lock()  # one receive at a time: moto's queues are not thread-safe

    def message_added(self, queue: Any, message: Any) -> None:
        mappings = [m for m in queue.lambda_event_source_mappings.values() if m.enabled]
        if not mappings:
            return
        delay = max(0.0, (message.delayed_until - message.sent_timestamp) / 1000)

        def deliver() -> None:
            self.cloud.clock.sleep(delay)
            message.delayed_until = 0  # moto measures the delay in real time
            for mapping in mappings:
                self._poll(queue, mapping)

        self.cloud.dispatcher.submit(deliver)

    def _poll(self, queue: Any, mapping: Any) -> None:
        from moto.sqs.models import sqs_backends

        backend = sqs_backends[queue.account_id][queue.region]
        with self._lock:
            received = backend.receive_message(
                queue.name, int(mapping.batch_size or 10), 0, int(queue.visibility_timeout)
            )
        if not received:
            return  # another poll took them, or they went to the dead-letter queue
        failed = self._invoke(mapping, sqs_lambda_event(received, queue))
        for message in received:
            if message.id in failed:
                continue
            backend.delete_message(queue.name, message.receipt_handle)
        if failed:
            self._retry_later(queue, mapping, [m for m in queue._messages if m.id in failed])

    def _invoke(self, mapping: Any, event: dict[str, Any]) -> set[str]:
        """The ids of the records to receive again."""
        spec = self.cloud.function_spec(mapping.function_arn)
        if spec is None:
            LOG.warning("event source mapping to unknown function %s", mapping.function_arn)
            return {r["messageId"] for r in event["Records"]}
        payload, failed = self.cloud._invoke_through_moto(spec, event)
        everything = {r["messageId"] for r in event["Records"]}
        if failed:
            return everything
        if "ReportBatchItemFailures" not in (mapping.function_response_types or []):
            return set()
        try:
            response = json.loads(payload) if payload else None
        except ValueError:
            return everything
        if not isinstance(response, dict) or not response.get("batchItemFailures"):
            return set()  # None, {} and an empty list all mean the whole batch succeeded
        ids = {item.get("itemIdentifier") for item in response["batchItemFailures"]}
        if not ids <= everything:  # Lambda treats an unknown or missing id as a failed batch
            return everything
        return {i for i in ids if isinstance(i, str)}

    def _retry_later(self, queue: Any, mapping: Any, messages: list[Any]) -> None:
        timeout = float(queue.visibility_timeout)

        def again() -> None:
            self.cloud.clock.sleep(timeout)
            for message in messages:
                message.visible_at = 0  # moto measures visibility in real time
            self._poll(queue, mapping)

        self.cloud.dispatcher.submit(again)


def install(cloud: LocalCloud, patch: Any) -> None:
    """Route messages added to a mapped queue to the pollers instead of moto's inline invoke."""
    from moto.sqs.models import Queue

    original = Queue.add_message
    pollers = QueuePollers(cloud)

    def add_message(self: Any, message: Any) -> None:
        mappings = self.lambda_event_source_mappings
        self.lambda_event_source_mappings = {}
        try:
            original(self, message)
        finally:
            self.lambda_event_source_mappings = mappings
        if message in self._messages:  # a FIFO duplicate is dropped, not delivered
            pollers.message_added(self, message)

    patch(Queue, "add_message", add_message)
