"""EC2's EBS snapshots as AWS documents them: they take time, they send their completion
notifications, copies have a quota and fail on an unusable key, locks and the archive tier
refuse what AWS refuses. Each test quotes the page it models."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud, testing

EVENTS_PAGE = "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html"
PRIMARY, DR = "us-east-1", "us-west-2"


def error_code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return str(raised.value.response["Error"]["Code"])


def volume(cloud: LocalCloud, region: str = PRIMARY) -> str:
    ec2 = cloud.client("ec2", region=region)
    return str(ec2.create_volume(Size=8, AvailabilityZone=f"{region}a")["VolumeId"])


def described(cloud: LocalCloud, snapshot_id: str, region: str = PRIMARY) -> dict[str, Any]:
    ec2 = cloud.client("ec2", region=region)
    [snapshot] = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    return dict(snapshot)


def completed_snapshot(cloud: LocalCloud, region: str = PRIMARY) -> str:
    ec2 = cloud.client("ec2", region=region)
    snapshot_id = str(ec2.create_snapshot(VolumeId=volume(cloud, region))["SnapshotId"])
    testing.pass_time(cloud, 5)
    cloud.wait_idle()
    assert described(cloud, snapshot_id, region)["State"] == "completed"
    return snapshot_id


# ------------------------------------------------------------------ pending, then completed


def test_a_snapshot_is_pending_until_its_time_has_passed_on_the_clock(cloud: LocalCloud) -> None:
    # "Snapshots occur asynchronously; the point-in-time snapshot is created immediately, but
    # the status of the snapshot is pending until the snapshot is complete (when all of the
    # modified blocks have been transferred to Amazon S3)" (CreateSnapshot, EC2 API Reference,
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSnapshot.html).
    testing.snapshot_timings(cloud, create_seconds=120)
    ec2 = cloud.client("ec2")
    answer = ec2.create_snapshot(VolumeId=volume(cloud))
    assert (answer["State"], answer["Progress"]) == ("pending", "0%")
    testing.pass_time(cloud, 60)
    cloud.wait_idle()
    assert described(cloud, answer["SnapshotId"])["State"] == "pending"
    testing.pass_time(cloud, 60)
    cloud.wait_idle()
    snapshot = described(cloud, answer["SnapshotId"])
    assert (snapshot["State"], snapshot["Progress"]) == ("completed", "100%")


def test_a_completed_snapshot_sends_the_create_snapshot_notification(cloud: LocalCloud) -> None:
    # "The createSnapshot event is sent to your AWS account when an action to create a
    # snapshot completes. [...] In the detail section, the source field contains the ARN of
    # the source volume. The startTime and endTime fields indicate when creation of the
    # snapshot started and completed." (EVENTS_PAGE, #create-snapshot-complete). Its example:
    # detail-type "EBS Snapshot Notification", resources and snapshot_id
    # "arn:aws:ec2:us-west-2::snapshot/snap-01234567", request-id "".
    ec2 = cloud.client("ec2")
    vol = volume(cloud)
    snapshot_id = ec2.create_snapshot(VolumeId=vol)["SnapshotId"]
    assert testing.service_events(cloud) == []  # nothing until it completes
    testing.pass_time(cloud, 5)
    cloud.wait_idle()
    [event] = testing.service_events(cloud)
    arn = f"arn:aws:ec2:{PRIMARY}::snapshot/{snapshot_id}"
    assert (event["source"], event["detail-type"], event["region"]) == (
        "aws.ec2",
        "EBS Snapshot Notification",
        PRIMARY,
    )
    assert event["account"] == cloud.account_id and event["resources"] == [arn]
    detail = event["detail"]
    assert set(detail) == {
        "event",
        "result",
        "cause",
        "request-id",
        "snapshot_id",
        "source",
        "startTime",
        "endTime",
    }
    assert (detail["event"], detail["result"], detail["cause"], detail["request-id"]) == (
        "createSnapshot",
        "succeeded",
        "",
        "",
    )
    assert detail["snapshot_id"] == arn
    assert detail["source"] == f"arn:aws:ec2:{PRIMARY}::volume/{vol}"
    started = datetime.strptime(detail["startTime"], "%Y-%m-%dT%H:%M:%SZ")
    ended = datetime.strptime(detail["endTime"], "%Y-%m-%dT%H:%M:%SZ")
    assert timedelta(seconds=4) <= ended - started <= timedelta(seconds=30)
    assert event["time"] == detail["endTime"]


def test_a_multi_volume_set_leaves_out_the_excluded_boot_and_data_volumes(
    cloud: LocalCloud,
) -> None:
    # InstanceSpecification: "ExcludeBootVolume: Excludes the root volume from being
    # snapshotted." "ExcludeDataVolumeIds: The IDs of the data (non-root) volumes to exclude
    # from the multi-volume snapshot set."
    # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceSpecification.html)
    ec2 = cloud.client("ec2")
    image = ec2.register_image(Name="base", RootDeviceName="/dev/xvda")["ImageId"]
    [instance] = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, Placement={"AvailabilityZone": f"{PRIMARY}a"}
    )["Instances"]
    kept, excluded = volume(cloud), volume(cloud)
    for device, vol in (("/dev/sdf", kept), ("/dev/sdg", excluded)):
        ec2.attach_volume(VolumeId=vol, InstanceId=instance["InstanceId"], Device=device)
    made = ec2.create_snapshots(
        InstanceSpecification={
            "InstanceId": instance["InstanceId"],
            "ExcludeBootVolume": True,
            "ExcludeDataVolumeIds": [excluded],
        }
    )
    assert [s["VolumeId"] for s in made["Snapshots"]] == [kept]


def test_a_multi_volume_snapshot_set_sends_one_completion_status(cloud: LocalCloud) -> None:
    # "The createSnapshots event is sent to your AWS account when an action to create a
    # multi-volume snapshot completes." Its example: detail-type "EBS Multi-Volume Snapshots
    # Completion Status", resources "arn:aws:ec2::us-east-1:snapshot/snap-01234567", and
    # detail.snapshots [{"snapshot_id": "arn:aws:ec2::us-east-1:snapshot/snap-01234567",
    # "source": "arn:aws:ec2::us-east-1:volume/vol-01234567", "status": "completed"}, …]
    # (EVENTS_PAGE, #create-snapshots-complete).
    ec2 = cloud.client("ec2")
    image = ec2.register_image(Name="base", RootDeviceName="/dev/xvda")["ImageId"]
    [instance] = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, Placement={"AvailabilityZone": f"{PRIMARY}a"}
    )["Instances"]
    extra = volume(cloud)
    ec2.attach_volume(VolumeId=extra, InstanceId=instance["InstanceId"], Device="/dev/sdf")
    made = ec2.create_snapshots(InstanceSpecification={"InstanceId": instance["InstanceId"]})
    snapshots = {s["SnapshotId"]: s["VolumeId"] for s in made["Snapshots"]}
    assert len(snapshots) == 2 and extra in snapshots.values()
    assert {described(cloud, s)["State"] for s in snapshots} == {"pending"}
    testing.pass_time(cloud, 5)
    cloud.wait_idle()
    [event] = testing.service_events(cloud)
    assert event["detail-type"] == "EBS Multi-Volume Snapshots Completion Status"
    assert event["resources"] == [f"arn:aws:ec2::{PRIMARY}:snapshot/{s}" for s in snapshots]
    detail = event["detail"]
    assert (detail["event"], detail["result"], detail["cause"]) == (
        "createSnapshots",
        "succeeded",
        "",
    )
    assert detail["snapshots"] == [
        {
            "snapshot_id": f"arn:aws:ec2::{PRIMARY}:snapshot/{s}",
            "source": f"arn:aws:ec2::{PRIMARY}:volume/{v}",
            "status": "completed",
        }
        for s, v in snapshots.items()
    ]
    assert {"startTime", "endTime", "request-id"} <= set(detail)


def test_a_snapshot_dated_in_the_past_is_completed_and_sends_nothing_now(cloud: LocalCloud) -> None:
    # A test's history (testing.set_snapshot_start_time): a snapshot of last week completed
    # last week; its notification is not sent again today.
    ec2 = cloud.client("ec2")
    snapshot_id = ec2.create_snapshot(VolumeId=volume(cloud))["SnapshotId"]
    last_week = datetime.now(UTC) - timedelta(days=7)
    testing.set_snapshot_start_time(cloud, snapshot_id, last_week)
    snapshot = described(cloud, snapshot_id)
    assert snapshot["State"] == "completed"
    assert abs(snapshot["StartTime"] - last_week) < timedelta(seconds=1)
    testing.pass_time(cloud, 60)
    cloud.wait_idle()
    assert testing.service_events(cloud) == []


# ------------------------------------------------------------------ CopySnapshot


def test_a_copy_is_pending_then_completed_and_notified_in_the_destination_region(
    cloud: LocalCloud,
) -> None:
    # "The copySnapshot event is sent to your AWS account when an action to copy a snapshot
    # completes. [...] If you are copying the snapshot across Regions, then the event is
    # emitted in the destination Region." Its example: resources and snapshot_id
    # "arn:aws:ec2:us-west-2::snapshot/snap-01234567", source
    # "arn:aws:ec2:eu-west-1::snapshot/snap-76543210", "Incremental": "true"
    # (EVENTS_PAGE, #copy-snapshot-complete).
    source = completed_snapshot(cloud)
    testing.snapshot_timings(cloud, copy_seconds=600)
    dr = cloud.client("ec2", region=DR)
    request = {"SourceRegion": PRIMARY, "SourceSnapshotId": source}
    first = dr.copy_snapshot(**request)["SnapshotId"]
    assert described(cloud, first, DR)["State"] == "pending"
    testing.pass_time(cloud, 599)
    cloud.wait_idle()
    assert described(cloud, first, DR)["State"] == "pending"
    testing.pass_time(cloud, 1)
    cloud.wait_idle()
    assert described(cloud, first, DR)["Progress"] == "100%"
    second = dr.copy_snapshot(**request)["SnapshotId"]
    testing.pass_time(cloud, 600)
    cloud.wait_idle()
    notified = testing.service_events(cloud)[1:]  # after the source's createSnapshot
    assert [(e["region"], e["detail"]["event"], e["detail"]["result"]) for e in notified] == [
        (DR, "copySnapshot", "succeeded")
    ] * 2
    assert [e["resources"] for e in notified] == [
        [f"arn:aws:ec2:{DR}::snapshot/{first}"],
        [f"arn:aws:ec2:{DR}::snapshot/{second}"],
    ]
    assert notified[0]["detail"]["snapshot_id"] == f"arn:aws:ec2:{DR}::snapshot/{first}"
    assert notified[0]["detail"]["source"] == f"arn:aws:ec2:{PRIMARY}::snapshot/{source}"
    # "The first snapshot copy to another Region is always a full copy. For unencrypted
    # snapshots, each subsequent snapshot copy of the same volume is incremental" (EC2 User
    # Guide, https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ebs-copy-snapshot.html).
    assert [e["detail"]["Incremental"] for e in notified] == ["false", "true"]


def test_copies_beyond_the_concurrent_copy_quota_fail_with_resource_limit_exceeded(
    cloud: LocalCloud,
) -> None:
    # Quotas for Amazon EBS: "Concurrent snapshot copies per destination Region: 20"
    # (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-resource-quotas.html). The EC2
    # API's error codes: "ResourceLimitExceeded: You have exceeded an Amazon EC2 resource
    # limit. For example, you might have too many snapshot copies in progress."
    # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html)
    source = completed_snapshot(cloud)
    dr = cloud.client("ec2", region=DR)
    request = {"SourceRegion": PRIMARY, "SourceSnapshotId": source}
    in_progress = [dr.copy_snapshot(**request)["SnapshotId"] for _ in range(20)]
    assert error_code(lambda: dr.copy_snapshot(**request)) == "ResourceLimitExceeded"
    # the quota is per destination Region: a copy within us-east-1 is still accepted
    cloud.client("ec2").copy_snapshot(**request)
    # and a copy that completes frees its place
    testing.pass_time(cloud, 180)
    cloud.wait_idle()
    assert described(cloud, in_progress[0], DR)["State"] == "completed"
    dr.copy_snapshot(**request)


def test_a_copy_under_a_disabled_key_ends_in_error_with_a_failed_notification(
    cloud: LocalCloud,
) -> None:
    # StateMessage: "Encrypted Amazon EBS snapshots are copied asynchronously. If a snapshot
    # copy operation fails (for example, if the proper Key Management Service (KMS) permissions
    # are not obtained) this field displays error state details to help you diagnose why the
    # error occurred." (Snapshot, EC2 API Reference,
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html). The failed
    # copySnapshot example: "result": "failed", "cause": "Source snapshot ID is not valid", no
    # Incremental (EVENTS_PAGE, #copy-snapshot-complete); the page words a key's failure as
    # its failed createVolume examples do: "arn:aws:kms:…:key/… is disabled."
    source = completed_snapshot(cloud)
    kms = cloud.client("kms", region=DR)
    disabled = kms.create_key()["KeyMetadata"]["Arn"]
    leaving = kms.create_key()["KeyMetadata"]["Arn"]
    usable = kms.create_key()["KeyMetadata"]["Arn"]
    dr = cloud.client("ec2", region=DR)
    request = {"SourceRegion": PRIMARY, "SourceSnapshotId": source, "Encrypted": True}
    copies = {
        key: dr.copy_snapshot(**request, KmsKeyId=key)["SnapshotId"]
        for key in (disabled, leaving, usable)
    }
    kms.disable_key(KeyId=disabled.rsplit("/", 1)[1])
    kms.schedule_key_deletion(KeyId=leaving.rsplit("/", 1)[1], PendingWindowInDays=7)
    testing.pass_time(cloud, 180)
    cloud.wait_idle()
    assert described(cloud, copies[usable], DR)["State"] == "completed"
    for key, cause in ((disabled, "is disabled."), (leaving, "is pending deletion.")):
        copy = described(cloud, copies[key], DR)
        assert copy["State"] == "error" and copy["StateMessage"] == f"{key} {cause}"
    failed = {
        e["detail"]["snapshot_id"]: e["detail"]
        for e in testing.service_events(cloud)
        if e["detail"]["event"] == "copySnapshot" and e["detail"]["result"] == "failed"
    }
    detail = failed[f"arn:aws:ec2:{DR}::snapshot/{copies[disabled]}"]
    assert detail["cause"] == f"{disabled} is disabled." and "Incremental" not in detail
    assert len(failed) == 2


# ------------------------------------------------------------------ locks


def test_a_locked_snapshot_cannot_be_deleted_until_unlocked_or_expired(cloud: LocalCloud) -> None:
    # LockSnapshot: "Locks an Amazon EBS snapshot in either governance or compliance mode to
    # protect it against accidental or malicious deletions for a specific duration. A locked
    # snapshot can't be deleted." Governance: "Snapshots locked in governance mode can't be
    # deleted until one of the following conditions are met: The lock duration expires. The
    # snapshot is unlocked by a user with the appropriate permissions."
    # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockSnapshot.html). The
    # reference names no error code for the refused deletion (SnapshotLocked is ours).
    ec2 = cloud.client("ec2")
    first, second = completed_snapshot(cloud), completed_snapshot(cloud)
    locked = ec2.lock_snapshot(SnapshotId=first, LockMode="governance", LockDuration=1)
    assert (locked["LockState"], locked["LockDuration"]) == ("governance", 1)
    assert locked["LockExpiresOn"] - locked["LockCreatedOn"] == timedelta(days=1)
    assert error_code(lambda: ec2.delete_snapshot(SnapshotId=first)) == "SnapshotLocked"
    ec2.unlock_snapshot(SnapshotId=first)
    ec2.delete_snapshot(SnapshotId=first)

    ec2.lock_snapshot(SnapshotId=second, LockMode="governance", LockDuration=1)
    testing.pass_time(cloud, 86400)  # the lock's day passes on the clock
    [info] = ec2.describe_locked_snapshots(SnapshotIds=[second])["Snapshots"]
    assert info["LockState"] == "expired"
    ec2.delete_snapshot(SnapshotId=second)


def test_compliance_mode_after_its_cooling_off_period_can_only_be_extended(
    cloud: LocalCloud,
) -> None:
    # LockSnapshot's CoolOffPeriod: "After the cooling-off period expires, you can't unlock or
    # delete the snapshot, decrease the lock duration, or change the lock mode. You can
    # increase the lock duration after the cooling-off period expires. [...] If you are
    # extending the lock duration for a snapshot that is locked in compliance mode after the
    # cooling-off period has expired, omit this parameter. If you specify a cooling-period in
    # a such a request, the request fails." LockState: "compliance-cooloff - [...] it can be
    # unlocked and the lock settings can be modified by users with appropriate permissions."
    ec2 = cloud.client("ec2")
    snapshot_id = completed_snapshot(cloud)
    lock = {"SnapshotId": snapshot_id, "LockMode": "compliance"}
    answer = ec2.lock_snapshot(**lock, CoolOffPeriod=24, LockDuration=30)
    assert answer["LockState"] == "compliance-cooloff"
    assert answer["CoolOffPeriodExpiresOn"] - answer["LockCreatedOn"] == timedelta(hours=24)
    # during the cooling-off period: shorter is allowed
    ec2.lock_snapshot(**lock, CoolOffPeriod=24, LockDuration=20)
    assert error_code(lambda: ec2.delete_snapshot(SnapshotId=snapshot_id)) == "SnapshotLocked"
    testing.pass_time(cloud, 24 * 3600)
    [info] = ec2.describe_locked_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert info["LockState"] == "compliance"
    # The reference names no error codes for these refusals; the ones EC2 uses for a bad
    # value and for parameters that do not go together.
    refused = {
        "unlock": lambda: ec2.unlock_snapshot(SnapshotId=snapshot_id),
        "shorten": lambda: ec2.lock_snapshot(**lock, LockDuration=10),
        "governance": lambda: ec2.lock_snapshot(
            SnapshotId=snapshot_id, LockMode="governance", LockDuration=40
        ),
        "cool-off": lambda: ec2.lock_snapshot(**lock, CoolOffPeriod=1, LockDuration=40),
    }
    assert {what: error_code(call) for what, call in refused.items()} == {
        "unlock": "InvalidParameterValue",
        "shorten": "InvalidParameterValue",
        "governance": "InvalidParameterCombination",
        "cool-off": "InvalidParameterCombination",
    }
    assert error_code(lambda: ec2.delete_snapshot(SnapshotId=snapshot_id)) == "SnapshotLocked"
    extended = ec2.lock_snapshot(**lock, LockDuration=40)
    assert extended["LockState"] == "compliance" and extended["LockDuration"] == 40
    filtered = ec2.describe_locked_snapshots(
        Filters=[{"Name": "lock-state", "Values": ["compliance"]}]
    )["Snapshots"]
    assert [s["SnapshotId"] for s in filtered] == [snapshot_id]


def test_a_pending_snapshot_can_be_locked_and_its_duration_starts_when_it_completes(
    cloud: LocalCloud,
) -> None:
    # LockedSnapshotsInfo's lockDurationStartTime: "If you lock a snapshot that is in the
    # pending state, the lock duration starts only once the snapshot enters the completed
    # state." (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockedSnapshotsInfo.html)
    testing.snapshot_timings(cloud, create_seconds=3600)
    ec2 = cloud.client("ec2")
    snapshot_id = ec2.create_snapshot(VolumeId=volume(cloud))["SnapshotId"]
    answer = ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode="governance", LockDuration=2)
    assert "LockExpiresOn" not in answer and "LockDurationStartTime" not in answer
    testing.pass_time(cloud, 3600)
    cloud.wait_idle()
    [info] = ec2.describe_locked_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert info["LockExpiresOn"] - info["LockDurationStartTime"] == timedelta(days=2)
    assert info["LockDurationStartTime"] - info["LockCreatedOn"] >= timedelta(seconds=3599)


def test_lock_parameters_are_checked_as_the_reference_says(cloud: LocalCloud) -> None:
    # LockDuration: "You must specify either this parameter or ExpirationDate, but not both."
    # CoolOffPeriod: "If you are locking the snapshot in governance mode, omit this parameter."
    ec2 = cloud.client("ec2")
    snapshot_id = completed_snapshot(cloud)
    later = datetime.now(UTC) + timedelta(days=3)
    both = {"LockDuration": 1, "ExpirationDate": later}
    assert (
        error_code(lambda: ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode="governance", **both))
        == "InvalidParameterCombination"
    )
    assert (
        error_code(lambda: ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode="governance"))
        == "InvalidParameterCombination"
    )
    assert (
        error_code(
            lambda: ec2.lock_snapshot(
                SnapshotId=snapshot_id, LockMode="governance", CoolOffPeriod=2, LockDuration=1
            )
        )
        == "InvalidParameterCombination"
    )
    dated = ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode="governance", ExpirationDate=later)
    assert abs(dated["LockExpiresOn"] - later) < timedelta(seconds=1)


def test_locking_needs_ec2_lock_snapshot_and_honours_its_condition_keys(cloud: LocalCloud) -> None:
    # "To work with snapshot locks, users need the following permissions. ec2:LockSnapshot —
    # To lock snapshots. ec2:UnlockSnapshot — To unlock snapshots. ec2:DescribeLockedSnapshots
    # — To view snapshot lock settings." "You can use the ec2:SnapshotLockDuration condition
    # key to restrict users to specific lock durations when locking snapshots." (EBS User
    # Guide, https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-lock-iam.html)
    snapshot_id = completed_snapshot(cloud)
    iam = cloud.client("iam")
    iam.create_user(UserName="locker")
    statement = {
        "Effect": "Allow",
        "Action": "ec2:LockSnapshot",
        "Resource": "arn:aws:ec2:*::snapshot/*",
        "Condition": {"NumericLessThan": {"ec2:SnapshotLockDuration": "50"}},
    }
    iam.put_user_policy(
        UserName="locker",
        PolicyName="lock",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    key = iam.create_access_key(UserName="locker")["AccessKey"]
    ec2 = boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name=PRIMARY,
    ).client("ec2")
    lock = {"SnapshotId": snapshot_id, "LockMode": "governance"}
    assert error_code(lambda: ec2.lock_snapshot(**lock, LockDuration=60)) == (
        "UnauthorizedOperation"
    )
    assert ec2.lock_snapshot(**lock, LockDuration=30)["LockState"] == "governance"
    assert error_code(lambda: ec2.unlock_snapshot(SnapshotId=snapshot_id)) == (
        "UnauthorizedOperation"
    )
    assert cloud.iam.denials[-1].action == "ec2:UnlockSnapshot"


# ------------------------------------------------------------------ archive tier


def test_an_archived_snapshot_must_be_restored_before_it_is_copied(cloud: LocalCloud) -> None:
    # Snapshot.StorageTier: "archive indicates that the snapshot is currently archived and
    # that it must be restored before it can be used."
    # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html). The
    # reference names no error code for using one; IncorrectState is EC2's "The resource is in
    # an incorrect state for the request." RestoreSnapshotTier "Restores an archived Amazon EBS
    # snapshot for use temporarily or permanently, or modifies the restore period or restore
    # type for a snapshot that was previously temporarily restored."; its TemporaryRestoreDays: "The
    # snapshot will be automatically re-archived after this period."
    # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RestoreSnapshotTier.html)
    testing.snapshot_timings(cloud, restore_seconds=3600)
    ec2 = cloud.client("ec2")
    snapshot_id = completed_snapshot(cloud)
    ec2.modify_snapshot_tier(SnapshotId=snapshot_id, StorageTier="archive")
    request = {"SourceRegion": PRIMARY, "SourceSnapshotId": snapshot_id}
    assert error_code(lambda: ec2.copy_snapshot(**request)) == "IncorrectState"
    ec2.restore_snapshot_tier(SnapshotId=snapshot_id, TemporaryRestoreDays=1)
    [status] = ec2.describe_snapshot_tier_status(
        Filters=[{"Name": "snapshot-id", "Values": [snapshot_id]}]
    )["SnapshotTierStatuses"]
    assert status["LastTieringOperationStatus"] == "temporary-restore-in-progress"
    assert error_code(lambda: ec2.copy_snapshot(**request)) == "IncorrectState"
    testing.pass_time(cloud, 3600)
    cloud.wait_idle()
    restored = described(cloud, snapshot_id)
    assert restored["StorageTier"] == "standard" and "RestoreExpiryTime" in restored
    ec2.copy_snapshot(**request)
    # "[...] or modifies the restore period or restore type for a snapshot that was previously
    # temporarily restored": three days from now instead of one.
    ec2.restore_snapshot_tier(SnapshotId=snapshot_id, TemporaryRestoreDays=3)
    testing.pass_time(cloud, 86400)
    cloud.wait_idle()
    assert described(cloud, snapshot_id)["StorageTier"] == "standard"
    testing.pass_time(cloud, 2 * 86400)
    cloud.wait_idle()
    assert described(cloud, snapshot_id)["StorageTier"] == "archive"
    assert error_code(lambda: ec2.copy_snapshot(**request)) == "IncorrectState"


def test_a_permanent_restore_brings_the_snapshot_back_for_good(cloud: LocalCloud) -> None:
    # RestoreSnapshotTier's PermanentRestore: "Indicates whether to permanently restore an
    # archived snapshot. To permanently restore an archived snapshot, specify true and omit
    # the RestoreSnapshotTierRequest$TemporaryRestoreDays parameter."
    ec2 = cloud.client("ec2")
    snapshot_id = completed_snapshot(cloud)
    assert (
        error_code(lambda: ec2.restore_snapshot_tier(SnapshotId=snapshot_id, PermanentRestore=True))
        == "IncorrectState"
    )  # nothing to restore: it is in the standard tier
    ec2.modify_snapshot_tier(SnapshotId=snapshot_id, StorageTier="archive")
    ec2.restore_snapshot_tier(SnapshotId=snapshot_id, PermanentRestore=True)
    assert described(cloud, snapshot_id)["StorageTier"] == "archive"  # until it is done
    testing.pass_time(cloud, 6 * 3600)
    cloud.wait_idle()
    snapshot = described(cloud, snapshot_id)
    assert snapshot["StorageTier"] == "standard" and "RestoreExpiryTime" not in snapshot
    testing.pass_time(cloud, 400 * 86400)
    cloud.wait_idle()
    assert described(cloud, snapshot_id)["StorageTier"] == "standard"
