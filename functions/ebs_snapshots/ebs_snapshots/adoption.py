"""The adoption run: record in the ownership table the snapshots an earlier Steward tagged.

Before the record existed, Steward's tags were its authority; now they are not, so snapshots
tagged by that version are never deleted until adopted. The run is explicit and a dry run by
default: it reports what it would adopt, and records only when asked (`{"dry_run": false}`).
It adopts, from the primary stack, a snapshot tagged `steward:managed-by = steward` of a volume
the selector selects today (its tags decide nothing else), not made by a known tool, and in the
DR region the copies tagged as copies of such a volume's snapshots, into the DR stack's table.
With the selector empty it adopts nothing: nothing would be deleted anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ebs_snapshots import ebs
from ebs_snapshots.ownership import OwnershipTable, Record
from ebs_snapshots.tagging import NOTHING_DELETED, TagSettings, parse_retention, selected
from steward_common.pagination import chunks, paginate

LISTED = 1000  # at most this many ids per list in the report; the counts are exact


@dataclass(frozen=True)
class Region:
    """One region's EC2 client and its stack's ownership table."""

    name: str
    ec2: Any
    table: OwnershipTable


def _tagged(ec2: Any) -> list[dict[str, Any]]:
    try:
        return list(
            paginate(
                ec2,
                "describe_snapshots",
                "Snapshots",
                OwnerIds=["self"],
                Filters=[{"Name": f"tag:{ebs.MANAGED_BY}", "Values": [ebs.MANAGED_VALUE]}],
                PaginationConfig={"PageSize": 1000},
            )
        )
    except ClientError as error:
        ebs.raise_if_limited(error)
        raise


def _volume_tags(ec2: Any, volume_ids: set[str]) -> dict[str, dict[str, str]]:
    """The tags of those volumes that still exist (by filter: a missing id is just absent)."""
    found: dict[str, dict[str, str]] = {}
    for batch in chunks(sorted(volume_ids), 200):
        for volume in paginate(
            ec2, "describe_volumes", "Volumes", Filters=[{"Name": "volume-id", "Values": batch}]
        ):
            found[volume["VolumeId"]] = ebs.tags_of(volume)
    return found


def adopt(
    primary: Region,
    settings: TagSettings,
    *,
    dr: Region | None,
    dry_run: bool = True,
    recorded_by: str = "",
) -> dict[str, Any]:
    report: dict[str, Any] = {"dry_run": dry_run, "adopted": {}, "not_adopted": {}, "counts": {}}
    if settings.volume_selector is None:
        report["note"] = f"{NOTHING_DELETED}: set it to adopt snapshots"
        return report
    candidates = _tagged(primary.ec2)
    dr_candidates = _tagged(dr.ec2) if dr else []
    volumes = {ebs.tags_of(s).get(ebs.SOURCE_VOLUME) or s.get("VolumeId", "") for s in candidates}
    volumes |= {ebs.tags_of(s).get(ebs.SOURCE_VOLUME, "") for s in dr_candidates}
    tags_of_volume = _volume_tags(primary.ec2, {v for v in volumes if v})
    for region, snapshots, kind in (
        (primary, candidates, "snapshot"),
        *([(dr, dr_candidates, "copy")] if dr else []),
    ):
        adopted, skipped = _adopt_in(
            region, snapshots, kind, settings, tags_of_volume, dry_run, recorded_by
        )
        report["adopted"][region.name] = adopted[:LISTED]
        report["not_adopted"][region.name] = skipped[:LISTED]
        report["counts"][region.name] = {"adopted": len(adopted), "not_adopted": len(skipped)}
    return report


def _adopt_in(
    region: Region,
    snapshots: list[dict[str, Any]],
    kind: str,
    settings: TagSettings,
    tags_of_volume: dict[str, dict[str, str]],
    dry_run: bool,
    recorded_by: str,
) -> tuple[list[str], list[dict[str, str]]]:
    recorded = region.table.recorded_among([s["SnapshotId"] for s in snapshots])
    adopted: list[str] = []
    skipped: list[dict[str, str]] = []
    for snapshot in sorted(snapshots, key=lambda s: str(s["SnapshotId"])):
        snapshot_id = str(snapshot["SnapshotId"])
        tags = ebs.tags_of(snapshot)
        volume_id = tags.get(ebs.SOURCE_VOLUME) or str(snapshot.get("VolumeId", ""))
        reason = None
        if snapshot_id in recorded:
            continue  # Steward's already: nothing to say
        if ebs.made_by_another_tool(tags, str(snapshot.get("Description", ""))):
            reason = "made by another tool"
        elif kind == "copy" and not tags.get(ebs.SOURCE_SNAPSHOT):
            reason = "not tagged as a copy of a snapshot"
        elif volume_id not in tags_of_volume:
            reason = f"its volume {volume_id or '(unknown)'} no longer exists: not selectable"
        elif not selected(settings.volume_selector, tags_of_volume[volume_id]):
            reason = f"its volume {volume_id} is not selected"
        if reason:
            skipped.append({"snapshot": snapshot_id, "reason": reason})
            continue
        adopted.append(snapshot_id)
        if dry_run:
            continue
        retain, retain_days = parse_retention(tags.get(ebs.RETENTION, ""), settings)
        region.table.record(
            Record(
                snapshot_id,
                volume_id,
                kind=kind,
                retain=retain,
                retain_days=retain_days,
                source_region=tags.get(ebs.SOURCE_REGION, ""),
                source_snapshot=tags.get(ebs.SOURCE_SNAPSHOT, "") if kind == "copy" else "",
                recorded_by=recorded_by or "adoption",
            )
        )
    return adopted, skipped
