"""The Tag step: decide whether Steward manages a new snapshot, tag it, and record it.

Primary region: a snapshot just created. Steward leaves alone snapshots a known tool made
(`ebs.made_by_another_tool`), snapshots or volumes tagged `steward:managed=false`, and, with a
selector, volumes outside it. It copies the volume's user tags and adds its own. A snapshot of a
selected volume is recorded in the ownership table, which is what lets retention delete it; with
the selector empty Steward tags and copies every snapshot but records none, so deletes nothing.

DR region: a copy just completed. It is managed only if the primary stack's Copy step recorded
it in this stack's table; its tags are never asked (anyone may write them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ebs_snapshots import ebs
from ebs_snapshots.ownership import OwnershipTable, Record
from steward_common.errors import ConfigurationError
from steward_common.settings import env_int, env_list, env_str


@dataclass(frozen=True)
class TagSettings:
    retain_count: int
    retain_days: int  # 0: no age limit
    dr_region: str
    tag_allow_list: tuple[str, ...]
    volume_selector: tuple[str, str | None] | None  # (key, value or None for "any value")

    @classmethod
    def from_env(cls) -> TagSettings:
        selector_text = env_str("VOLUME_SELECTOR", "").strip()
        selector: tuple[str, str | None] | None = None
        if selector_text:
            key, sep, value = selector_text.partition("=")
            if not key.strip():
                raise ConfigurationError(f"VOLUME_SELECTOR={selector_text!r} has no tag key")
            selector = (key.strip(), value.strip() if sep else None)
        return cls(
            retain_count=env_int("RETAIN_COUNT", 7, minimum=1),
            retain_days=env_int("RETAIN_DAYS", 0, minimum=0),
            dr_region=env_str("DR_REGION", "").strip(),
            tag_allow_list=env_list("TAG_ALLOW_LIST"),
            volume_selector=selector,
        )


def _describe_snapshot(ec2: Any, snapshot_id: str) -> dict[str, Any]:
    try:
        snapshots = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    except ClientError as error:
        ebs.raise_if_limited(error)
        if ebs.error_code(error) == "InvalidSnapshot.NotFound":
            raise ebs.SnapshotNotFoundError(f"snapshot {snapshot_id} does not exist") from None
        raise
    if not snapshots:
        raise ebs.SnapshotNotFoundError(f"snapshot {snapshot_id} does not exist")
    return dict(snapshots[0])


def _volume_tags(ec2: Any, volume_id: str) -> dict[str, str] | None:
    """The volume's tags, or None when the volume no longer exists."""
    try:
        volumes = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"]
    except ClientError as error:
        ebs.raise_if_limited(error)
        if ebs.error_code(error) == "InvalidVolume.NotFound":
            return None
        raise
    return ebs.tags_of(volumes[0]) if volumes else None


def volume_retention(volume_tags: dict[str, str], settings: TagSettings) -> int:
    """How many snapshots of the volume to keep: its steward:retain tag, else the setting."""
    override = volume_tags.get(ebs.RETAIN_OVERRIDE, "").strip()
    if override.isdigit() and int(override) >= 1:
        return int(override)
    return settings.retain_count


def _unmanaged(snapshot_id: str, volume_id: str, reason: str) -> dict[str, Any]:
    return {"managed": False, "snapshot_id": snapshot_id, "volume_id": volume_id, "reason": reason}


# What every run says when the selector is empty (and the stack's SnapshotDeletion output).
NOTHING_DELETED = (
    "SnapshotVolumeSelector is empty: Steward tags and copies snapshots but deletes none"
)


def selected(selector: tuple[str, str | None] | None, volume_tags: dict[str, str] | None) -> bool:
    """Whether the selector opts the volume in (a volume that no longer exists is not)."""
    if selector is None or volume_tags is None:
        return False
    key, value = selector
    return key in volume_tags and (value is None or volume_tags[key] == value)


def selector_text(selector: tuple[str, str | None]) -> str:
    key, value = selector
    return key if value is None else f"{key}={value}"


def tag_new_snapshot(
    ec2: Any,
    table: OwnershipTable,
    settings: TagSettings,
    snapshot_id: str,
    volume_id: str,
    region: str,
    *,
    recorded_by: str = "",
) -> dict[str, Any]:
    snapshot = _describe_snapshot(ec2, snapshot_id)
    snapshot_tags = ebs.tags_of(snapshot)
    other = ebs.made_by_another_tool(snapshot_tags, snapshot.get("Description", ""))
    if other:
        return _unmanaged(snapshot_id, volume_id, f"made by {other}, which manages it")
    volume_tags = _volume_tags(ec2, volume_id)
    if snapshot_tags.get(ebs.OPT_OUT) == "false" or (volume_tags or {}).get(ebs.OPT_OUT) == "false":
        return _unmanaged(snapshot_id, volume_id, "tagged steward:managed=false")
    owned = selected(settings.volume_selector, volume_tags)
    if settings.volume_selector is not None and not owned:
        return _unmanaged(
            snapshot_id,
            volume_id,
            f"volume not selected by {selector_text(settings.volume_selector)}",
        )
    retain = volume_retention(volume_tags or {}, settings)
    management = {
        ebs.MANAGED_BY: ebs.MANAGED_VALUE,
        ebs.SOURCE_VOLUME: volume_id,
        ebs.SOURCE_REGION: region,
        ebs.RETENTION: f"{retain}" + (f";{settings.retain_days}d" if settings.retain_days else ""),
    }
    tags = {**ebs.user_tags(volume_tags or {}, settings.tag_allow_list), **management}
    try:
        ec2.create_tags(Resources=[snapshot_id], Tags=ebs.as_tag_list(tags))  # idempotent
    except ClientError as error:
        ebs.raise_if_limited(error)
        raise
    if owned:  # recorded after tagging: a record always names a snapshot that carries the tags
        table.record(
            Record(
                snapshot_id,
                volume_id,
                retain=retain,
                retain_days=settings.retain_days,
                source_region=region,
                recorded_by=recorded_by,
            )
        )
    return {
        "managed": True,
        "owned": owned,
        "retention_note": "" if owned else NOTHING_DELETED,
        "snapshot_id": snapshot_id,
        "volume_id": volume_id,
        "region": region,
        "retain": retain,
        "retain_days": settings.retain_days,
        "dr_region": settings.dr_region,
        "tags": tags,
    }


def parse_retention(text: str, settings: TagSettings) -> tuple[int, int]:
    """`7` or `7;30d` as recorded on a snapshot; the settings where it is missing or odd."""
    count_text, _, days_text = text.partition(";")
    count = (
        int(count_text)
        if count_text.strip().isdigit() and int(count_text) >= 1
        else settings.retain_count
    )
    days = int(days_text.rstrip("d")) if days_text.rstrip("d").isdigit() else settings.retain_days
    return count, days


def tag_dr_copy(ec2: Any, table: OwnershipTable, copy_id: str, region: str) -> dict[str, Any]:
    snapshot = _describe_snapshot(ec2, copy_id)  # fails clearly if the copy is gone
    record = table.get(copy_id)
    if record is None or record.kind != "copy":
        return _unmanaged(copy_id, "", "not a copy Steward recorded (its tags are not asked)")
    return {
        "managed": True,
        "owned": True,
        "retention_note": "",
        "snapshot_id": copy_id,
        "volume_id": record.volume_id,
        "region": region,
        "retain": record.retain,
        "retain_days": record.retain_days,
        "dr_region": "",
        "tags": ebs.tags_of(snapshot),
    }
