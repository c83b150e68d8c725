"""EBS snapshot management end to end, primary and DR stacks, on the local cloud."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ebs_snapshots import ebs
from ebs_snapshots.ownership import OwnershipTable, Record
from localcloud import LocalCloud
from localcloud.testing import (
    TopicTap,
    pass_time,
    service_events,
    set_snapshot_archived,
    set_snapshot_start_time,
    snapshot_timings,
)
from tests.support.events import load_event
from tests.support.paths import TEMPLATE
from tests.support.taps import drain

PRIMARY, DR = "us-east-1", "us-west-2"
CREATE_SECONDS, COPY_SECONDS = 30, 600  # how long a snapshot and a copy take on the clock
SELECTOR = "backup"  # the tests' SnapshotVolumeSelector, unless a test sets its own
SELECTED = {"backup": "daily"}  # what volume() tags a volume with, unless told otherwise


@pytest.fixture
def clouds(stack: Any) -> Any:
    """The primary stack (config env default, DR region us-west-2, volumes tagged `backup`
    selected) and the DR stack."""

    def start(**parameters: str) -> LocalCloud:
        parameters = {"SnapshotVolumeSelector": SELECTOR, **parameters}
        cloud: LocalCloud = stack(
            "EnableSnapshotManagement", **{"SnapshotDrRegion": DR, **parameters}
        )
        cloud.deploy(template=TEMPLATE, config_env="dr", parameters=parameters)
        snapshot_timings(cloud, create_seconds=CREATE_SECONDS, copy_seconds=COPY_SECONDS)
        return cloud

    return start


def volume(cloud: LocalCloud, *, selected: bool = True, **tags: str) -> str:
    tags = {**(SELECTED if selected else {}), **tags}
    spec = (
        [{"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
        if tags
        else []
    )
    return str(
        cloud.client("ec2").create_volume(
            Size=8, AvailabilityZone=f"{PRIMARY}a", TagSpecifications=spec
        )["VolumeId"]
    )


def snapshot(
    cloud: LocalCloud,
    volume_id: str,
    *,
    age_days: float = 0,
    region: str = PRIMARY,
    tags: dict[str, str] | None = None,
) -> str:
    ec2 = cloud.client("ec2", region=region)
    snap_id = (
        str(ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"])
        if region == PRIMARY
        else str(
            ec2.copy_snapshot(
                SourceRegion=PRIMARY, SourceSnapshotId=_any_primary(cloud, volume_id)
            )["SnapshotId"]
        )
    )
    started = datetime.now(UTC) - timedelta(days=age_days)
    set_snapshot_start_time(cloud, snap_id, started, region=region)
    if tags:
        ec2.create_tags(Resources=[snap_id], Tags=ebs.as_tag_list(tags))
    return snap_id


def _any_primary(cloud: LocalCloud, volume_id: str) -> str:
    found = cloud.client("ec2").describe_snapshots(
        OwnerIds=["self"], Filters=[{"Name": "volume-id", "Values": [volume_id]}]
    )
    return str(found["Snapshots"][0]["SnapshotId"])


def managed(volume_id: str, region: str = PRIMARY) -> dict[str, str]:
    return {
        ebs.MANAGED_BY: ebs.MANAGED_VALUE,
        ebs.SOURCE_VOLUME: volume_id,
        ebs.SOURCE_REGION: PRIMARY,
    }


def ownership(cloud: LocalCloud, region: str = PRIMARY) -> OwnershipTable:
    """The stack's ownership table in that region (the primary stack's or the DR stack's)."""
    stack = "steward" if region == PRIMARY else "steward-dr"
    return OwnershipTable(cloud.client("dynamodb", region=region), f"{stack}-snapshot-ownership")


def record(cloud: LocalCloud, snapshot_id: str, volume_id: str, region: str = PRIMARY) -> None:
    """Record a snapshot as Steward's, as an earlier run of Steward did."""
    ownership(cloud, region).record(
        Record(
            snapshot_id,
            volume_id,
            kind="snapshot" if region == PRIMARY else "copy",
            source_region=PRIMARY,
            recorded_at=(datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="seconds"),
        )
    )


def history(cloud: LocalCloud, volume_id: str, count: int, region: str = PRIMARY) -> list[str]:
    """`count` snapshots of earlier days that Steward tagged and recorded, oldest last."""
    made = [
        snapshot(cloud, volume_id, age_days=day + 1, region=region, tags=managed(volume_id))
        for day in range(count)
    ]
    for snapshot_id in made:
        record(cloud, snapshot_id, volume_id, region)
    return made


def entry(name: str, region: str = PRIMARY, **detail: Any) -> dict[str, Any]:
    event = load_event(f"ebs_snapshots/{name}.json")
    return {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps({**event["detail"], **detail}),
        "Resources": event["resources"],
    }


def created(snapshot_id: str, volume_id: str) -> dict[str, Any]:
    return entry(
        "create_snapshot_succeeded",
        snapshot_id=f"arn:aws:ec2::{PRIMARY}:snapshot/{snapshot_id}",
        source=f"arn:aws:ec2::{PRIMARY}:volume/{volume_id}",
    )


