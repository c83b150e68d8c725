"""Amazon SQS: delays on the local cloud's clock, no inline Lambda invocation, CloudWatch metrics.

moto invokes a mapped function synchronously inside SendMessage, and never for a delayed
message (nothing polls once the delay is over). On AWS, Lambda's pollers receive messages
asynchronously once they are visible. Here a message's delay (its own DelaySeconds or the
queue's) passes on the local cloud's clock, and then the queue signals `sqs.message` with
the queue's ARN, which the Lambda service's pollers answer by receiving through the API.

CloudWatch metrics: "CloudWatch metrics for your Amazon SQS queues are automatically collected
and pushed to CloudWatch at one-minute intervals. These metrics are gathered on all queues that
meet the CloudWatch guidelines for being active. CloudWatch considers a queue to be active for
up to six hours if it contains any messages or if any action accesses it."
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-monitoring-using-cloudwatch.html)
At each minute of the local cloud's clock (a core timer, which never moves the clock, as
EventBridge's schedules fire) every active queue of the local cloud's account (one that held a
message, was created or was named by a call within the last six hours) gets its data in AWS/SQS
through the CloudWatch API, at that minute, with the one dimension "Amazon SQS metrics in
CloudWatch use a single dimension: QueueName." As "Available CloudWatch metrics for Amazon SQS"
has them (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html):

- ApproximateNumberOfMessagesVisible, "Reported if the queue is active.";
- ApproximateNumberOfMessagesNotVisible, "Reported if in-flight messages exist.";
- ApproximateNumberOfMessagesDelayed, "Reported if delayed messages exist in the queue.";
- ApproximateAgeOfOldestMessage (Seconds), "Reported if the queue contains at least one active
  message.", counted from when the message entered this queue ("When a message is moved to a
  DLQ after exceeding the maxReceiveCount, the age resets"), without, in a standard queue, the
  messages received three times or more ("if a message is received three or more times and
  not deleted, SQS moves it to the back of the queue. The metric then reflects the age of the
  next message that hasn't exceeded the receive threshold.");
- NumberOfMessagesSent ("Reported for each successful manual send.": SendMessage and
  SendMessageBatch, not a redrive to a dead-letter queue, which "are not captured by this
  metric"), NumberOfMessagesReceived (what ReceiveMessage returned) and NumberOfMessagesDeleted
  ("Reported for each delete request with a valid receipt handle."): each minute's sum, sent the
  minute after, 0 in an active queue's quiet minute.

When the clock skips minutes (a Wait state, `pass_time`), each skipped minute gets its data, of
the messages the queue now holds that had entered it by then, but only the last hour's: the
alarms these metrics serve (a dead-letter queue's depth over five minutes) look no further
back, and a skip of a year would otherwise put half a million data into moto's store.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from localcloud.core import Core
from localcloud.errors import LocalCloudStoppedError

LOG = logging.getLogger("localcloud")
MESSAGE_SIGNAL = "sqs.message"
NAMESPACE = "AWS/SQS"
ACTIVE_SECONDS = 6 * 3600.0  # "active for up to six hours"
CATCH_UP_MINUTES = 60  # the most minutes one tick publishes after a skip of the clock
POISON_RECEIVES = 3  # "received three or more times and not deleted"
# Set on each message as it enters a queue: (clock wall time, its receive count then).
ENTERED = "localcloud_entered"
SENT, RECEIVED, DELETED = (
    "NumberOfMessagesSent",
    "NumberOfMessagesReceived",
    "NumberOfMessagesDeleted",
)


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
        # Its age in this queue counts from now (a redrive to a dead-letter queue resets it).
        setattr(message, ENTERED, (core.clock.wall(), message.approximate_receive_count))
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
    lock = _install_one_change_at_a_time(core)
    metrics = QueueMetrics(core, lock)
    core.services["sqs_metrics"] = metrics
    metrics.install()
    core.on_stop.append(metrics.stop)
    metrics.start()


def _install_one_change_at_a_time(core: Core) -> threading.RLock:
    """SQS answers concurrent calls on a queue consistently; moto's backend does not lock, so
    a ReceiveMessage iterating a queue's in-flight set while another receive or a delete changed
    it failed ("Set changed size during iteration") or could hand one message to both. Each call
    that reads or changes messages runs alone; a long poll waits between its attempts without
    holding the lock, so a send can end the wait as on SQS. Returns the lock."""
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
    return lock


# ------------------------------------------------------------------------------ metrics


def _minute(epoch: float) -> float:
    return float(math.floor(epoch / 60) * 60)


def _by(moments: list[float], minute: float) -> int:
    """How many of the (sorted) moments are at or before `minute`."""
    return bisect.bisect_right(moments, minute)


@dataclass
class _Snapshot:
    """A queue's messages as the publisher found them: when each entered the queue (sorted)."""

    visible: list[float] = field(default_factory=list)
    in_flight: list[float] = field(default_factory=list)
    delayed: list[float] = field(default_factory=list)
    ageing: list[float] = field(default_factory=list)  # those ApproximateAgeOfOldestMessage counts

    @classmethod
    def of(cls, queue: Any, now: float) -> _Snapshot:
        snapshot = cls()
        for message in list(queue._messages):
            entered, receives_before = getattr(message, ENTERED, (now, 0))
            if message.delayed:
                snapshot.delayed.append(entered)
            elif not message.visible:
                snapshot.in_flight.append(entered)
            else:
                snapshot.visible.append(entered)
            # FIFO queues keep their order: nothing moves to the back
            received_here = message.approximate_receive_count - receives_before
            if queue.fifo_queue or received_here < POISON_RECEIVES:
                snapshot.ageing.append(entered)
        for moments in (snapshot.visible, snapshot.in_flight, snapshot.delayed, snapshot.ageing):
            moments.sort()
        return snapshot

    @property
    def holds_messages(self) -> bool:
        return bool(self.visible or self.in_flight or self.delayed)


