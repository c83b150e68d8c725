"""Checking a sync request before anything is listed or copied."""

from __future__ import annotations

import re
from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, field_validator

from bucket_sync.config import SyncConfig
from steward_common.errors import InvalidInputError

_BUCKET = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"


class InvalidSyncRequestError(InvalidInputError):
    """The request is malformed (values named, never object contents)."""


class BucketNotFoundError(InvalidInputError):
    """A bucket does not exist or this function may not use it."""


class CrossRegionError(InvalidInputError):
    """Source and destination are in different regions and that was not allowed."""


class OverlappingBucketsError(InvalidInputError):
    """Source and destination overlap: a sync would copy or delete its own input."""


class ObjectLockMismatchError(InvalidInputError):
    """The source is under Object Lock and the destination is not: its copies would be
    deletable and overwritable, the protection the source's objects have would be lost."""


class SyncRequest(BaseModel):
    source: str = Field(pattern=_BUCKET)
    destination: str = Field(pattern=_BUCKET)
    prefix: str = ""
    destination_prefix: str | None = None
    delete: bool = True
    dry_run: bool = False
    include: list[str] = []
    exclude: list[str] = []
    compare: Literal["etag", "full", "size-mtime", "size"] = "etag"
    storage_class: (
        Literal[
            "STANDARD",
            "REDUCED_REDUNDANCY",
            "STANDARD_IA",
            "ONEZONE_IA",
            "INTELLIGENT_TIERING",
            "GLACIER",
            "DEEP_ARCHIVE",
            "GLACIER_IR",
        ]
        | None
    ) = None
    sse: Literal["AES256", "aws:kms", "aws:kms:dsse"] | None = None
    sse_kms_key_id: str | None = None
    copy_tags: bool = False
    restore_archived: bool = False
    restore_tier: Literal["Standard", "Bulk", "Expedited"] = "Standard"
    restore_days: int = Field(default=1, ge=1, le=30)
    max_delete: int | str | None = None
    allow_cross_region: bool = False

    @field_validator("prefix", "destination_prefix")
    @classmethod
    def _no_leading_dot_segments(cls, value: str | None) -> str | None:
        if value and any(part in (".", "..") for part in value.split("/")):
            raise ValueError("prefixes may not contain . or .. segments")
        return value


def parse_max_delete(value: int | str | None) -> tuple[int | None, float | None]:
    """`500` (objects) or `"10%"` (of the destination); None for no limit."""
    if value is None:
        return None, None
    if isinstance(value, int) or re.fullmatch(r"\d+", str(value)):
        return int(value), None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)%", str(value).strip())
    if not match or float(match.group(1)) > 100:
        raise InvalidSyncRequestError(f"max_delete {value!r} is not a count or a percentage")
    return None, float(match.group(1)) / 100


def _region(s3: Any, bucket: str) -> str:
    """The bucket's region, as HeadBucket reports it (x-amz-bucket-region)."""
    try:
        return str(s3.head_bucket(Bucket=bucket)["BucketRegion"])
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "403", "AccessDenied"):
            raise BucketNotFoundError(
                f"bucket {bucket} does not exist or is not accessible"
            ) from None
        raise


def default_encryption(s3: Any, bucket: str) -> str:
    """The bucket's default encryption algorithm (AES256, aws:kms, aws:kms:dsse; "" if none
    is set, which S3 no longer allows: every bucket now has SSE-S3 at least)."""
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
            "Rules"
        ]
    except ClientError as error:
        if "ServerSideEncryptionConfigurationNotFound" in str(
            error.response.get("Error", {}).get("Code", "")
        ):
            return ""
        raise
    for rule in rules:
        algorithm = rule.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
        if algorithm:
            return str(algorithm)
    return ""


def object_lock_enabled(s3: Any, bucket: str) -> bool:
    try:
        answer = s3.get_object_lock_configuration(Bucket=bucket)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ObjectLockConfigurationNotFoundError":
            return False
        raise
    return bool(answer.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled")


EVENTBRIDGE_ON = (
    "aws s3api put-bucket-notification-configuration --bucket {bucket} "
    "--notification-configuration '{{\"EventBridgeConfiguration\": {{}}}}'"
)


def continuous_note(s3: Any, bucket: str, continuous_sources: tuple[str, ...]) -> str:
    """For a source of a continuous pair: a note when its bucket does not send its events to
    EventBridge ("After EventBridge is enabled, all events below are sent to EventBridge"),
    with the command that turns it on (which replaces the bucket's notification
    configuration: merge it with what `get-bucket-notification-configuration` shows)."""
    if bucket not in continuous_sources:
        return ""
    answer = s3.get_bucket_notification_configuration(Bucket=bucket)
    if "EventBridgeConfiguration" in answer:
        return ""
    return (
        f"{bucket} is a continuous pair's source but sends no events to EventBridge, so only "
        f"this scheduled sync mirrors it: {EVENTBRIDGE_ON.format(bucket=bucket)}"
    )


def _overlap(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def validate(
    s3: Any,
    request: SyncRequest,
    *,
    allowed_sources: tuple[str, ...],
    allowed_destinations: tuple[str, ...],
    run_id: str,
    continuous_sources: tuple[str, ...] = (),
) -> SyncConfig:
    for bucket, allowed, role in (
        (request.source, allowed_sources, "source"),
        (request.destination, allowed_destinations, "destination"),
    ):
        if "*" not in allowed and bucket not in allowed:
            raise BucketNotFoundError(
                f"{role} bucket {bucket} is not one this stack may sync ({role}s: "
                f"{', '.join(allowed) or 'none'})"
            )
    destination_prefix = (
        request.prefix if request.destination_prefix is None else request.destination_prefix
    )
    if request.source == request.destination and _overlap(request.prefix, destination_prefix):
        raise OverlappingBucketsError(
            f"s3://{request.source}/{request.prefix} and s3://{request.destination}/{destination_prefix} overlap"
        )
    source_region, destination_region = (
        _region(s3, request.source),
        _region(s3, request.destination),
    )
    if source_region != destination_region and not request.allow_cross_region:
        raise CrossRegionError(
            f"source is in {source_region}, destination in {destination_region}; "
            "set allow_cross_region to sync across regions"
        )
    if request.sse_kms_key_id and request.sse not in ("aws:kms", "aws:kms:dsse"):
        raise InvalidSyncRequestError("sse_kms_key_id needs sse aws:kms or aws:kms:dsse")
    if object_lock_enabled(s3, request.source) and not object_lock_enabled(s3, request.destination):
        raise ObjectLockMismatchError(
            f"{request.source} is under S3 Object Lock and {request.destination} is not: its "
            "copies could be overwritten or deleted. Sync into a bucket created with Object "
            "Lock (and a default retention), or use S3 Replication, which keeps each object's "
            "retention"
        )
    count, fraction = parse_max_delete(request.max_delete)
    return SyncConfig(
        source=request.source,
        destination=request.destination,
        source_prefix=request.prefix,
        destination_prefix=destination_prefix,
        delete=request.delete,
        dry_run=request.dry_run,
        include=tuple(request.include),
        exclude=tuple(request.exclude),
        compare=request.compare,
        storage_class=request.storage_class,
        sse=request.sse,
        sse_kms_key_id=request.sse_kms_key_id,
        copy_tags=request.copy_tags,
        destination_encryption=default_encryption(s3, request.destination),
        restore_archived=request.restore_archived,
        restore_tier=request.restore_tier,
        restore_days=request.restore_days,
        continuous_note=continuous_note(s3, request.source, continuous_sources),
        max_delete_count=count,
        max_delete_fraction=fraction,
        run_id=run_id,
    )