def described_state(cloud: LocalCloud, snapshot_id: str, region: str = PRIMARY) -> str:
    [found] = cloud.client("ec2", region=region).describe_snapshots(SnapshotIds=[snapshot_id])[
        "Snapshots"
    ]
    return str(found["State"])


def snapshots_of(
    cloud: LocalCloud, volume_id: str, region: str = PRIMARY
) -> dict[str, dict[str, str]]:
    ec2 = cloud.client("ec2", region=region)
    found = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    return {
        s["SnapshotId"]: ebs.tags_of(s)
        for s in found
        if s.get("VolumeId") == volume_id or ebs.tags_of(s).get(ebs.SOURCE_VOLUME) == volume_id
    }


def dr_copies(cloud: LocalCloud, source_id: str) -> list[str]:
    found = cloud.client("ec2", region=DR).describe_snapshots(
        OwnerIds=["self"], Filters=[{"Name": f"tag:{ebs.SOURCE_SNAPSHOT}", "Values": [source_id]}]
    )
    return [s["SnapshotId"] for s in found["Snapshots"]]


def test_a_new_snapshot_is_tagged_retained_and_copied_and_the_dr_stack_retains_the_copies(
    clouds: Any,
) -> None:
    cloud = clouds()
    vol = volume(cloud, team="web", Name="db")
    old = history(cloud, vol, 10)
    new = snapshot(cloud, vol)
    cloud.put_events([created(new, vol)])
    cloud.wait_idle(timeout=60)
    [execution] = cloud.executions("SnapshotPrimaryStateMachine")
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    remaining = snapshots_of(cloud, vol)
    assert set(remaining) == {new, *old[:6]}  # the newest 7: the new one and 6 of the latest days
    tags = remaining[new]
    assert tags["team"] == "web" and tags["Name"] == "db"
    assert tags[ebs.MANAGED_BY] == "steward" and tags[ebs.SOURCE_VOLUME] == vol
    assert tags[ebs.SOURCE_REGION] == PRIMARY and tags[ebs.RETENTION] == "7"
    [copy] = dr_copies(cloud, new)
    copy_tags = snapshots_of(cloud, vol, region=DR)[copy]
    assert copy_tags["team"] == "web" and copy_tags[ebs.SOURCE_SNAPSHOT] == new
    description = cloud.client("ec2", region=DR).describe_snapshots(SnapshotIds=[copy])[
        "Snapshots"
    ][0]["Description"]
    assert new in description and PRIMARY in description

    # The DR stack: older copies of the same volume exist there. The new copy is pending (a copy
    # takes time on AWS); once it completes, EC2's copySnapshot notification starts the machine.
    assert described_state(cloud, copy, DR) == "pending"
    older_copies = history(cloud, vol, 9, region=DR)
    pass_time(cloud, COPY_SECONDS)
    cloud.wait_idle(timeout=60)
    [dr_run] = cloud.executions("SnapshotDrStateMachine", region=DR)
    assert dr_run["status"] == "SUCCEEDED", dr_run["cause"]
    assert set(snapshots_of(cloud, vol, region=DR)) == {copy, *older_copies[:6]}


def test_copies_are_re_encrypted_with_the_dr_key_with_iam_enforced(clouds: Any) -> None:
    # EC2 uses the DR key on the copy function's behalf (kms:CreateGrant, kms:Decrypt,
    # kms:DescribeKey, kms:GenerateDataKeyWithoutPlaintext, kms:ReEncrypt* via
    # ec2.<region>.amazonaws.com): the copy succeeds only if the function's role has them.
    cloud = clouds(SnapshotKmsKeyId="alias/steward-dr")
    kms = cloud.client("kms", region=DR)
    key = kms.create_key(Description="DR copies")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/steward-dr", TargetKeyId=key)
    vol = volume(cloud)
    new = snapshot(cloud, vol)
    cloud.put_events([created(new, vol)])
    cloud.wait_idle(timeout=60)
    [execution] = cloud.executions("SnapshotPrimaryStateMachine")
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    [copy] = dr_copies(cloud, new)
    [described] = cloud.client("ec2", region=DR).describe_snapshots(SnapshotIds=[copy])["Snapshots"]
    assert described["Encrypted"]
    assert not [d for d in cloud.iam.denials if d.action.startswith("kms:")]


def test_the_same_event_twice_makes_no_second_copy_and_no_extra_deletion(clouds: Any) -> None:
    cloud = clouds()
    vol = volume(cloud)
    history(cloud, vol, 8)
    new = snapshot(cloud, vol)
    cloud.put_events([created(new, vol)])
    cloud.wait_idle(timeout=60)
    after_first = snapshots_of(cloud, vol)
    cloud.put_events([created(new, vol)])
    cloud.wait_idle(timeout=60)
    assert [e["status"] for e in cloud.executions("SnapshotPrimaryStateMachine")] == [
        "SUCCEEDED"
    ] * 2
    assert snapshots_of(cloud, vol) == after_first
    assert len(dr_copies(cloud, new)) == 1


