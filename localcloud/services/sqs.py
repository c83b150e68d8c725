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
    _install_one_change_at_a_time(core)


def _install_one_change_at_a_time(core: Core) -> None:
    """SQS answers concurrent calls on a queue consistently; moto's backend does not lock, so
    a ReceiveMessage iterating a queue's in-flight set while another receive or a delete changed
    it failed ("Set changed size during iteration") or could hand one message to both. Each call
    that reads or changes messages runs alone; a long poll waits between its attempts without
    holding the lock, so a send can end the wait as on SQS."""
    import threading
    import time

    from moto.sqs.models import SQSBackend

    lock = threading.RLock()

    def alone(name: str) -> None:
        original = core.hooks.original(SQSBackend, name)

        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            with lock:
                return original(self, *args, **kwargs)

        core.hooks.replace(SQSBackend, name, call)

    for name in (
        "send_message",
        "send_message_batch",
        "delete_message",
        "delete_message_batch",
        "change_message_visibility",
        "change_message_visibility_batch",
        "purge_queue",
    ):
        alone(name)

    receive = core.hooks.original(SQSBackend, "receive_message")

    def receive_message(
        self: Any,
        queue_name: str,
        count: int,
        wait_seconds_timeout: int,
        visibility_timeout: int,
        message_attribute_names: list[str] | None = None,
    ) -> Any:
        # Real seconds, as moto's own long poll counts them.
        deadline = time.monotonic() + float(wait_seconds_timeout or 0)
        while True:
            with lock:
                received = receive(
                    self, queue_name, count, 0, visibility_timeout, message_attribute_names
                )
            remaining = deadline - time.monotonic()
            if received or remaining <= 0:
                return received
            self.get_queue(queue_name).wait_for_messages(min(1.0, remaining))
            time.sleep(0.01)  # visible messages it may not take yet (a FIFO group in flight)

    core.hooks.replace(SQSBackend, "receive_message", receive_message)
