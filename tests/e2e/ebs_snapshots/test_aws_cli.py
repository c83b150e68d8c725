"""`aws ec2 create-snapshot` against `steward local up` starts the snapshot machine: EC2 sends
its "EBS Snapshot Notification" when the snapshot completes, as on AWS, with no put-events."""

from __future__ import annotations

from pathlib import Path

from localcloud.testing import only
from tests.support.local_up import local_up, wait_for
from tests.support.paths import TEMPLATE

PRIMARY, DR = "us-east-1", "us-west-2"


def test_aws_ec2_create_snapshot_starts_the_snapshot_machine(tmp_path: Path) -> None:
    parameters = only(TEMPLATE, "EnableSnapshotManagement", SnapshotDrRegion=DR)
    with local_up(tmp_path, template=TEMPLATE, parameters=parameters) as up:
        machine = up.state_machine("SnapshotPrimaryStateMachine")
        volume = up.aws("ec2", "create-volume", "--size", "8", "--availability-zone", "us-east-1a")
        snapshot = up.aws("ec2", "create-snapshot", "--volume-id", volume["VolumeId"])
        assert snapshot["State"] == "pending"  # EC2 answers at once; the snapshot completes later

        (started,) = wait_for(
            "an execution started by EC2's snapshot notification", lambda: up.executions(machine)
        )
        event = started["input"]
        assert event["source"] == "aws.ec2"
        assert event["detail-type"] == "EBS Snapshot Notification"
        assert event["detail"]["event"] == "createSnapshot"
        assert event["detail"]["result"] == "succeeded"
        assert event["detail"]["snapshot_id"].endswith(f"snapshot/{snapshot['SnapshotId']}")
        assert event["detail"]["source"].endswith(f"volume/{volume['VolumeId']}")
