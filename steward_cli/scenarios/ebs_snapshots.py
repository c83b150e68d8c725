"""Demo: Steward adopts the snapshots an earlier version tagged; a nightly snapshot completes;
Steward tags and records it, prunes old ones (only its recorded own), copies it to DR."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from localcloud.testing import pass_time, service_events, set_snapshot_start_time, snapshot_timings
from steward_cli.report import Reporter
from steward_cli.scenarios import Scenario, expect

PRIMARY, DR = "us-east-1", "us-west-2"
# How long, on the local cloud's clock, tonight's snapshot and its DR copy take (EC2 answers
# "pending" and sends its notification once they complete).
CREATE_SECONDS, COPY_SECONDS = 120, 900
EVENTS = Path(__file__).resolve().parents[2] / "events" / "ebs_snapshots"
TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def _entry(name: str, **detail: Any) -> dict[str, Any]:
    event = json.loads((EVENTS / f"{name}.json").read_text())
    return {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps({**event["detail"], **detail}),
    }


def _age(cloud: Any, region: str, snapshot_id: str, days: int) -> None:
    # moto stamps every snapshot "now"; the demo needs a week of history.
    set_snapshot_start_time(cloud, snapshot_id, datetime.now(UTC) - timedelta(days=days), region)


def _managed(ec2: Any, volume_id: str) -> list[str]:
    found = ec2.describe_snapshots(
        OwnerIds=["self"], Filters=[{"Name": "tag:steward:source-volume", "Values": [volume_id]}]
    )["Snapshots"]
    return sorted(s["SnapshotId"] for s in found)


def run(cloud: Any, report: Reporter, services: Any) -> None:
    cloud.deploy(template=TEMPLATE, config_env="dr")
    snapshot_timings(cloud, create_seconds=CREATE_SECONDS, copy_seconds=COPY_SECONDS)
    ec2, dr_ec2 = cloud.client("ec2"), cloud.client("ec2", region=DR)
    volume = ec2.create_volume(
        Size=100,
        AvailabilityZone=f"{PRIMARY}a",
        TagSpecifications=[
            {
                "ResourceType": "volume",
                "Tags": [
                    {"Key": "Name", "Value": "orders-db"},
                    {"Key": "team", "Value": "payments"},
                    {"Key": "backup", "Value": "nightly"},  # SnapshotVolumeSelector selects it
                ],
            }
        ],
    )["VolumeId"]
    managed = [
        ("steward:managed-by", "steward"),
        ("steward:source-volume", volume),
        ("steward:source-region", PRIMARY),
    ]
    for day in range(1, 10):
        old = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
        ec2.create_tags(Resources=[old], Tags=[{"Key": k, "Value": v} for k, v in managed])
        _age(cloud, PRIMARY, old, day)
    hand_made = ec2.create_snapshot(VolumeId=volume, Description="before the schema migration")[
        "SnapshotId"
    ]
    _age(cloud, PRIMARY, hand_made, 40)
    report.step(
        f"volume {volume} (orders-db, backup=nightly) has 9 nightly snapshots an earlier Steward "
        "tagged, and one made by hand"
    )
    preview = cloud.invoke("SnapshotAdoptFunction", {})
    expect(
        preview["dry_run"] and preview["counts"][PRIMARY]["adopted"] == 9,
        f"the adoption dry run found {preview['counts']}",
    )
    report.detail(
        "tags are no authority: the adoption run (a dry run first) would record "
        f"{preview['counts'][PRIMARY]['adopted']} of them as Steward's"
    )
    adopted = cloud.invoke("SnapshotAdoptFunction", {"dry_run": False})
    report.detail(f"adopted {adopted['counts'][PRIMARY]['adopted']}: retention may delete them now")

    new = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    pass_time(cloud, CREATE_SECONDS)
    cloud.wait_idle(timeout=60)
    [notification] = service_events(cloud, "EBS Snapshot Notification")
    report.step(
        f"tonight's snapshot {new} completes: EC2 sends EBS Snapshot Notification "
        f"{notification['detail']['event']} {notification['detail']['result']}"
    )
    [execution] = cloud.executions("SnapshotPrimaryStateMachine")
    report.step("SnapshotPrimaryStateMachine")
    report.execution(execution)
    expect(
        execution["status"] == "SUCCEEDED",
        f"primary run {execution['status']}: {execution['cause']}",
    )
    left = _managed(ec2, volume)
    expect(len(left) == 7 and new in left, f"{len(left)} managed snapshots left")
    expect(
        bool(ec2.describe_snapshots(SnapshotIds=[hand_made])["Snapshots"]),
        "the hand-made one is gone",
    )
    report.detail(f"kept 7 managed snapshots, the hand-made {hand_made} untouched")

    [copy] = dr_ec2.describe_snapshots(
        OwnerIds=["self"], Filters=[{"Name": "tag:steward:source-snapshot", "Values": [new]}]
    )["Snapshots"]
    tags = {t["Key"]: t["Value"] for t in copy["Tags"]}
    report.step(f"DR copy {copy['SnapshotId']} in {DR}: {copy['Description']}")
    report.detail(
        f"tags: team={tags.get('team')}, Name={tags.get('Name')}, retention={tags.get('steward:retention')}"
    )

    report.detail(f"the copy is {copy['State']}: a copy takes time")
    pass_time(cloud, COPY_SECONDS)
    report.step(
        "the copy completes in the DR region: EC2's copySnapshot succeeded starts "
        "SnapshotDrStateMachine"
    )
    cloud.wait_idle(timeout=60)
    [dr_run] = cloud.executions("SnapshotDrStateMachine", region=DR)
    report.execution(dr_run)
    expect(dr_run["status"] == "SUCCEEDED", f"DR run {dr_run['status']}")

    report.step("the same event is delivered again (EventBridge is at-least-once)")
    cloud.put_events(
        [
            _entry(
                "create_snapshot_succeeded",
                snapshot_id=notification["detail"]["snapshot_id"],
                source=notification["detail"]["source"],
            )
        ]
    )
    cloud.wait_idle(timeout=60)
    copies = dr_ec2.describe_snapshots(
        OwnerIds=["self"], Filters=[{"Name": "tag:steward:source-snapshot", "Values": [new]}]
    )["Snapshots"]
    expect(len(copies) == 1 and _managed(ec2, volume) == left, "the repeat changed something")
    report.detail("nothing changed: still one DR copy, the same 7 snapshots")


SCENARIO = Scenario(
    name="ebs_snapshots",
    title="EBS snapshots: tag, retain 7, copy to DR, retain in DR",
    run=run,
    enables=("EnableSnapshotManagement",),
    parameters={"SnapshotDrRegion": DR, "SnapshotVolumeSelector": "backup=nightly"},
    order=30,
)
