"""The Copy-to-DR step: one copy per snapshot in the DR region, whatever the retries.

A snapshot Steward owns (recorded) is copied by the one execution that claims it in the record
(a conditional write): a duplicate delivery handled at the same moment finds the claim and makes
no copy. The copy is then recorded in the DR stack's table, which is how the DR stack knows the
copy is Steward's, and its id on the source's record. The claiming execution's own retry (a
timeout after CopySnapshot answered) finds the copy it made by its `steward:source-snapshot` tag.

A snapshot Steward does not own (the selector is empty) is copied but recorded nowhere, so no
stack ever deletes the copy; a copy already made is found by its tag, as above.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ebs_snapshots import ebs
from ebs_snapshots.ownership import OwnershipTable, Record
from steward_common.errors import ConfigurationError
from steward_common.pagination import paginate
from steward_common.settings import env_str


@dataclass(frozen=True)
class CopySettings:
    dr_region: str
    kms_key_id: str
    dr_table: str  # the DR stack's ownership table, in dr_region

    @classmethod
    def from_env(cls) -> CopySettings:
        return cls(
            env_str("DR_REGION", "").strip(),
            env_str("KMS_KEY_ID", "").strip(),
            env_str("DR_OWNERSHIP_TABLE", "").strip(),
        )


def existing_copy(dr_ec2: Any, snapshot_id: str) -> str | None:
    found = list(
        paginate(
            dr_ec2,
            "describe_snapshots",
            "Snapshots",
            OwnerIds=["self"],
            Filters=[{"Name": f"tag:{ebs.SOURCE_SNAPSHOT}", "Values": [snapshot_id]}],
        )
    )
    return str(found[0]["SnapshotId"]) if found else None


def copy_to_dr(
    dr_ec2: Any,
    settings: CopySettings,
    *,
    snapshot_id: str,
    volume_id: str,
    source_region: str,
    tags: dict[str, str],
    owned: bool = False,
    table: OwnershipTable | None = None,
    dr_table: OwnershipTable | None = None,
    execution_id: str = "",
) -> dict[str, Any]:
    if not settings.dr_region:
        return {"copied": False, "reason": "no DR region configured"}
    record: Record | None = None
    if owned and table is not None:
        record = table.claim_copy(snapshot_id, execution_id)
        if record is None:
            claimed = table.get(snapshot_id)
            copy_id = (claimed.copy_id if claimed else "") or None
            return _not_copied(copy_id, settings, "another run copies it")
        if record.copy_id:
            return _not_copied(record.copy_id, settings, "already copied")
        if dr_table is None:
            raise ConfigurationError(
                "DR_OWNERSHIP_TABLE is not set: a copy of an owned snapshot could not be recorded"
            )
    try:
        found = existing_copy(dr_ec2, snapshot_id)
        if found:
            copy_id = found
        else:
            copy_id = _copy(dr_ec2, settings, snapshot_id, volume_id, source_region, tags)
    except ClientError as error:
        ebs.raise_if_limited(error)
        raise
    if record is not None and table is not None and dr_table is not None:
        dr_table.record(
            Record(
                copy_id,
                volume_id,
                kind="copy",
                retain=record.retain,
                retain_days=record.retain_days,
                source_region=source_region,
                source_snapshot=snapshot_id,
                recorded_by=execution_id,
            )
        )
        table.set_copy(snapshot_id, copy_id)
    if found:
        return _not_copied(copy_id, settings, "already copied")
    return {"copied": True, "copy_id": copy_id, "dr_region": settings.dr_region}


def _not_copied(copy_id: str | None, settings: CopySettings, reason: str) -> dict[str, Any]:
    return {"copied": False, "copy_id": copy_id, "dr_region": settings.dr_region, "reason": reason}


def _copy(
    dr_ec2: Any,
    settings: CopySettings,
    snapshot_id: str,
    volume_id: str,
    source_region: str,
    tags: dict[str, str],
) -> str:
    kwargs: dict[str, Any] = {
        "SourceRegion": source_region,
        "SourceSnapshotId": snapshot_id,
        "Description": f"Steward DR copy of {snapshot_id} ({volume_id}) from {source_region}"[:255],
        "TagSpecifications": [
            {
                "ResourceType": "snapshot",
                "Tags": ebs.as_tag_list({**tags, ebs.SOURCE_SNAPSHOT: snapshot_id}),
            }
        ],
    }
    if settings.kms_key_id:
        kwargs |= {"Encrypted": True, "KmsKeyId": settings.kms_key_id}
    return str(dr_ec2.copy_snapshot(**kwargs)["SnapshotId"])