def test_hand_made_dlm_and_backup_snapshots_are_never_touched(clouds: Any) -> None:
    cloud = clouds(SnapshotRetainCount="2")
    vol = volume(cloud)
    by_hand = [snapshot(cloud, vol, age_days=30 + d) for d in range(3)]
    dlm = snapshot(cloud, vol, tags={"aws:dlm:lifecycle-policy-id": "policy-0123"})
    backup = snapshot(cloud, vol, tags={"aws:backup:source-resource": vol})
    cloud.put_events([created(dlm, vol), created(backup, vol)])
    cloud.wait_idle(timeout=60)
    runs = cloud.executions("SnapshotPrimaryStateMachine")
    assert [r["status"] for r in runs] == ["SUCCEEDED", "SUCCEEDED"]
    assert all("SucceedStateEntered" in [h["type"] for h in r["history"]] for r in runs)
    left = snapshots_of(cloud, vol)
    assert set(by_hand) | {dlm, backup} <= set(left)
    assert all(ebs.MANAGED_BY not in tags for tags in left.values())
    # a managed run of the same volume still leaves them alone
    history(cloud, vol, 3)
    new = snapshot(cloud, vol)
    cloud.put_events([created(new, vol)])
    cloud.wait_idle(timeout=60)
    assert set(by_hand) | {dlm, backup, new} <= set(snapshots_of(cloud, vol))


def test_two_snapshots_completing_together_never_leave_fewer_than_n(clouds: Any) -> None:
    cloud = clouds(SnapshotRetainCount="5", SnapshotDrRegion="")
    vol = volume(cloud)
    history(cloud, vol, 8)
    first, second = snapshot(cloud, vol), snapshot(cloud, vol)
    cloud.put_events([created(first, vol), created(second, vol)])
    cloud.wait_idle(timeout=60)
    runs = cloud.executions("SnapshotPrimaryStateMachine")
    assert [r["status"] for r in runs] == ["SUCCEEDED", "SUCCEEDED"]
    left = [s for s, tags in snapshots_of(cloud, vol).items() if tags.get(ebs.MANAGED_BY)]
    assert len(left) >= 5 and {first, second} <= set(left)


def test_a_snapshot_used_by_an_ami_is_skipped_and_listed(clouds: Any) -> None:
    cloud = clouds(SnapshotRetainCount="2", SnapshotDrRegion="")
    vol = volume(cloud)
    history(cloud, vol, 2)
    ec2 = cloud.client("ec2")
    image = ec2.register_image(Name="golden", RootDeviceName="/dev/xvda")["ImageId"]
    [mapping] = ec2.describe_images(ImageIds=[image])["Images"][0]["BlockDeviceMappings"]
    in_use = mapping["Ebs"]["SnapshotId"]  # the AMI's snapshot, made into an old managed one
    ec2.create_tags(Resources=[in_use], Tags=ebs.as_tag_list(managed(vol)))
    record(cloud, in_use, vol)
    set_snapshot_start_time(cloud, in_use, datetime(2020, 1, 1, tzinfo=UTC), region=PRIMARY)
    new = snapshot(cloud, vol)
    cloud.put_events([created(new, vol)])
    cloud.wait_idle(timeout=60)
    [run] = cloud.executions("SnapshotPrimaryStateMachine")
    assert run["status"] == "SUCCEEDED"
    retained = [
        json.loads(h["stateExitedEventDetails"]["output"])
        for h in run["history"]
        if h.get("stateExitedEventDetails", {}).get("name") == "Retain"
    ]
    assert retained[0]["retention"]["in_use"] == [in_use]
    assert in_use in snapshots_of(cloud, vol)


def test_dry_run_reports_what_it_would_delete_and_deletes_nothing(clouds: Any) -> None:
    cloud = clouds(SnapshotDryRun="true", SnapshotDrRegion="")
    vol = volume(cloud)
    old = history(cloud, vol, 9)
    new = snapshot(cloud, vol)
    cloud.put_events([created(new, vol)])
    cloud.wait_idle(timeout=60)
    assert set(old) | {new} <= set(snapshots_of(cloud, vol))
    [run] = cloud.executions("SnapshotPrimaryStateMachine")
    retained = [
        json.loads(h["stateExitedEventDetails"]["output"])
        for h in run["history"]
        if h.get("stateExitedEventDetails", {}).get("name") == "Retain"
    ]
    assert retained[0]["retention"]["would_delete"] == old[6:]


