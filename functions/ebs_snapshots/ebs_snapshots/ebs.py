"""What Steward's EBS snapshot functions share: its tags, ARN parsing, and limit errors.

Steward manages a snapshot only once it carries `steward:managed-by = steward`; only such
snapshots are ever deleted (the IAM policy enforces the same rule).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from steward_common.errors import InvalidInputError, TransientError

MANAGED_BY = "steward:managed-by"
MANAGED_VALUE = "steward"
SOURCE_VOLUME = "steward:source-volume"
SOURCE_REGION = "steward:source-region"
SOURCE_SNAPSHOT = "steward:source-snapshot"
RETENTION = "steward:retention"
RETAIN_OVERRIDE = "steward:retain"  # on a volume: how many snapshots to keep
OPT_OUT = "steward:managed"  # "false" on a snapshot or volume: never manage it

# Errors that mean "not now": EC2 throttling and the snapshot concurrency limits.
_LIMIT_CODES = frozenset(
    {
        "RequestLimitExceeded",
        "Throttling",
        "ThrottlingException",
        "SnapshotCreationPerVolumeRateExceeded",
        "ResourceLimitExceeded",
        "ConcurrentSnapshotLimitExceeded",
        "SnapshotLimitExceeded",
    }
)


class SnapshotLimitExceeded(TransientError):
    """EC2 throttled us or a snapshot limit was reached; the state machine retries with backoff."""


class SnapshotNotFoundError(InvalidInputError):
    """The snapshot named in the event does not exist (any more)."""


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def raise_if_limited(error: ClientError) -> None:
    """Re-raise throttling and limit errors as SnapshotLimitExceeded, by name, for Retry."""
    if error_code(error) in _LIMIT_CODES:
        raise SnapshotLimitExceeded(
            f"{error_code(error)}: {error.response['Error'].get('Message', '')}"
        ) from error


def resource_id(arn_or_id: str) -> str:
    """`snap-…` / `vol-…` from an EBS event's ARN (`arn:aws:ec2::<region>:snapshot/snap-…`)."""
    return arn_or_id.rsplit("/", 1)[-1]


def arn_region(arn: str, default: str) -> str:
    """The region of an EBS event ARN; EBS events put it in the fifth field."""
    parts = arn.split(":")
    if len(parts) >= 6 and parts[0] == "arn":
        return parts[4] or parts[3] or default
    return default


def tags_of(resource: Mapping[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", []) or []}


def as_tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def user_tags(tags: Mapping[str, str], allow: Iterable[str] = ()) -> dict[str, str]:
    """Tags worth copying: never `aws:` ones (reserved) nor Steward's own; only `allow` if given."""
    allowed = set(allow)
    return {
        k: v
        for k, v in tags.items()
        if not k.startswith(("aws:", "steward:")) and (not allowed or k in allowed)
    }


def made_by_another_service(tags: Mapping[str, str], description: str) -> str | None:
    """Which service made the snapshot, if DLM or AWS Backup did (they manage their own)."""
    if any(k.startswith("aws:dlm:") for k in tags):
        return "Amazon Data Lifecycle Manager"
    if any(k.startswith("aws:backup:") for k in tags) or description.startswith(
        "This snapshot is created by the AWS Backup service"
    ):
        return "AWS Backup"
    return None
