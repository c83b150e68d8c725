"""What Steward's EBS snapshot functions share: its tags, ARN parsing, and limit errors.

Tags are informative: what Steward may delete is in its ownership table (ownership.py). The
IAM policy adds that a snapshot must also carry `steward:managed-by = steward` to be deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class KnownTool:
    """A tool that makes and deletes its own snapshots, recognised by what it writes on them."""

    name: str
    tag_keys: tuple[str, ...] = ()  # a tag with one of these keys
    tag_prefixes: tuple[str, ...] = ()  # a tag whose key starts with one of these
    descriptions: tuple[str, ...] = ()  # a description starting with one of these


# Each one's marks and where they come from are listed in the README ("Snapshots Steward
# leaves alone"); a test per tool feeds its marks to the machine.
KNOWN_TOOLS = (
    KnownTool("Amazon Data Lifecycle Manager", tag_prefixes=("aws:dlm:",)),
    KnownTool(
        "AWS Backup",
        tag_prefixes=("aws:backup:",),
        descriptions=("This snapshot is created by the AWS Backup service",),
    ),
    KnownTool(
        "the Amazon EBS CSI driver",
        tag_keys=("CSIVolumeSnapshotName", "ebs.csi.aws.com/cluster"),
        descriptions=("Created by AWS EBS CSI driver",),
    ),
    KnownTool("Velero", tag_prefixes=("velero.io/",)),
    KnownTool("AWS Elastic Disaster Recovery", tag_keys=("AWSElasticDisasterRecoveryManaged",)),
    KnownTool("EC2 CreateImage (an AMI)", descriptions=("Created by CreateImage(",)),
)


def made_by_another_tool(tags: Mapping[str, str], description: str) -> str | None:
    """Which known tool made the snapshot, if one did (each manages its own)."""
    for tool in KNOWN_TOOLS:
        if (
            any(k in tags for k in tool.tag_keys)
            or any(k.startswith(tool.tag_prefixes) for k in tags if tool.tag_prefixes)
            or (tool.descriptions and description.startswith(tool.descriptions))
        ):
            return tool.name
    return None