def test_a_volume_selector_leaves_other_volumes_alone(clouds: Any) -> None:
    cloud = clouds(SnapshotVolumeSelector="backup=daily", SnapshotDrRegion="")
    chosen, other = volume(cloud), volume(cloud, backup="never")
    new_chosen, new_other = snapshot(cloud, chosen), snapshot(cloud, other)
    cloud.put_events([created(new_chosen, chosen), created(new_other, other)])
    cloud.wait_idle(timeout=60)
    assert [r["status"] for r in cloud.executions("SnapshotPrimaryStateMachine")] == [
        "SUCCEEDED"
    ] * 2
    assert snapshots_of(cloud, chosen)[new_chosen].get(ebs.MANAGED_BY) == "steward"
    assert ebs.MANAGED_BY not in snapshots_of(cloud, other)[new_other]


def test_a_failure_ends_the_execution_failed_with_one_readable_alert(clouds: Any) -> None:
    cloud = clouds(SnapshotDrRegion="")
    alerts = TopicTap(cloud, "AlertTopic")
    vol = volume(cloud)
    cloud.put_events([created("snap-0badc0ffee0000000", vol)])
    cloud.wait_idle(timeout=60)
    [run] = cloud.executions("SnapshotPrimaryStateMachine")
    assert (run["status"], run["error"]) == ("FAILED", "SnapshotManagementFailed")
    [alert] = alerts.messages()
    assert "FAILED at Tag" in alert["Subject"]
    body = json.loads(alert["Message"])
    assert body["snapshot"] == "snap-0badc0ffee0000000" and body["volume"] == vol
    assert body["error"] == "SnapshotNotFoundError" and "does not exist" in body["cause"]
    assert body["execution"] == run["arn"] and body["link"].startswith(
        f"https://{PRIMARY}.console.aws.amazon.com/states/"
    )


def test_a_failed_snapshot_event_starts_nothing(clouds: Any) -> None:
    cloud = clouds()
    event = load_event("ebs_snapshots/create_snapshot_failed.json")
    cloud.put_events(
        [
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
            }
        ]
    )
    cloud.wait_idle(timeout=30)
    assert cloud.executions("SnapshotPrimaryStateMachine") == []


def test_a_multi_volume_create_snapshots_event_manages_each_snapshot(clouds: Any) -> None:
    cloud = clouds(SnapshotDrRegion="")
    first_volume, second_volume = volume(cloud), volume(cloud)
    first, second = snapshot(cloud, first_volume), snapshot(cloud, second_volume)
    cloud.put_events(
        [
            entry(
                "create_snapshots_succeeded",
                snapshots=[
                    {
                        "snapshot_id": f"arn:aws:ec2::{PRIMARY}:snapshot/{first}",
                        "source": f"arn:aws:ec2::{PRIMARY}:volume/{first_volume}",
                        "status": "completed",
                    },
                    {
                        "snapshot_id": f"arn:aws:ec2::{PRIMARY}:snapshot/{second}",
                        "source": f"arn:aws:ec2::{PRIMARY}:volume/{second_volume}",
                        "status": "completed",
                    },
                ],
            )
        ]
    )
    cloud.wait_idle(timeout=60)
    [run] = cloud.executions("SnapshotPrimaryStateMachine")
    assert run["status"] == "SUCCEEDED"
    assert snapshots_of(cloud, first_volume)[first][ebs.SOURCE_VOLUME] == first_volume
    assert snapshots_of(cloud, second_volume)[second][ebs.SOURCE_VOLUME] == second_volume


def test_a_snapshot_made_with_the_ec2_api_starts_the_machines_through_ec2s_own_events(
    clouds: Any,
) -> None:
    # No hand-made event: CreateSnapshot with a plain client; EC2 sends "EBS Snapshot
    # Notification" createSnapshot succeeded once the snapshot completes, which starts
    # SnapshotPrimaryStateMachine; its copy completes in the DR region and EC2's copySnapshot
    # succeeded starts SnapshotDrStateMachine there.
    cloud = clouds()
    vol = volume(cloud, team="web", Name="db")
    new = cloud.client("ec2").create_snapshot(VolumeId=vol)["SnapshotId"]
    cloud.wait_idle(timeout=60)
    assert cloud.executions("SnapshotPrimaryStateMachine") == []  # still pending
    pass_time(cloud, CREATE_SECONDS)
    cloud.wait_idle(timeout=60)
    [run] = cloud.executions("SnapshotPrimaryStateMachine")
    assert run["status"] == "SUCCEEDED", run["cause"]
    assert run["input"]["detail"]["snapshot_id"] == f"arn:aws:ec2:{PRIMARY}::snapshot/{new}"
    tags = snapshots_of(cloud, vol)[new]
    assert tags[ebs.MANAGED_BY] == "steward" and tags["team"] == "web"
    [copy] = dr_copies(cloud, new)
    assert described_state(cloud, copy, DR) == "pending"
    assert cloud.executions("SnapshotDrStateMachine", region=DR) == []
    pass_time(cloud, COPY_SECONDS)
    cloud.wait_idle(timeout=60)
    [dr_run] = cloud.executions("SnapshotDrStateMachine", region=DR)
    assert dr_run["status"] == "SUCCEEDED", dr_run["cause"]
    assert snapshots_of(cloud, vol, region=DR)[copy][ebs.RETENTION] == "7"
    # (the stack's CloudWatch alarms send their own state changes)
    sent = [
        (e["region"], e["detail"]["event"])
        for e in service_events(cloud)
        if e["source"] == "aws.ec2"
    ]
    assert sent == [(PRIMARY, "createSnapshot"), (DR, "copySnapshot")]


