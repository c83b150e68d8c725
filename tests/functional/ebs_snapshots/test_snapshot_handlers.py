"""The snapshot functions on moto EC2/SNS, one handler at a time, from the events/ samples."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from ebs_snapshots import ebs
from ebs_snapshots.ownership import OwnershipTable, Record
from steward_common.errors import ConfigurationError, InvalidInputError
from tests.support.events import load_event
from tests.support.handlers import lambda_context, load_handler
from tests.support.ownership import ownership_table
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
        "OWNERSHIP_TABLE": "steward-snapshot-ownership",
        "DR_OWNERSHIP_TABLE": "steward-dr-snapshot-ownership",
        "SCHEDULE_MODE": "volume",
    }.items():
        monkeypatch.setenv(key, value)
    return boto3.client("ec2", region_name="us-east-1")


@pytest.fixture
def tables(ec2: Any) -> tuple[OwnershipTable, OwnershipTable]:
    """The primary stack's ownership table and the DR stack's, in their regions."""
    return ownership_table("us-east-1"), ownership_table(
        "us-west-2", "steward-dr-snapshot-ownership"
    )


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


def test_tag_copies_volume_tags_and_adds_management_tags(
    ec2: Any, tables: tuple[OwnershipTable, OwnershipTable], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOLUME_SELECTOR", "team=web")
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
    assert result["owned"] is True
    record = tables[0].get(snapshot)
    assert record is not None and (record.volume_id, record.retain) == (volume, 5)


def test_with_no_selector_tag_tags_but_records_nothing_and_says_so(
    ec2: Any, tables: tuple[OwnershipTable, OwnershipTable]
) -> None:
    snapshot, volume = new_snapshot(ec2, team="web")
    result = invoke("tag", tag_event(snapshot, volume))
    assert (result["managed"], result["owned"]) == (True, False)
    assert "deletes none" in result["retention_note"]
    assert tables[0].get(snapshot) is None


@pytest.mark.parametrize(
    ("tags", "description", "tool"),
    [
        ({"aws:dlm:lifecycle-policy-id": "policy-0123"}, "", "Amazon Data Lifecycle Manager"),
        ({}, "This snapshot is created by the AWS Backup service.", "AWS Backup"),
        (
            {"CSIVolumeSnapshotName": "snapshot-1", "ebs.csi.aws.com/cluster": "true"},
            "",
            "the Amazon EBS CSI driver",
        ),
        ({"velero.io/backup": "nightly", "velero.io/pv": "pvc-1"}, "", "Velero"),
        (
            {"AWSElasticDisasterRecoveryManaged": "drs.amazonaws.com"},
            "",
            "AWS Elastic Disaster Recovery",
        ),
        (
            {},
            "Created by CreateImage(i-0123456789abcdef0) for ami-0123456789abcdef0",
            "EC2 CreateImage (an AMI)",
        ),
    ],
)
def test_tag_leaves_a_known_tools_snapshot_alone(
    ec2: Any,
    tables: tuple[OwnershipTable, OwnershipTable],
    monkeypatch: pytest.MonkeyPatch,
    tags: dict[str, str],
    description: str,
    tool: str,
) -> None:
    monkeypatch.setenv("VOLUME_SELECTOR", "backup")
    volume = ec2.create_volume(
        Size=1,
        AvailabilityZone="us-east-1a",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "backup", "Value": "yes"}]}],
    )["VolumeId"]
    spec = [{"ResourceType": "snapshot", "Tags": ebs.as_tag_list(tags)}] if tags else []
    snapshot = ec2.create_snapshot(
        VolumeId=volume, Description=description, TagSpecifications=spec
    )["SnapshotId"]
    result = invoke("tag", tag_event(snapshot, volume))
    assert result["managed"] is False and result["reason"] == f"made by {tool}, which manages it"
    assert tables[0].get(snapshot) is None


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


def test_copy_makes_one_tagged_copy_in_the_dr_region(
    ec2: Any, tables: tuple[OwnershipTable, OwnershipTable]
) -> None:
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
    assert tables[1].get(first["copy_id"]) is None  # not owned: no stack ever deletes the copy


def test_the_copy_of_an_owned_snapshot_is_claimed_once_and_recorded_in_the_dr_table(
    ec2: Any, tables: tuple[OwnershipTable, OwnershipTable]
) -> None:
    primary, dr_table = tables
    snapshot, volume = new_snapshot(ec2)
    primary.record(Record(snapshot, volume, retain=4, retain_days=30, source_region="us-east-1"))
    request = {
        "snapshot_id": snapshot,
        "volume_id": volume,
        "region": "us-east-1",
        "tags": {ebs.MANAGED_BY: "steward", ebs.SOURCE_VOLUME: volume},
        "owned": True,
        "execution_id": "exec-1",
    }
    first = invoke("copy", request)
    duplicate = invoke("copy", {**request, "execution_id": "exec-2"})  # a second delivery
    retried = invoke("copy", request)  # the claimant's own retry
    assert first["copied"] is True
    assert duplicate == {
        "copied": False,
        "copy_id": first["copy_id"],
        "dr_region": "us-west-2",
        "reason": "another run copies it",
    }
    assert (retried["copied"], retried["copy_id"]) == (False, first["copy_id"])
    copy = dr_table.get(first["copy_id"])
    assert copy is not None
    assert (copy.kind, copy.source_snapshot, copy.volume_id, copy.retain, copy.retain_days) == (
        "copy",
        snapshot,
        volume,
        4,
        30,
    )
    dr = boto3.client("ec2", region_name="us-west-2")
    assert len(dr.describe_snapshots(OwnerIds=["self"])["Snapshots"]) == 1


def test_adoption_is_a_dry_run_by_default_and_adopts_only_selected_volumes_when_told(
    ec2: Any, tables: tuple[OwnershipTable, OwnershipTable], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOLUME_SELECTOR", "backup")
    primary, dr_table = tables
    kept, selected_volume = new_snapshot(ec2, backup="daily")
    other, other_volume = new_snapshot(ec2, team="web")
    for snapshot, volume in ((kept, selected_volume), (other, other_volume)):
        ec2.create_tags(
            Resources=[snapshot],
            Tags=ebs.as_tag_list(
                {ebs.MANAGED_BY: "steward", ebs.SOURCE_VOLUME: volume, ebs.RETENTION: "3;10d"}
            ),
        )
    dr = boto3.client("ec2", region_name="us-west-2")
    copy = dr.copy_snapshot(
        SourceRegion="us-east-1",
        SourceSnapshotId=kept,
        TagSpecifications=[
            {
                "ResourceType": "snapshot",
                "Tags": ebs.as_tag_list(
                    {
                        ebs.MANAGED_BY: "steward",
                        ebs.SOURCE_VOLUME: selected_volume,
                        ebs.SOURCE_SNAPSHOT: kept,
                    }
                ),
            }
        ],
    )["SnapshotId"]
    report = invoke("adopt", {})
    assert report["dry_run"] is True
    assert report["adopted"] == {"us-east-1": [kept], "us-west-2": [copy]}
    assert report["not_adopted"]["us-east-1"] == [
        {"snapshot": other, "reason": f"its volume {other_volume} is not selected"}
    ]
    assert primary.get(kept) is None and dr_table.get(copy) is None
    done = invoke("adopt", {"dry_run": False})
    assert done["counts"]["us-east-1"]["adopted"] == 1
    recorded = primary.get(kept)
    assert recorded is not None and (recorded.retain, recorded.retain_days) == (3, 10)
    adopted_copy = dr_table.get(copy)
    assert adopted_copy is not None and adopted_copy.source_snapshot == kept
    assert primary.get(other) is None
    again = invoke("adopt", {"dry_run": False})  # idempotent: nothing left to adopt
    assert again["counts"]["us-east-1"] == {"adopted": 0, "not_adopted": 1}


def test_adoption_with_no_selector_adopts_nothing_and_says_why(
    ec2: Any, tables: tuple[OwnershipTable, OwnershipTable]
) -> None:
    snapshot, _ = new_snapshot(ec2)
    ec2.create_tags(Resources=[snapshot], Tags=ebs.as_tag_list({ebs.MANAGED_BY: "steward"}))
    report = invoke("adopt", {"dry_run": False})
    assert report["adopted"] == {} and "deletes none" in report["note"]
    assert tables[0].get(snapshot) is None


def test_the_schedule_snapshots_each_selected_volume_once_per_slot(
    ec2: Any, tables: tuple[OwnershipTable, OwnershipTable], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOLUME_SELECTOR", "backup=daily")
    selected_volumes = [
        ec2.create_volume(
            Size=1,
            AvailabilityZone="us-east-1a",
            TagSpecifications=[
                {
                    "ResourceType": "volume",
                    "Tags": ebs.as_tag_list({"backup": "daily", "team": "db"}),
                }
            ],
        )["VolumeId"]
        for _ in range(3)
    ]
    ec2.create_volume(Size=1, AvailabilityZone="us-east-1a")  # not selected
    event = load_event("ebs_snapshots/scheduled_event.json")
    first = invoke("schedule", event)
    again = invoke("schedule", event)  # EventBridge delivered it twice
    assert sorted(t["volume_id"] for t in first["taken"]) == sorted(selected_volumes)
    assert (again["taken"], again["already_taken"]) == ([], 3)
    snapshots = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert len(snapshots) == 3
    for snapshot in snapshots:
        tags = ebs.tags_of(snapshot)
        assert tags["team"] == "db" and tags["steward:schedule-slot"] == event["time"]
        assert tables[0].get(snapshot["SnapshotId"]) is not None


def test_the_schedule_needs_a_selector(
    ec2: Any, tables: tuple[OwnershipTable, OwnershipTable]
) -> None:
    with pytest.raises(ConfigurationError, match="needs SnapshotVolumeSelector"):
        invoke("schedule", load_event("ebs_snapshots/scheduled_event.json"))


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
