"""`aws ec2 create-snapshot` against `steward local up` starts the snapshot machine: EC2 sends
its "EBS Snapshot Notification" when the snapshot completes, as on AWS, with no put-events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from localcloud.testing import only
from tests.support.local_up import local_up, wait_for
from tests.support.paths import TEMPLATE

PRIMARY, DR = "us-east-1", "us-west-2"


def _executions(up: Any, machine_arn: str) -> list[dict[str, Any]]:
    listed = up.aws("stepfunctions", "list-executions", "--state-machine-arn", machine_arn)
    return list(listed["executions"])


def test_aws_ec2_create_snapshot_starts_the_snapshot_machine(tmp_path: Path) -> None:
    parameters = only(TEMPLATE, "EnableSnapshotManagement", SnapshotDrRegion=DR)
    with local_up(tmp_path, template=TEMPLATE, parameters=parameters) as up:
        (machine,) = [
            m["stateMachineArn"]
            for m in up.aws("stepfunctions", "list-state-machines")["stateMachines"]
            if "SnapshotPrimaryStateMachine" in m["name"]
        ]
        volume = up.aws("ec2", "create-volume", "--size", "8", "--availability-zone", "us-east-1a")
        snapshot = up.aws("ec2", "create-snapshot", "--volume-id", volume["VolumeId"])

        (started,) = wait_for(
            "an execution started by EC2's snapshot notification",
            lambda: _executions(up, machine),
        )
        described = up.aws(
            "stepfunctions", "describe-execution", "--execution-arn", started["executionArn"]
        )
        event = json.loads(described["input"])
        assert event["source"] == "aws.ec2"
        assert event["detail-type"] == "EBS Snapshot Notification"
        assert event["detail"]["event"] == "createSnapshot"
        assert event["detail"]["result"] == "succeeded"
        assert event["detail"]["snapshot_id"].endswith(f"snapshot/{snapshot['SnapshotId']}")
        assert event["detail"]["source"].endswith(f"volume/{volume['VolumeId']}")