def test_a_multi_volume_set_with_one_missing_snapshot_manages_the_other_seven_and_reports_it(
    clouds: Any,
) -> None:
    """On AWS a failed inline Map iteration stops the others ("If any iteration fails, the
    entire Map state fails"): each snapshot here catches its own failure, and the run reports
    every failed one in one alert after the others are done."""
    cloud = clouds()
    alerts = TopicTap(cloud, "AlertTopic")
    volumes = [volume(cloud) for _ in range(8)]
    # The missing one first: the others are still to run when it fails.
    snaps = ["snap-0badc0ffee0000000"] + [snapshot(cloud, v) for v in volumes[1:]]
    pass_time(cloud, CREATE_SECONDS)
    items = [
        {
            "snapshot_id": f"arn:aws:ec2::{PRIMARY}:snapshot/{s}",
            "source": f"arn:aws:ec2::{PRIMARY}:volume/{v}",
            "status": "completed",
        }
        for s, v in zip(snaps, volumes, strict=True)
    ]
    cloud.put_events([entry("create_snapshots_succeeded", snapshots=items)])
    cloud.wait_idle(timeout=120)
    [run] = cloud.executions("SnapshotPrimaryStateMachine")
    assert (run["status"], run["error"]) == ("FAILED", "SnapshotManagementFailed")
    for snap, vol in zip(snaps[1:], volumes[1:], strict=True):
        assert snapshots_of(cloud, vol)[snap].get(ebs.MANAGED_BY) == "steward"
        assert len(dr_copies(cloud, snap)) == 1  # copied to the DR region
    [alert] = alerts.messages()
    body = json.loads(alert["Message"])
    assert (body["failed"], body["total"]) == (1, 8)
    [failure] = body["failures"]
    assert (failure["snapshot"], failure["volume"], failure["state"]) == (
        "snap-0badc0ffee0000000",
        volumes[0],
        "Tag",
    )
    assert failure["error"] == "SnapshotNotFoundError"


def _a_copy_that_fails_later(cloud: LocalCloud) -> tuple[str, str]:
    """(volume, snapshot) whose DR copy EC2 accepts and then fails: the DR key is disabled
    before EC2 gets to it."""
    kms = cloud.client("kms", region=DR)
    key = kms.create_key(Description="DR copies")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/steward-dr", TargetKeyId=key)
    vol = volume(cloud)
    new = snapshot(cloud, vol)
    cloud.put_events([created(new, vol)])
    cloud.wait_idle(timeout=60)
    [execution] = cloud.executions("SnapshotPrimaryStateMachine")
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    kms.disable_key(KeyId=key.split("/")[-1])
    pass_time(cloud, COPY_SECONDS)
    cloud.wait_idle(timeout=60)
    return vol, new


def test_a_dr_copy_that_fails_later_raises_exactly_one_alert_naming_its_source(
    clouds: Any,
) -> None:
    """The copy is accepted (the primary run succeeds) and fails when EC2 cannot use the DR
    key: "the snapshot copy may appear to complete, but eventually fail" (EBS User Guide,
    copying a snapshot); EC2's failed copySnapshot notification in the DR region raises the
    DR stack's one alert."""
    cloud = clouds(SnapshotKmsKeyId="alias/steward-dr")
    dr_alerts = TopicTap(cloud, "AlertTopic", name="tap-dr", region=DR)
    primary_alerts = TopicTap(cloud, "AlertTopic")
    vol, new = _a_copy_that_fails_later(cloud)
    [copy] = dr_copies(cloud, new)
    assert described_state(cloud, copy, DR) == "error"
    [alert] = dr_alerts.messages()
    body = json.loads(alert["Message"])
    assert (body["stage"], body["snapshot"], body["copy"]) == ("dr-copy", new, copy)
    assert body["volume"] == vol and "disabled" in body["cause"]
    assert primary_alerts.messages() == []
    assert cloud.executions("SnapshotDrStateMachine", region=DR) == []  # nothing to retain


def test_a_copy_failure_the_dr_stack_cannot_publish_waits_in_its_failed_invocations_queue(
    clouds: Any,
) -> None:
    """The DR stack's topics' key disabled too: SnapshotNotifyFunction's Publish fails, and
    after Lambda's retries its OnFailure destination keeps EC2's notification."""
    cloud = clouds(SnapshotKmsKeyId="alias/steward-dr")
    cloud.client("kms", region=DR).disable_key(KeyId=cloud.physical_id("TopicKey", region=DR))
    _, new = _a_copy_that_fails_later(cloud)
    [record] = drain(cloud, "FailedInvocationsQueue", region=DR)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"]["item"]["detail"]["source"].endswith(new)


