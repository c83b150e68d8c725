"""The snapshot functions on moto EC2/SNS, one handler at a time, from the events/ samples."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from ebs_snapshots import ebs
from steward_common.errors import InvalidInputError
from tests.support.events import load_event
from tests.support.handlers import lambda_context, load_handler
from tests.support.paths import ACCOUNT_ID


@pytest.fixture
def ec2(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in {
        "RETAIN_COUNT": "3",
        "RETAIN_DAYS": "0",
        "DR_REGION": "us-west-2",
        "TAG_ALLOW_LIST": "",
        "VOLUME_SELECTOR": "",
        "DRY_RUN": "false",
        "KMS_KEY_ID": "",
    }.items():
        monkeypatch.setenv(key, value)
    return boto3.client("ec2", region_name="us-east-1")


def new_snapshot(ec2: Any, **volume_tags: str) -> tuple[str, str]:
    tags = [{"ResourceType": "volume", "Tags": ebs.as_tag_list(volume_tags)}] if volume_tags else []
    volume = ec2.create_volume(Size=1, AvailabilityZone="us-east-1a", TagSpecifications=tags)[
        "VolumeId"
    ]
    return ec2.create_snapshot(VolumeId=volume)["SnapshotId"], volume


def tag_event(snapshot: str, volume: str) -> dict[str, Any]:
    detail = load_event("ebs_snapshots/create_snapshot_succeeded.json")["detail"]
    return {
        "mode": "primary",
        "execution_id": "exec-1",
        "snapshot_arn": detail["snapshot_id"].replace("snap-01234567", snapshot),
        "volume_arn": detail["source"].replace("vol-01234567", volume),
    }


def invoke(step: str, event: dict[str, Any]) -> Any:
    return load_handler("ebs_snapshots", step).lambda_handler(event, lambda_context())


def test_tag_copies_volume_tags_and_adds_management_tags(ec2: Any) -> None:
    snapshot, volume = new_snapshot(ec2, team="web", **{"steward:retain": "5"})
    result = invoke("tag", tag_event(snapshot, volume))
    tags = ebs.tags_of(ec2.describe_snapshots(SnapshotIds=[snapshot])["Snapshots"][0])
    assert tags == {
        "team": "web",
        ebs.MANAGED_BY: "steward",
        ebs.SOURCE_VOLUME: volume,
        ebs.SOURCE_REGION: "us-east-1",
        ebs.RETENTION: "5",
    }
    assert (result["managed"], result["retain"], result["dr_region"]) == (True, 5, "us-west-2")


def test_tag_leaves_a_volume_outside_the_selector_alone(
    ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOLUME_SELECTOR", "backup")
    snapshot, volume = new_snapshot(ec2, team="web")
    result = invoke("tag", tag_event(snapshot, volume))
    assert result == {
        "managed": False,
        "snapshot_id": snapshot,
        "volume_id": volume,
        "reason": "volume not selected by backup",
    }
    assert ebs.tags_of(ec2.describe_snapshots(SnapshotIds=[snapshot])["Snapshots"][0]) == {}


def test_tag_of_a_missing_snapshot_is_a_typed_error(ec2: Any) -> None:
    _, volume = new_snapshot(ec2)
    with pytest.raises(InvalidInputError, match="snap-0000000000000dead does not exist"):
        invoke("tag", tag_event("snap-0000000000000dead", volume))


def test_a_malformed_request_is_a_typed_error(ec2: Any) -> None:
    with pytest.raises(InvalidInputError, match="invalid snapshot tag request"):
        invoke("tag", {"mode": "sideways", "snapshot_arn": "x"})
    with pytest.raises(InvalidInputError, match="invalid retention request"):
        invoke("retain", {"snapshot_id": "not-a-snapshot", "volume_id": "vol-1", "retain": 0})


def test_copy_makes_one_tagged_copy_in_the_dr_region(ec2: Any) -> None:
    snapshot, volume = new_snapshot(ec2)
    request = {
        "snapshot_id": snapshot,
        "volume_id": volume,
        "region": "us-east-1",
        "tags": {ebs.MANAGED_BY: "steward", ebs.SOURCE_VOLUME: volume},
    }
    first = invoke("copy", request)
    second = invoke("copy", request)
    assert first["copied"] is True and second == {
        **first,
        "copied": False,
        "reason": "already copied",
    }
    dr = boto3.client("ec2", region_name="us-west-2").describe_snapshots(
        SnapshotIds=[first["copy_id"]]
    )["Snapshots"][0]
    assert ebs.tags_of(dr)[ebs.SOURCE_SNAPSHOT] == snapshot
    assert dr["Description"] == f"Steward DR copy of {snapshot} ({volume}) from us-east-1"


def test_notify_publishes_one_readable_message(ec2: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    monkeypatch.setenv("ALERT_TOPIC_ARN", topic)
    execution = f"arn:aws:states:us-east-1:{ACCOUNT_ID}:execution:primary:abc"
    cause = json.dumps({"errorType": "SnapshotLimitExceeded", "errorMessage": "slow down"})
    invoke(
        "notify",
        {
            "stage": "primary",
            "execution_id": execution,
            "item": {
                "snapshot_id": "snap-1",
                "volume_id": "vol-1",
                "state": "CopyToDr",
                "failure": {"Error": "SnapshotLimitExceeded", "Cause": cause},
            },
        },
    )
    [message] = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    body = json.loads(message["Body"])
    assert body["Subject"] == "Steward EBS snapshots (primary) FAILED at CopyToDr: snap-1"
    alert = json.loads(body["Message"])
    assert (alert["cause"], alert["volume"], alert["execution"]) == (
        "slow down",
        "vol-1",
        execution,
    )
