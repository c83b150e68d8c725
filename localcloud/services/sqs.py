"""Amazon SQS: delays on the local cloud's clock, and no inline Lambda invocation.

moto invokes a mapped function synchronously inside SendMessage, and never for a delayed
message (nothing polls once the delay is over). On AWS, Lambda's pollers receive messages
asynchronously once they are visible. Here a message's delay (its own DelaySeconds or the
queue's) passes on the local cloud's clock, and then the queue signals `sqs.message` with
the queue's ARN, which the Lambda service's pollers answer by receiving through the API.
"""

from __future__ import annotations

from typing import Any

from localcloud.core import Core

MESSAGE_SIGNAL = "sqs.message"


def install(core: Core) -> None:
    from moto.sqs.models import Queue, SQSBackend

    set_attributes = core.hooks.original(SQSBackend, "set_queue_attributes")

    def set_queue_attributes(self: Any, queue_name: str, attributes: dict[str, Any]) -> Any:
        # SetQueueAttributes "Sets the value of one or more queue attributes" (API reference):
        # those it names. moto cleared the queue's Policy whenever it was not among them, so
        # encrypting a queue, say, silently took SNS's and EventBridge's permission away.
        queue = self.get_queue(queue_name)
        policy = queue.policy
        changed = set_attributes(self, queue_name, attributes)
        if "Policy" not in attributes:
            queue.policy = policy
        return changed

    core.hooks.replace(SQSBackend, "set_queue_attributes", set_queue_attributes)

    original = core.hooks.original(Queue, "add_message")

    def add_message(self: Any, message: Any) -> None:
        mappings = self.lambda_event_source_mappings
        self.lambda_event_source_mappings = {}  # Lambda's pollers deliver, not SendMessage
        try:
            original(self, message)
        finally:
            self.lambda_event_source_mappings = mappings
        if message not in self._messages:  # a FIFO duplicate is dropped, not delivered
            return
        arn = self.queue_arn
        delay = max(0.0, (message.delayed_until - message.sent_timestamp) / 1000)
        if delay == 0:
            core.emit(MESSAGE_SIGNAL, queue_arn=arn)
            return

        def release() -> None:
            core.clock.sleep(delay)
            message.delayed_until = 0  # moto measures the delay in real time
            core.emit(MESSAGE_SIGNAL, queue_arn=arn)

        core.dispatcher.submit(release)

    core.hooks.replace(Queue, "add_message", add_message)