def test_a_failed_copy_someone_else_made_raises_no_alert(clouds: Any) -> None:
    cloud = clouds()
    kms = cloud.client("kms", region=DR)
    key = kms.create_key(Description="theirs")["KeyMetadata"]["Arn"]
    dr_alerts = TopicTap(cloud, "AlertTopic", name="tap-dr", region=DR)
    vol = volume(cloud)
    theirs = snapshot(cloud, vol)
    pass_time(cloud, CREATE_SECONDS)
    kms.disable_key(KeyId=key.split("/")[-1])
    cloud.client("ec2", region=DR).copy_snapshot(
        SourceRegion=PRIMARY, SourceSnapshotId=theirs, Encrypted=True, KmsKeyId=key
    )
    pass_time(cloud, COPY_SECONDS)
    cloud.wait_idle(timeout=60)
    assert dr_alerts.messages() == []
    # EC2's failed notification did reach the DR stack, which found the copy not Steward's.
    logged = cloud.function_log("SnapshotNotifyFunction", region=DR)
    assert any("a failed copy Steward did not make" in line for line in logged)


def test_locked_and_archived_snapshots_are_skipped_listed_and_never_an_error(
    clouds: Any,
) -> None:
    cloud = clouds(SnapshotDrRegion="")
    ec2 = cloud.client("ec2")
    vol = volume(cloud)
    older = history(cloud, vol, 9)  # newest first: with the new one, 10 for a retain of 7
    pass_time(cloud, CREATE_SECONDS)
    ec2.lock_snapshot(SnapshotId=older[-1], LockMode="governance", LockDuration=30)
    ec2.modify_snapshot_tier(SnapshotId=older[-2], StorageTier="archive")
    pass_time(cloud, 2 * 86400)  # archiving takes its time
    new = snapshot(cloud, vol)
    cloud.put_events([created(new, vol)])
    cloud.wait_idle(timeout=60)
    [run] = cloud.executions("SnapshotPrimaryStateMachine")
    assert run["status"] == "SUCCEEDED", run["cause"]
    left = set(snapshots_of(cloud, vol))
    assert older[-1] in left  # locked: still there
    assert older[-2] in left  # archived: neither counted nor deleted
    # 7 kept besides the archived one: the new one and the 6 newest of the history; the
    # locked one would have gone by count
    assert left == {new, *older[:6], older[-2], older[-1]}


def test_age_retention_deletes_an_archived_snapshot_only_after_its_90_days_in_the_archive(
    clouds: Any,
) -> None:
    """ "The minimum archive period is 90 days. If you delete [...] an archived snapshot before
    the minimum archive period of 90 days, you are billed a pro-rated charge [...] for the
    remaining days" (EBS User Guide, "Pricing and billing for archiving Amazon EBS snapshots").
    With SnapshotArchiveAgeDeletion, age retention deletes an archived snapshot only after."""
    cloud = clouds(SnapshotRetainDays="60", SnapshotArchiveAgeDeletion="true", SnapshotDrRegion="")
    vol = volume(cloud)
    recent = history(cloud, vol, 2)
    long_archived, lately_archived = (
        snapshot(cloud, vol, age_days=200, tags=managed(vol)) for _ in range(2)
    )
    for snap, archived_days in ((long_archived, 100), (lately_archived, 30)):
        record(cloud, snap, vol)
        set_snapshot_archived(cloud, snap, datetime.now(UTC) - timedelta(days=archived_days))
    new = snapshot(cloud, vol)
    cloud.put_events([created(new, vol)])
    cloud.wait_idle(timeout=60)
    [run] = cloud.executions("SnapshotPrimaryStateMachine")
    assert run["status"] == "SUCCEEDED", run["cause"]
    [output] = _retain_outputs(run)
    assert output["retention"]["deleted"] == [long_archived]
    assert output["retention"]["archived"] == [lately_archived]
    assert set(snapshots_of(cloud, vol)) == {new, *recent, lately_archived}


def test_thirty_copies_against_the_quota_of_twenty_all_complete(clouds: Any) -> None:
    """EC2 allows 20 concurrent snapshot copies per destination region (the local cloud's
    ResourceLimitExceeded beyond it); a copy takes hours, so the ten refused ones wait for a
    slot (15-minute waits) instead of failing after a few minutes of retries."""
    cloud = clouds()
    hours = 40 * 60  # longer than a retry schedule alone waits (the old one: about 23 minutes)
    snapshot_timings(cloud, create_seconds=CREATE_SECONDS, copy_seconds=hours)
    pairs = [(vol, snapshot(cloud, vol)) for vol in (volume(cloud) for _ in range(30))]
    pass_time(cloud, CREATE_SECONDS)
    for start in range(0, 30, 10):  # PutEvents takes up to 10 entries
        cloud.put_events([created(snap, vol) for vol, snap in pairs[start : start + 10]])
    cloud.wait_idle(timeout=300)
    runs = cloud.executions("SnapshotPrimaryStateMachine")
    assert len(runs) == 30
    assert {r["status"] for r in runs} == {"SUCCEEDED"}, [r["cause"] for r in runs if r["cause"]]
    copies = [dr_copies(cloud, snap) for _, snap in pairs]
    assert all(len(c) == 1 for c in copies)
    pass_time(cloud, hours)
    cloud.wait_idle(timeout=120)
    assert {described_state(cloud, c[0], DR) for c in copies} == {"completed"}
    waited = [
        r
        for r in runs
        if any(
            e.get("stateEnteredEventDetails", {}).get("name") == "WaitForCopySlot"
            for e in cloud.client("stepfunctions").get_execution_history(
                executionArn=r["arn"], maxResults=1000
            )["events"]
        )
    ]
    # Some of the ten beyond the quota of 20 waited for a slot (how many depends on when the
    # shared clock let the first copies complete), and none failed for it.
    assert waited


