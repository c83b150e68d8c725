"""CostControlInstanceFunction on moto EC2: the instance action's dry run and its undo."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from steward_common import aws
from tests.support.events import load_event
from tests.support.handlers import lambda_context, load_handler

TAG = {"Key": "steward:cost-control", "Value": "beta"}


@pytest.fixture
def ec2(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in {
        "STOP_INSTANCES_TAG_VALUE": "beta",
        "DRY_RUN": "false",
        "RESTRICTIONS_TABLE": "restrictions",
    }.items():
        monkeypatch.setenv(key, value)
    boto3.client("dynamodb").create_table(
        TableName="restrictions",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "target", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "target", "KeyType": "HASH"}],
    )
    return boto3.client("ec2")


def launch(ec2: Any, count: int) -> list[str]:
    image = ec2.register_image(Name="base", RootDeviceName="/dev/xvda")["ImageId"]
    made = ec2.run_instances(
        ImageId=image,
        MinCount=count,
        MaxCount=count,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [TAG]}],
    )["Instances"]
    return [i["InstanceId"] for i in made]


def states(ec2: Any, ids: list[str]) -> set[str]:
    found = ec2.describe_instances(InstanceIds=ids)["Reservations"]
    return {i["State"]["Name"] for r in found for i in r["Instances"]}


def recorded() -> list[str]:
    return [
        i["target"]["S"] for i in boto3.client("dynamodb").scan(TableName="restrictions")["Items"]
    ]


def run() -> dict[str, Any]:
    result: dict[str, Any] = load_handler("cost_controls", "instance_action").lambda_handler(
        load_event("cost_controls/action_restrict.json"), lambda_context()
    )
    return result


def test_dry_run_reports_the_stops_and_stops_nothing(
    ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRY_RUN", "true")
    ids = launch(ec2, 2)
    result = run()
    assert {r["result"] for r in result["instances"]} == {"would-change"}
    assert states(ec2, ids) == {"running"} and recorded() == []


def test_a_stop_that_fails_half_way_starts_again_what_it_stopped(
    ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = launch(ec2, 101)  # two StopInstances calls of at most 100
    client = aws.client("ec2")
    real = client.stop_instances
    calls = {"n": 0}

    def second_fails(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "x"}}, "Stop")
        return real(**kwargs)

    monkeypatch.setattr(client, "stop_instances", second_fails)
    with pytest.raises(Exception, match="failed and was undone") as raised:
        run()
    assert type(raised.value).__name__ == "SwapFailedError"
    assert states(ec2, ids) <= {"running", "pending"}  # the first 100 started again
    assert recorded() == []
