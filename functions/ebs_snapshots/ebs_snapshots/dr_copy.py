"""The Copy-to-DR step: one copy per snapshot in the DR region, whatever the retries.

A copy already made (found by its `steward:source-snapshot` tag, which the copy carries from
the moment it exists) is reused, so a repeated event makes no second copy. Two deliveries
handled at the very same moment could both copy; the DR retention step then deletes the
newer duplicate, so one copy per snapshot remains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ebs_snapshots import ebs
from steward_common.pagination import paginate
from steward_common.settings import env_str


@dataclass(frozen=True)
class CopySettings:
    dr_region: str
    kms_key_id: str

    @classmethod
    def from_env(cls) -> CopySettings:
        return cls(env_str("DR_REGION", "").strip(), env_str("KMS_KEY_ID", "").strip())


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
) -> dict[str, Any]:
    if not settings.dr_region:
        return {"copied": False, "reason": "no DR region configured"}
    try:
        found = existing_copy(dr_ec2, snapshot_id)
        if found:
            return {
                "copied": False,
                "copy_id": found,
                "dr_region": settings.dr_region,
                "reason": "already copied",
            }
        kwargs: dict[str, Any] = {
            "SourceRegion": source_region,
            "SourceSnapshotId": snapshot_id,
            "Description": f"Steward DR copy of {snapshot_id} ({volume_id}) from {source_region}"[
                :255
            ],
            "TagSpecifications": [
                {
                    "ResourceType": "snapshot",
                    "Tags": ebs.as_tag_list({**tags, ebs.SOURCE_SNAPSHOT: snapshot_id}),
                }
            ],
        }
        if settings.kms_key_id:
            kwargs |= {"Encrypted": True, "KmsKeyId": settings.kms_key_id}
        copy_id = dr_ec2.copy_snapshot(**kwargs)["SnapshotId"]
    except ClientError as error:
        ebs.raise_if_limited(error)
        raise
    return {"copied": True, "copy_id": copy_id, "dr_region": settings.dr_region}
