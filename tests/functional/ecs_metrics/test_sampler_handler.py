"""EcsMetricsSampleFunction on moto: one hop of the minute from the SQS event in events/."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from steward_common import clock
from tests.support.events import load_event
from tests.support.handlers import lambda_context, load_handler


@pytest.fixture
def queue(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> str:
    url: str = boto3.client("sqs").create_queue(QueueName="samples")["QueueUrl"]
    topic = boto3.client("sns").create_topic(Name="alerts")["TopicArn"]
    for key, value in {
        "SAMPLE_QUEUE_URL": url,
        "ALERT_TOPIC_ARN": topic,
        "PUBLISH_MODE": "put-metric-data",
        "ECS_CLUSTERS": "",
        "METRICS_NAMESPACE_ECS": "Steward/ECS",
    }.items():
        monkeypatch.setenv(key, value)
    boto3.client("ecs").create_cluster(clusterName="web")
    boto3.client("dynamodb").create_table(
        TableName="hops",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("IDEMPOTENCY_TABLE", "hops")
    # The sample event's minute, a moment after its first offset: the hop runs on time (a late
    # start would skip the offsets already past, test_minute's subject).
    on_time = datetime(2026, 11, 23, 12, 34, 0, 300000, tzinfo=UTC).timestamp()
    monkeypatch.setattr(clock, "_source", lambda: on_time)
    return url


def handle(event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = load_handler("ecs_metrics", "sampler").lambda_handler(
        event, lambda_context()
    )
    return result


def sent(url: str, wait: int = 0) -> list[dict[str, Any]]:
    """What the hop sent on; `wait` for the onward message's DelaySeconds (the next offset)."""
    messages = boto3.client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=wait
    )
    return messages.get("Messages", [])


def test_the_first_hop_samples_and_sends_the_plan_on_for_the_next_offset(queue: str) -> None:
    assert handle(load_event("ecs_metrics/first_sample.json")) == {"batchItemFailures": []}
    [onward] = sent(queue, wait=6)
    plan = json.loads(onward["Body"])
    assert plan["next"] == 1 and plan["taken"] == 1
    [group] = plan["carried"]  # 4 data points, carried until there are 1,000 or the minute ends
    assert len(group["d"]) == 4 and group["t"] == 1_795_437_240_000


def test_a_bad_plan_fails_only_its_own_record_and_sends_nothing(queue: str) -> None:
    event = load_event("ecs_metrics/first_sample.json")
    bad = copy.deepcopy(event["Records"][0])
    bad["messageId"], bad["body"] = "bad-one", json.dumps({"minute": "soon", "offsets": [70]})
    event["Records"].append(bad)
    assert handle(event) == {"batchItemFailures": [{"itemIdentifier": "bad-one"}]}
    assert len(sent(queue, wait=6)) == 1  # the good record's hop only


def test_the_last_hop_publishes_the_minute_and_sends_nothing_on(queue: str) -> None:
    event = load_event("ecs_metrics/first_sample.json")
    plan = json.loads(event["Records"][0]["body"])
    plan.update(next=11, taken=11, carried=[{"t": 1_795_437_290_000, "d": [[0, "web", None, 7]]}])
    event["Records"][0]["body"] = json.dumps(plan)
    assert handle(event) == {"batchItemFailures": []}
    assert sent(queue) == []
    stats = boto3.client("cloudwatch").list_metrics(Namespace="Steward/ECS")["Metrics"]
    assert {m["MetricName"] for m in stats} == {
        "RunningTaskCount",
        "PendingTaskCount",
        "ActiveServiceCount",
        "RegisteredContainerInstanceCount",
    }


def test_a_duplicate_delivery_of_a_hop_sends_nothing_more(queue: str) -> None:
    handler = load_handler("ecs_metrics", "sampler")
    event = load_event("ecs_metrics/first_sample.json")
    assert handler.lambda_handler(event, lambda_context()) == {"batchItemFailures": []}
    duplicate = copy.deepcopy(event)
    duplicate["Records"][0]["messageId"] = "another-delivery"
    assert handler.lambda_handler(duplicate, lambda_context()) == {"batchItemFailures": []}
    assert len(sent(queue, wait=6)) == 1  # one onward message: the chain did not fork
