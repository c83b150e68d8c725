"""The Retain step: keep the newest N managed snapshots of a volume (and none older than
the age limit), delete the rest, safely.

- Only snapshots tagged as Steward's are listed, so only they can be deleted.
- Only completed snapshots count and can go; pending or failed ones are left alone.
- The snapshot that triggered the run, and the newest completed one, are never deleted.
- Order is total (start time, then id), so two runs for one volume at once agree on what to
  keep: together they never leave fewer than N.
- A snapshot in use by an AMI is skipped and listed; one already gone counts as deleted.
- In the DR region, two copies of one source snapshot (a duplicate event handled twice at
  once) are one too many: the newer one goes.
- A snapshot in the archive tier (StorageTier "archive": "currently archived and ... must be
  restored before it can be used") is skipped, listed, and neither counts toward the N kept nor
  is deleted: archiving is someone's decision to keep it cheaply, and S3-like archive storage
  is billed for a minimum period whoever deletes it.
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
from steward_common.pagination import chunks, paginate


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    start_time: datetime
    state: str
    source_snapshot: str | None = None  # DR copies: the primary snapshot they copy
    storage_tier: str = "standard"


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
    dry_run: bool = False


def plan(
    snapshots: list[Snapshot], *, retain: int, retain_days: int, now: datetime, trigger: str
) -> RetentionPlan:
    archived = sorted(s.snapshot_id for s in snapshots if s.storage_tier == "archive")
    completed = sorted(
        (s for s in snapshots if s.state == "completed" and s.storage_tier != "archive"),
        key=lambda s: (s.start_time, s.snapshot_id),
        reverse=True,
    )
    ignored = sorted(s.snapshot_id for s in snapshots if s.state != "completed")
    cutoff = now - timedelta(days=retain_days) if retain_days else None
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
    delete = sorted(duplicates)
    for index, snap in enumerate(unique):
        too_many = index >= retain
        too_old = cutoff is not None and snap.start_time < cutoff
        protected = index == 0 or snap.snapshot_id == trigger
        (delete if (too_many or too_old) and not protected else keep).append(snap.snapshot_id)
    return RetentionPlan(keep=keep, delete=delete, ignored=ignored, archived=archived)


def list_managed(ec2: Any, volume_id: str) -> list[Snapshot]:
    """Every managed snapshot of the volume in this region, across all pages."""
    try:
        return [
            Snapshot(
                s["SnapshotId"],
                s["StartTime"],
                s["State"],
                ebs.tags_of(s).get(ebs.SOURCE_SNAPSHOT),
                str(s.get("StorageTier") or "standard"),
            )
            for s in paginate(
                ec2,
                "describe_snapshots",
                "Snapshots",
                OwnerIds=["self"],
                Filters=[
                    {"Name": f"tag:{ebs.MANAGED_BY}", "Values": [ebs.MANAGED_VALUE]},
                    {"Name": f"tag:{ebs.SOURCE_VOLUME}", "Values": [volume_id]},
                ],
                PaginationConfig={"PageSize": 1000},
            )
        ]
    except ClientError as error:
        ebs.raise_if_limited(error)
        raise


def retain_snapshots(
    ec2: Any,
    *,
    volume_id: str,
    trigger: str,
    retain: int,
    retain_days: int,
    now: datetime,
    dry_run: bool,
) -> RetentionResult:
    decided = plan(
        list_managed(ec2, volume_id),
        retain=retain,
        retain_days=retain_days,
        now=now,
        trigger=trigger,
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
        except ClientError as error:
            code = ebs.error_code(error)
            if code == "InvalidSnapshot.NotFound":
                result.deleted.append(snapshot_id)  # another run (or a person) got there first
            elif code == "InvalidSnapshot.InUse":
                result.in_use.append(snapshot_id)  # an AMI uses it: not ours to break
            elif code in LOCKED_CODES:
                result.locked.append(snapshot_id)  # locked since the look just before
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