# ------------------------------------------------------------------ ownership


def _retain_outputs(run: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        json.loads(h["stateExitedEventDetails"]["output"])
        for h in run["history"]
        if h.get("stateExitedEventDetails", {}).get("name") in ("Retain", "RetentionOff")
    ]


def test_with_no_selector_nothing_is_deleted_and_every_run_and_the_stack_say_so(
    clouds: Any,
) -> None:
    cloud = clouds(SnapshotVolumeSelector="", SnapshotDrRegion="")
    assert cloud.stack().outputs["SnapshotDeletion"].startswith("None: SnapshotVolumeSelector")
    vol = volume(cloud)
    # Tagged by an earlier Steward, whose tags were its authority: now they are not.
    earlier = [snapshot(cloud, vol, age_days=d + 1, tags=managed(vol)) for d in range(10)]
    new = snapshot(cloud, vol)
    cloud.put_events([created(new, vol)])
    cloud.wait_idle(timeout=60)
    [run] = cloud.executions("SnapshotPrimaryStateMachine")
    assert run["status"] == "SUCCEEDED", run["cause"]
    assert set(earlier) | {new} <= set(snapshots_of(cloud, vol))
    assert snapshots_of(cloud, vol)[new][ebs.MANAGED_BY] == "steward"  # tagged all the same
    [output] = _retain_outputs(run)
    assert output["retention"]["deleted"] == []
    assert "deletes none" in output["retention"]["note"]
    assert ownership(cloud).get(new) is None


def test_csi_driver_forged_and_unselected_snapshots_are_never_deleted(clouds: Any) -> None:
    cloud = clouds(SnapshotRetainCount="2", SnapshotDrRegion="")
    vol = volume(cloud)
    recorded = history(cloud, vol, 3)
    # A user who may tag but not delete writes Steward's own tags on an old snapshot.
    forged = snapshot(cloud, vol, age_days=40, tags=managed(vol))
    # The EBS CSI driver's snapshot of the same (selected) volume, and its notification.
    csi = snapshot(
        cloud,
        vol,
        age_days=20,
        tags={"CSIVolumeSnapshotName": "snapshot-0f1e", "ebs.csi.aws.com/cluster": "true"},
    )
    outside = volume(cloud, selected=False)
    outside_old = snapshot(cloud, outside, age_days=30, tags=managed(outside))
    outside_new = snapshot(cloud, outside)
    new = snapshot(cloud, vol)
    cloud.put_events([created(new, vol), created(csi, vol), created(outside_new, outside)])
    cloud.wait_idle(timeout=60)
    runs = cloud.executions("SnapshotPrimaryStateMachine")
    assert [r["status"] for r in runs] == ["SUCCEEDED"] * 3
    left = set(snapshots_of(cloud, vol))
    assert left == {new, recorded[0], forged, csi}  # the recorded ones beyond 2 went
    assert {outside_old, outside_new} <= set(snapshots_of(cloud, outside))
    assert ebs.MANAGED_BY not in snapshots_of(cloud, vol)[csi]


def test_adoption_reports_first_then_records_so_retention_applies_in_both_regions(
    clouds: Any,
) -> None:
    cloud = clouds(SnapshotRetainCount="2")
    vol = volume(cloud)
    earlier = [snapshot(cloud, vol, age_days=d + 1, tags=managed(vol)) for d in range(4)]
    copies = [
        snapshot(
            cloud,
            vol,
            age_days=d + 1,
            region=DR,
            tags={**managed(vol), ebs.SOURCE_SNAPSHOT: earlier[d], ebs.RETENTION: "2"},
        )
        for d in range(4)
    ]
    pass_time(cloud, COPY_SECONDS)
    cloud.wait_idle(timeout=60)
    report = cloud.invoke("SnapshotAdoptFunction", {})
    assert report["dry_run"] is True
    assert report["adopted"] == {PRIMARY: sorted(earlier), DR: sorted(copies)}
    assert ownership(cloud).get(earlier[0]) is None  # a dry run records nothing
    done = cloud.invoke("SnapshotAdoptFunction", {"dry_run": False})
    assert done["counts"] == {
        PRIMARY: {"adopted": 4, "not_adopted": 0},
        DR: {"adopted": 4, "not_adopted": 0},
    }
    new = snapshot(cloud, vol)
    cloud.put_events([created(new, vol)])
    cloud.wait_idle(timeout=60)
    [run] = cloud.executions("SnapshotPrimaryStateMachine")
    assert run["status"] == "SUCCEEDED", run["cause"]
    assert set(snapshots_of(cloud, vol)) == {new, earlier[0]}
    pass_time(cloud, COPY_SECONDS)
    cloud.wait_idle(timeout=60)
    [dr_run] = cloud.executions("SnapshotDrStateMachine", region=DR)
    assert dr_run["status"] == "SUCCEEDED", dr_run["cause"]
    [copy] = dr_copies(cloud, new)
    assert set(snapshots_of(cloud, vol, region=DR)) == {copy, copies[0]}