class QueueMetrics:
    """Publishes every active queue's AWS/SQS metrics at each minute of the clock."""

    def __init__(self, core: Core, queues_lock: threading.RLock) -> None:
        self.core = core
        self._queues_lock = queues_lock  # the backend's, held while reading a queue's messages
        self._lock = threading.Lock()
        # By (region, queue name), in the local cloud's account:
        self._created: dict[tuple[str, str], float] = {}
        self._active: dict[tuple[str, str], float] = {}  # last held a message or was named
        self._counts: dict[tuple[str, str], dict[float, dict[str, int]]] = {}  # minute: sums
        self._last_minute: float | None = None  # the last minute published
        self._stopped = threading.Event()

    # --------------------------------------------------------------- what happens to queues

    def _mine(self, backend: Any) -> bool:
        return bool(backend.account_id == self.core.account_id)

    def created(self, backend: Any, name: str) -> None:
        now = self.core.clock.wall()
        with self._lock:
            self._created[(backend.region_name, name)] = now
            self._active[(backend.region_name, name)] = now

    def accessed(self, backend: Any, name: str) -> None:
        with self._lock:
            self._active[(backend.region_name, name)] = self.core.clock.wall()

    def count(self, backend: Any, name: str, metric: str, n: int = 1) -> None:
        minute = _minute(self.core.clock.wall())
        with self._lock:
            sums = self._counts.setdefault((backend.region_name, name), {}).setdefault(minute, {})
            sums[metric] = sums.get(metric, 0) + n

    def install(self) -> None:
        """Count sends, receives and deletes, and note every call that names a queue (nearly
        every SQS call looks its queue up with `get_queue`)."""
        from moto.sqs.models import SQSBackend

        hooks = self.core.hooks
        metrics = self
        original_create = hooks.original(SQSBackend, "create_queue")
        original_get = hooks.original(SQSBackend, "get_queue")
        original_send = hooks.original(SQSBackend, "send_message")
        original_receive = hooks.original(SQSBackend, "receive_message")
        original_delete = hooks.original(SQSBackend, "delete_message")

        def create_queue(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            queue = original_create(self, name, *args, **kwargs)
            if metrics._mine(self):
                metrics.created(self, name)
            return queue

        def get_queue(self: Any, queue_name: str) -> Any:
            queue = original_get(self, queue_name)
            if metrics._mine(self):
                metrics.accessed(self, queue_name)
            return queue

        def send_message(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
            # SendMessageBatch sends each entry through this method.
            message = original_send(self, queue_name, *args, **kwargs)
            if metrics._mine(self) and hasattr(message, ENTERED):  # not a dropped duplicate
                metrics.count(self, queue_name, SENT)
            return message

        def receive_message(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
            received = original_receive(self, queue_name, *args, **kwargs)
            if received and metrics._mine(self):
                metrics.count(self, queue_name, RECEIVED, len(received))
            return received

        def delete_message(self: Any, queue_name: str, receipt_handle: str) -> None:
            # DeleteMessageBatch deletes each entry through this method; an invalid receipt
            # handle raises before it is counted.
            original_delete(self, queue_name, receipt_handle)
            if metrics._mine(self):
                metrics.count(self, queue_name, DELETED)

        hooks.replace(SQSBackend, "create_queue", create_queue)
        hooks.replace(SQSBackend, "get_queue", get_queue)
        hooks.replace(SQSBackend, "send_message", send_message)
        hooks.replace(SQSBackend, "receive_message", receive_message)
        hooks.replace(SQSBackend, "delete_message", delete_message)

    # --------------------------------------------------------------- publishing on the clock

    def start(self) -> None:
        """Publish at every minute of the clock from the next one on."""
        with self._lock:
            if self._last_minute is not None:
                return
            self._last_minute = _minute(self.core.clock.wall())
        self._arm()

    def stop(self) -> None:
        self._stopped.set()

    def _arm(self) -> None:
        if self._stopped.is_set():
            return
        clock = self.core.clock
        with self._lock:
            assert self._last_minute is not None
            # The next minute in wall time, as a due time on the monotonic clock timers run on.
            due = clock.now() + (self._last_minute + 60 - clock.wall())
        self.core.timers.at(due, self._tick)

    def _tick(self) -> None:
        if self._stopped.is_set():
            return
        try:
            self.publish()
        except LocalCloudStoppedError:
            LOG.debug("SQS metrics not published: the local cloud is stopping")
        except Exception:  # one failed minute must not stop the next
            LOG.exception("SQS metrics not published")
        finally:
            self._arm()

    def publish(self) -> int:
        """Publish the minutes reached since the last time; how many data were sent."""
        from moto.sqs.models import sqs_backends

        now = self.core.clock.wall()
        reached = _minute(now)
        with self._lock:
            assert self._last_minute is not None
            first = max(self._last_minute + 60, reached - (CATCH_UP_MINUTES - 1) * 60)
            self._last_minute = max(self._last_minute, reached)
        minutes = [float(m) for m in range(int(first), int(reached) + 1, 60)]
        if not minutes:
            return 0
        regions: dict[str, Any] = sqs_backends.get(self.core.account_id) or {}
        seen: set[tuple[str, str]] = set()
        sent = 0
        for region, backend in list(regions.items()):
            data: list[dict[str, Any]] = []
            for name, queue in list(backend.queues.items()):
                seen.add((region, name))
                with self._queues_lock:
                    snapshot = _Snapshot.of(queue, now)
                data += self._data((region, name), snapshot, minutes, now)
            if not data:
                continue
            cloudwatch = self.core.clients("cloudwatch", region)
            for start in range(0, len(data), 500):
                chunk = data[start : start + 500]
                cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=chunk)
                sent += len(chunk)
        with self._lock:  # deleted queues are forgotten
            for state in (self._created, self._active, self._counts):
                for key in [k for k in state if k not in seen]:
                    del state[key]
        return sent

    def _data(
        self, key: tuple[str, str], snapshot: _Snapshot, minutes: list[float], now: float
    ) -> list[dict[str, Any]]:
        with self._lock:
            # A queue first seen here was made without CreateQueue: active from now on.
            created = self._created.setdefault(key, now)
            if snapshot.holds_messages:
                self._active[key] = now
            active = self._active.setdefault(key, created)
            counts = self._counts.get(key, {})
            # the sums of every minute now over; older than the first minute's are dropped
            done = {m: counts.pop(m) for m in list(counts) if m <= minutes[-1] - 60}
        dimensions = [{"Name": "QueueName", "Value": key[1]}]

        def datum(metric: str, value: float, unit: str, minute: float) -> dict[str, Any]:
            return {
                "MetricName": metric,
                "Dimensions": dimensions,
                "Timestamp": datetime.fromtimestamp(minute, UTC),
                "Value": float(value),
                "Unit": unit,
            }

        data: list[dict[str, Any]] = []
        for minute in minutes:
            if minute < created or minute > active + ACTIVE_SECONDS:
                continue  # not there yet, or inactive
            data.append(
                datum(
                    "ApproximateNumberOfMessagesVisible",
                    _by(snapshot.visible, minute),
                    "Count",
                    minute,
                )
            )
            in_flight, delayed = _by(snapshot.in_flight, minute), _by(snapshot.delayed, minute)
            if in_flight:
                data.append(
                    datum("ApproximateNumberOfMessagesNotVisible", in_flight, "Count", minute)
                )
            if delayed:
                data.append(datum("ApproximateNumberOfMessagesDelayed", delayed, "Count", minute))
            if snapshot.ageing and snapshot.ageing[0] <= minute:
                age = minute - snapshot.ageing[0]
                data.append(datum("ApproximateAgeOfOldestMessage", age, "Seconds", minute))
            sums = done.get(minute - 60, {})
            for metric in (SENT, RECEIVED, DELETED):
                data.append(datum(metric, sums.get(metric, 0), "Count", minute - 60))
        return data
