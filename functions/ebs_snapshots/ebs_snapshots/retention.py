"""The Retain step: keep the newest N managed snapshots of a volume (and none older than
the age limit), delete the rest, safely.

- Only snapshots in Steward's ownership record (ownership.py) are listed, so only they can be
  deleted; tags are never asked. A record whose snapshot is gone for a day is forgotten.
- A recorded snapshot whose `steward:managed-by` tag someone removed cannot be deleted (the IAM
  policy asks for the tag too): it is listed as refused, never an error.
- Only completed snapshots count and can go; pending or failed ones are left alone.
- The snapshot that triggered the run, and the newest completed one, are never deleted.
- Order is total (start time, then id), so two runs for one volume at once agree on what to
  keep: together they never leave fewer than N.
- A snapshot in use by an AMI is skipped and listed; one already gone counts as deleted.
- In the DR region, two copies of one source snapshot (a duplicate event handled twice at
  once) are one too many: the newer one goes.
- A snapshot in the archive tier (StorageTier "archive": "currently archived and ... must be
  restored before it can be used") is skipped, listed, and neither counts toward the N kept nor
  is deleted by count: archiving is someone's decision to keep it cheaply. Age retention deletes
  it only when SnapshotArchiveAgeDeletion allows and it has been archived for the archive's
  minimum period (ARCHIVE_MINIMUM_DAYS), so that no early-deletion charge is due.
- A locked snapshot ("A locked snapshot can't be deleted", LockSnapshot) is skipped and listed,
  never an error: its locks are read first (DescribeLockedSnapshots), and a lock taken since
  is answered as one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ebs_snapshots import ebs
from ebs_snapshots.ownership import OwnershipTable, Record
from steward_common.pagination import chunks, paginate

# "Archived snapshots have a minimum retention period of 90 days" (EBS User Guide, "Archive
# Amazon EBS snapshots"); one deleted earlier is billed for the rest of the 90 days.
ARCHIVE_MINIMUM_DAYS = 90
# A record whose snapshot DescribeSnapshots does not show is forgotten only after this long:
# EC2's API is eventually consistent, and a snapshot just taken may not be listed yet.
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    start_time: datetime
    state: str
    source_snapshot: str | None = None  # DR copies: the primary snapshot they copy
    storage_tier: str = "standard"
    archived_at: datetime | None = None  # in the archive tier: when archiving completed


@dataclass(frozen=True)
class RetentionPlan:
    keep: list[str]
    delete: list[str]
    ignored: list[str]  # not completed: never counted, never deleted
    archived: list[str] = field(default_factory=list)  # in the archive tier: left alone


@dataclass
class RetentionResult:
    volume_id: str
    retain: int
    retain_days: int
    kept: list[str]
    deleted: list[str] = field(default_factory=list)
    would_delete: list[str] = field(default_factory=list)
    in_use: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # recorded, but no longer tagged as Steward's
    dry_run: bool = False


def plan(
    snapshots: list[Snapshot],
    *,
    retain: int,
    retain_days: int,
    now: datetime,
    trigger: str,
    delete_archived_by_age: bool = False,
) -> RetentionPlan:
    cutoff = now - timedelta(days=retain_days) if retain_days else None
    archive_floor = now - timedelta(days=ARCHIVE_MINIMUM_DAYS)
    expired_archives = sorted(
        s.snapshot_id
        for s in snapshots
        if delete_archived_by_age
        and s.storage_tier == "archive"
        and cutoff is not None
        and s.start_time < cutoff
        and s.archived_at is not None
        and s.archived_at <= archive_floor
    )
    archived = sorted(
        s.snapshot_id
        for s in snapshots
        if s.storage_tier == "archive" and s.snapshot_id not in expired_archives
    )
    completed = sorted(
        (s for s in snapshots if s.state == "completed" and s.storage_tier != "archive"),
        key=lambda s: (s.start_time, s.snapshot_id),
        reverse=True,
    )
    ignored = sorted(
        s.snapshot_id for s in snapshots if s.state != "completed" and s.storage_tier != "archive"
    )
    first_copy: dict[str, str] = {}
    for snap in reversed(completed):  # oldest first: the first copy of a source is the one kept
        if snap.source_snapshot:
            first_copy.setdefault(snap.source_snapshot, snap.snapshot_id)
    duplicates = {
        s.snapshot_id
        for s in completed
        if s.source_snapshot and first_copy[s.source_snapshot] != s.snapshot_id
    }
    unique = [s for s in completed if s.snapshot_id not in duplicates]
    keep: list[str] = []
    delete = sorted(duplicates) + expired_archives
    for index, snap in enumerate(unique):
        too_many = index >= retain
        too_old = cutoff is not None and snap.start_time < cutoff
        protected = index == 0 or snap.snapshot_id == trigger
        (delete if (too_many or too_old) and not protected else keep).append(snap.snapshot_id)
    return RetentionPlan(keep=keep, delete=delete, ignored=ignored, archived=archived)


def list_owned(ec2: Any, table: OwnershipTable, volume_id: str, *, now: datetime) -> list[Snapshot]:
    """The volume's snapshots in Steward's record that exist in this region (all pages)."""
    records = {r.snapshot_id: r for r in table.of_volume(volume_id)}
    found: dict[str, dict[str, Any]] = {}
    try:
        # By id, as a filter: a missing id leaves the page shorter instead of failing the call.
        for batch in chunks(sorted(records), 200):
            for s in paginate(
                ec2,
                "describe_snapshots",
                "Snapshots",
                OwnerIds=["self"],
                Filters=[{"Name": "snapshot-id", "Values": batch}],
            ):
                found[s["SnapshotId"]] = s
        archived_at = _archived_at(
            ec2, [i for i, s in found.items() if s.get("StorageTier") == "archive"]
        )
    except ClientError as error:
        ebs.raise_if_limited(error)
        raise
    for snapshot_id, record in records.items():
        if snapshot_id not in found and _stale(record, now):
            table.forget(snapshot_id)  # deleted by someone (or a run) since: nothing to keep
    return [
        Snapshot(
            i,
            s["StartTime"],
            s["State"],
            records[i].source_snapshot or None,
            str(s.get("StorageTier") or "standard"),
            archived_at.get(i),
        )
        for i, s in sorted(found.items())
    ]


def _stale(record: Record, now: datetime) -> bool:
    try:
        recorded = datetime.fromisoformat(record.recorded_at)
    except ValueError:
        return False
    return now - recorded > FORGET_AFTER


def _archived_at(ec2: Any, snapshot_ids: list[str]) -> dict[str, datetime]:
    """When each archived snapshot finished archiving (DescribeSnapshotTierStatus)."""
    when: dict[str, datetime] = {}
    for batch in chunks(snapshot_ids, 200):
        for status in paginate(
            ec2,
            "describe_snapshot_tier_status",
            "SnapshotTierStatuses",
            Filters=[{"Name": "snapshot-id", "Values": batch}],
        ):
            completed = status.get("ArchivalCompleteTime")
            if completed is not None:
                when[status["SnapshotId"]] = completed
    return when


def retain_snapshots(
    ec2: Any,
    table: OwnershipTable,
    *,
    volume_id: str,
    trigger: str,
    retain: int,
    retain_days: int,
    now: datetime,
    dry_run: bool,
    delete_archived_by_age: bool = False,
) -> RetentionResult:
    decided = plan(
        list_owned(ec2, table, volume_id, now=now),
        retain=retain,
        retain_days=retain_days,
        now=now,
        trigger=trigger,
        delete_archived_by_age=delete_archived_by_age,
    )
    result = RetentionResult(
        volume_id,
        retain,
        retain_days,
        kept=decided.keep,
        ignored=decided.ignored,
        archived=decided.archived,
        dry_run=dry_run,
    )
    locked = locked_among(ec2, decided.delete)
    result.locked = [s for s in decided.delete if s in locked]
    candidates = [s for s in decided.delete if s not in locked]
    if dry_run:
        result.would_delete = candidates
        return result
    for snapshot_id in candidates:
        try:
            ec2.delete_snapshot(SnapshotId=snapshot_id)
            result.deleted.append(snapshot_id)
            table.forget(snapshot_id)
        except ClientError as error:
            code = ebs.error_code(error)
            if code == "InvalidSnapshot.NotFound":
                result.deleted.append(snapshot_id)  # another run (or a person) got there first
                table.forget(snapshot_id)
            elif code == "InvalidSnapshot.InUse":
                result.in_use.append(snapshot_id)  # an AMI uses it: not ours to break
            elif code in LOCKED_CODES:
                result.locked.append(snapshot_id)  # locked since the look just before
            elif code == "UnauthorizedOperation":
                result.refused.append(snapshot_id)  # its steward:managed-by tag was removed
            else:
                ebs.raise_if_limited(error)
                raise
    return result


# The EC2 API Reference names no error code for deleting a locked snapshot: the codes a lock
# taken between the look and the delete may be answered with.
LOCKED_CODES = ("SnapshotLocked", "InvalidSnapshot.Locked")


def locked_among(ec2: Any, snapshot_ids: list[str]) -> set[str]:
    """Which of these snapshots are locked now (a lock whose state is not `expired`)."""
    locked: set[str] = set()
    for batch in chunks(snapshot_ids, 100):
        kwargs: dict[str, Any] = {"SnapshotIds": batch}
        while True:  # botocore has no paginator for it: NextToken by hand
            try:
                page = ec2.describe_locked_snapshots(**kwargs)
            except ClientError as error:
                ebs.raise_if_limited(error)
                raise
            locked |= {
                s["SnapshotId"]
                for s in page.get("Snapshots", [])
                if s.get("LockState") != "expired"
            }
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
    return locked