# ------------------------------------------------------------------ the schedule


def test_the_schedule_snapshots_the_selected_volumes_and_retention_keeps_n(clouds: Any) -> None:
    cloud = clouds(SnapshotSchedule="rate(1 day)", SnapshotRetainCount="2", SnapshotDrRegion="")
    chosen = [volume(cloud, team="db") for _ in range(2)]
    other = volume(cloud, selected=False)
    for _ in range(3):
        cloud.fire_schedule("SnapshotScheduleFunction")
        cloud.wait_idle(timeout=60)
        pass_time(cloud, CREATE_SECONDS)
        cloud.wait_idle(timeout=60)
        pass_time(cloud, 86400)
    runs = cloud.executions("SnapshotPrimaryStateMachine")
    assert len(runs) == 6 and {r["status"] for r in runs} == {"SUCCEEDED"}
    for vol in chosen:
        kept = snapshots_of(cloud, vol)
        assert len(kept) == 2
        assert all(t["team"] == "db" and t[ebs.MANAGED_BY] == "steward" for t in kept.values())
        assert all(ownership(cloud).get(s) is not None for s in kept)
    assert snapshots_of(cloud, other) == {}


def test_the_instance_schedule_takes_one_crash_consistent_set_of_the_selected_volumes(
    clouds: Any,
) -> None:
    cloud = clouds(
        SnapshotSchedule="rate(1 day)", SnapshotScheduleMode="instance", SnapshotDrRegion=""
    )
    ec2 = cloud.client("ec2")
    image = ec2.register_image(Name="base", RootDeviceName="/dev/xvda")["ImageId"]
    [instance] = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"]
    zone = instance["Placement"]["AvailabilityZone"]
    data = [
        ec2.create_volume(
            Size=8,
            AvailabilityZone=zone,
            TagSpecifications=[{"ResourceType": "volume", "Tags": ebs.as_tag_list(tags)}],
        )["VolumeId"]
        for tags in (SELECTED, {"team": "scratch"})
    ]
    for device, vol in zip(("/dev/sdf", "/dev/sdg"), data, strict=True):
        ec2.attach_volume(VolumeId=vol, InstanceId=instance["InstanceId"], Device=device)
    cloud.fire_schedule("SnapshotScheduleFunction")
    cloud.wait_idle(timeout=60)
    pass_time(cloud, CREATE_SECONDS)
    cloud.wait_idle(timeout=60)
    [run] = cloud.executions("SnapshotPrimaryStateMachine")
    assert run["status"] == "SUCCEEDED", run["cause"]
    assert run["input"]["detail-type"] == "EBS Multi-Volume Snapshots Completion Status"
    found = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    # the selected data volume only: not the scratch one, nor the root (the AMI's snapshot is
    # the other one found)
    [taken] = [s for s in found if s["Description"].startswith("Steward scheduled")]
    assert taken["VolumeId"] == data[0]
    assert ebs.tags_of(taken)[ebs.SOURCE_VOLUME] == data[0]
    assert ownership(cloud).get(taken["SnapshotId"]) is not None


def test_a_schedule_without_a_selector_fails_and_its_event_waits_in_the_failed_invocations_queue(
    clouds: Any,
) -> None:
    """SnapshotSchedule snapshots the selected volumes: with no selector it refuses
    (ConfigurationError), and after Lambda's retries its OnFailure destination keeps the
    scheduled event, which the queue's alarm reports."""
    cloud = clouds(SnapshotSchedule="rate(1 day)", SnapshotVolumeSelector="", SnapshotDrRegion="")
    volume(cloud)
    cloud.fire_schedule("SnapshotScheduleFunction")
    cloud.wait_idle(timeout=120)  # the invocation and Lambda's two retries
    [record] = drain(cloud, "FailedInvocationsQueue")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responsePayload"]["errorType"] == "ConfigurationError"
    assert record["requestPayload"]["detail-type"] == "Scheduled Event"
    assert cloud.client("ec2").describe_snapshots(OwnerIds=["self"])["Snapshots"] == []
