"""SQS event source mappings: delays, batches, retries and redrive on the local cloud's clock."""

from __future__ import annotations

import json
from typing import Any

from localcloud import LocalCloud
from tests.support.taps import drain


def send(cloud: LocalCloud, *bodies: dict[str, Any], delays: tuple[int, ...] = ()) -> None:
    sqs = cloud.client("sqs")
    url = cloud.physical_id("WorkQueue")
    for i, body in enumerate(bodies):
        delay = delays[i] if i < len(delays) else 0
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body), DelaySeconds=delay)


def left_on(cloud: LocalCloud, logical_id: str) -> int:
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.physical_id(logical_id), AttributeNames=["All"]
    )["Attributes"]
    return sum(
        int(attributes[k])
        for k in (
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        )
    )


def test_a_delayed_message_reaches_the_function_after_its_delay_on_the_clock(
    cloud_factory: Any,
) -> None:
    cloud = cloud_factory(time_scale=0.01)  # 120 s of delay in 1.2 s, so the order shows
    started = cloud.clock.now()
    send(cloud, {"n": "late"}, {"n": "now"}, delays=(120, 0))
    cloud.wait_idle(timeout=30)
    # In the order the function received them (a standard queue, the records' own, keeps none)
    seen = sorted(drain(cloud), key=lambda s: s["first_received"])
    assert [s["body"]["n"] for s in seen] == ["now", "late"]
    assert cloud.clock.now() - started >= 120  # the delay passed on the clock, not in real time
    assert left_on(cloud, "WorkQueue") == 0  # handled messages are deleted


def test_a_reported_item_failure_is_received_again_then_dead_lettered(cloud: LocalCloud) -> None:
    send(cloud, {"n": "bad", "fail": True}, {"n": "good"})
    cloud.wait_idle(timeout=30)
    seen = drain(cloud)
    good = [s for s in seen if s["body"]["n"] == "good"]
    bad = sorted(s["receive_count"] for s in seen if s["body"]["n"] == "bad")
    assert len(good) == 1  # not received again with its failing neighbour
    assert bad == [1, 2]  # maxReceiveCount receives, after the visibility timeout
    assert left_on(cloud, "WorkQueue") == 0
    assert left_on(cloud, "WorkDeadLetters") == 1


def test_a_function_error_fails_the_whole_batch(cloud: LocalCloud) -> None:
    send(cloud, {"n": "boom", "crash": True})
    cloud.wait_idle(timeout=30)
    seen = drain(cloud)
    assert sorted(s["receive_count"] for s in seen) == [1, 2]
    assert left_on(cloud, "WorkDeadLetters") == 1


def test_the_mapping_is_listed_as_lambda_lists_it(cloud: LocalCloud) -> None:
    mappings = cloud.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    name = cloud.physical_id("WorkerFunction")
    [mapping] = [m for m in mappings if m["FunctionArn"].endswith(f":function:{name}")]
    assert mapping["EventSourceArn"] == cloud.attribute("WorkQueue", "Arn")
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_concurrent_receives_never_fail_and_never_share_a_message(cloud: LocalCloud) -> None:
    """ReceiveMessage: "Retrieves one or more messages (up to 10), from the specified queue",
    and a received message is in flight ("invisible") for the visibility timeout, so no other
    consumer receives it meanwhile (SQS Developer Guide, "Amazon SQS visibility timeout").
    moto's backend did not lock: concurrent receives failed with "Set changed size during
    iteration" or could hand one message to two consumers."""
    import threading

    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="many-consumers")["QueueUrl"]
    bodies = [f"m-{n}" for n in range(200)]
    for start in range(0, len(bodies), 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies[start : start + 10])
            ],
        )
    received: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def consume() -> None:
        try:
            while True:
                got = sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300
                ).get("Messages", [])
                if not got:
                    return
                with lock:
                    received.extend(m["Body"] for m in got)
                for message in got:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    consumers = [threading.Thread(target=consume) for _ in range(8)]
    for thread in consumers:
        thread.start()
    for thread in consumers:
        thread.join()
    assert failures == []
    assert sorted(received) == sorted(bodies)  # each once
