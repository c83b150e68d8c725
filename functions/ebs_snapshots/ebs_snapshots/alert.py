"""A failed snapshot run, as one readable message for the people on the alert topic."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from ebs_snapshots import ebs


def execution_link(execution_arn: str) -> str:
    region = execution_arn.split(":")[3] if execution_arn.count(":") >= 3 else ""
    return (
        f"https://{region}.console.aws.amazon.com/states/home?region={region}"
        f"#/v2/executions/details/{quote(execution_arn, safe=':')}"
    )


def failure_message(
    item: dict[str, Any], stage: str, execution_arn: str
) -> tuple[str, dict[str, Any]]:
    failure = item.get("failure") or {}
    cause = failure.get("Cause", "")
    try:  # a Lambda failure's cause is the runtime's JSON error document
        cause = json.loads(cause).get("errorMessage", cause)
    except (ValueError, AttributeError):
        pass
    detail = item.get("detail") or {}  # the DR machine fails with the event itself in hand
    snapshot = item.get("snapshot_id") or ebs.resource_id(
        str(item.get("snapshot_arn") or detail.get("snapshot_id", ""))
    )
    volume = item.get("volume_id") or ebs.resource_id(
        str(item.get("volume_arn") or detail.get("source", ""))
    )
    state = str(item.get("state") or "unknown")
    subject = f"Steward EBS snapshots ({stage}) FAILED at {state}: {snapshot or 'unknown snapshot'}"
    body = {
        "automation": "ebs-snapshot-management",
        "kind": "failure",
        "stage": stage,
        "snapshot": snapshot,
        "volume": volume,
        "state": state,
        "error": failure.get("Error", "unknown"),
        "cause": cause,
        "execution": execution_arn,
        "link": execution_link(execution_arn),
    }
    return subject, body


def failures_message(
    results: list[dict[str, Any]], stage: str, execution_arn: str
) -> tuple[str, dict[str, Any]] | None:
    """One message for every snapshot of a run that failed (None if none did): each with its
    snapshot, volume, state, error and cause; the first also at the top, as for one failure."""
    failed = [r for r in results if isinstance(r, dict) and r.get("failure")]
    if not failed:
        return None
    entries = [failure_message(item, stage, execution_arn)[1] for item in failed]
    first = entries[0]
    where = f"{first['snapshot'] or 'unknown snapshot'} at {first['state']}"
    more = f" and {len(failed) - 1} more" if len(failed) > 1 else ""
    subject = (
        f"Steward EBS snapshots ({stage}) FAILED at {first['state']}: {len(failed)} of "
        f"{len(results)} snapshots ({where}{more})"
    )
    body = {
        **first,
        "failed": len(failed),
        "total": len(results),
        "failures": [
            {k: e[k] for k in ("snapshot", "volume", "state", "error", "cause")} for e in entries
        ],
    }
    return subject[:100], body


def copy_failed_message(
    detail: dict[str, Any], copy_tags: dict[str, str]
) -> tuple[str, dict[str, Any]]:
    """A DR copy EC2 reported `failed` ("the snapshot copy may appear to complete, but
    eventually fail" when its KMS key cannot be used): the source snapshot, the copy and EC2's
    cause."""
    source = ebs.resource_id(str(detail.get("source", "")))
    copy = ebs.resource_id(str(detail.get("snapshot_id", "")))
    region = (
        str(detail.get("snapshot_id", "")).split(":")[3]
        if str(detail.get("snapshot_id", "")).count(":") >= 3
        else ""
    )
    subject = f"Steward EBS snapshots (dr) FAILED copy of {source or 'unknown snapshot'}"
    body = {
        "automation": "ebs-snapshot-management",
        "kind": "failure",
        "stage": "dr-copy",
        "snapshot": source,
        "volume": copy_tags.get(ebs.SOURCE_VOLUME, ""),
        "copy": copy,
        "region": region,
        "state": "CopySnapshot",
        "error": "CopySnapshotFailed",
        "cause": str(detail.get("cause", "")),
        "execution": "",
        "link": "",
    }
    return subject[:100], body
