"""Copying one object as the source has it: CopyObject up to the multipart threshold,
UploadPartCopy beyond it (see multipart: across invocations, recorded in the state bucket).

A copy is made from a HEAD of the source, taken just before, because CopyObject keeps less than
it seems to:
- the storage class: "If you don't specify [x-amz-storage-class], S3 uses STANDARD" for the
  copy, so the source's class is given (a request's `storage_class` overrides it);
- the website redirect "is not copied when using the x-amz-metadata-directive header" and is
  given from the source's HEAD;
- metadata and content headers are given whole (MetadataDirective REPLACE), with Steward's
  record of the source's identity added (see compare); the checksum algorithm is the
  source's (`ChecksumAlgorithm`), so the copy carries a checksum of the same kind;
- tags only with `copy_tags` (TaggingDirective COPY), else none.
Archived objects (S3 Glacier Flexible Retrieval, Deep Archive, Intelligent-Tiering's archive
tiers) "are not accessible in real time" and cannot be copied until restored: they are not
copied, and with `restore_archived` their restore is started for a later run to copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from bucket_sync.compare import (
    COMPARED_HEADERS,
    SOURCE_ETAG_METADATA,
    SOURCE_MODIFIED_METADATA,
    SOURCE_SIZE_METADATA,
    SOURCE_VERSION_METADATA,
    ObjectInfo,
    user_metadata,
)
from bucket_sync.config import SyncConfig
from bucket_sync.multipart import MultipartJob, copy_in_parts, part_ranges, part_size_for

MAX_SINGLE_COPY = 5 * 1024**3  # CopyObject's limit
ARCHIVED_CLASSES = ("GLACIER", "DEEP_ARCHIVE")
ARCHIVE_TIERS = ("ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS")
# Classes whose objects may be archived: a listing alone cannot tell (Intelligent-Tiering's
# archive tiers show only in HeadObject's ArchiveStatus).
MAYBE_ARCHIVED = (*ARCHIVED_CLASSES, "INTELLIGENT_TIERING")
_CHECKSUMS = {
    "ChecksumCRC32": "CRC32",
    "ChecksumCRC32C": "CRC32C",
    "ChecksumCRC64NVME": "CRC64NVME",
    "ChecksumSHA1": "SHA1",
    "ChecksumSHA256": "SHA256",
}


@dataclass(frozen=True)
class CopySettings:
    multipart_threshold: int = MAX_SINGLE_COPY
    part_size: int = 512 * 1024**2  # at least: larger for objects past 10,000 such parts
    part_concurrency: int = 8  # parts of one object copied at a time
    # a multipart record not written for this long belongs to a stopped run: its upload is
    # aborted (a live run writes it every window, and every invocation, which is at most
    # Lambda's 15 minutes plus the state machine's retry delays apart)
    abandoned_after_s: int = 3600


def head_source(s3: Any, config: SyncConfig, obj: ObjectInfo) -> dict[str, Any]:
    head: dict[str, Any] = s3.head_object(
        Bucket=config.source, Key=config.source_key(obj.key), ChecksumMode="ENABLED"
    )
    return head


def is_archived(head: dict[str, Any]) -> bool:
    """Archived and not (yet) restored: a copy would fail with InvalidObjectState."""
    archived = head.get("StorageClass") in ARCHIVED_CLASSES or head.get("ArchiveStatus") in (
        ARCHIVE_TIERS
    )
    return archived and 'ongoing-request="false"' not in str(head.get("Restore") or "")


def restore_in_progress(head: dict[str, Any]) -> bool:
    return 'ongoing-request="true"' in str(head.get("Restore") or "")


def start_restore(s3: Any, config: SyncConfig, obj: ObjectInfo, head: dict[str, Any]) -> bool:
    """Start the restore of an archived source object; False if one is already under way."""
    if restore_in_progress(head):
        return False
    request: dict[str, Any] = {"GlacierJobParameters": {"Tier": config.restore_tier}}
    if not head.get("ArchiveStatus"):
        # Intelligent-Tiering's archive tiers take no Days: the object moves back to the
        # Frequent Access tier; the two Glacier classes make a temporary copy for Days.
        request["Days"] = config.restore_days
    try:
        s3.restore_object(
            Bucket=config.source, Key=config.source_key(obj.key), RestoreRequest=request
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "RestoreAlreadyInProgress":
            return False
        raise
    return True


def checksum_algorithm(head: dict[str, Any]) -> str | None:
    return next((name for field, name in _CHECKSUMS.items() if head.get(field)), None)


def _destination_args(config: SyncConfig, obj: ObjectInfo, head: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {name: head[name] for name in COMPARED_HEADERS if head.get(name)}
    identity = {
        SOURCE_ETAG_METADATA: obj.etag,
        SOURCE_SIZE_METADATA: str(obj.size),
        SOURCE_MODIFIED_METADATA: obj.last_modified.isoformat(),
    }
    if head.get("VersionId") and head["VersionId"] != "null":
        identity[SOURCE_VERSION_METADATA] = str(head["VersionId"])
    args["Metadata"] = {**user_metadata(head.get("Metadata") or {}), **identity}
    args["StorageClass"] = config.storage_class or head.get("StorageClass") or "STANDARD"
    algorithm = checksum_algorithm(head)
    if algorithm:
        args["ChecksumAlgorithm"] = algorithm
    if config.sse:
        args["ServerSideEncryption"] = config.sse
    if config.sse_kms_key_id:
        args["SSEKMSKeyId"] = config.sse_kms_key_id
    return args


def copy_object(
    s3: Any,
    config: SyncConfig,
    obj: ObjectInfo,
    head: dict[str, Any],
    settings: CopySettings,
    job: MultipartJob | None = None,
) -> bool:
    """Copy one object; True once it is copied, False if a copy in parts ran short of time
    (only with a `job`: its record in the state bucket lets the next invocation go on)."""
    source = {"Bucket": config.source, "Key": config.source_key(obj.key)}
    target = {"Bucket": config.destination, "Key": config.destination_key(obj.key)}
    args = _destination_args(config, obj, head)
    if obj.size <= settings.multipart_threshold:
        s3.copy_object(
            CopySource=source,
            **target,
            **args,
            MetadataDirective="REPLACE",
            TaggingDirective="COPY" if config.copy_tags else "REPLACE",
        )
        return True
    if job is not None and job.state_bucket:
        if not copy_in_parts(s3, source, target, args, obj.etag, obj.size, settings.part_size, job):
            return False  # the time ran short: the next invocation goes on from the record
    else:
        _copy_in_parts_at_once(s3, source, target, args, obj.size, settings.part_size)
    if config.copy_tags:
        tags = s3.get_object_tagging(Bucket=config.source, Key=source["Key"])["TagSet"]
        if tags:
            s3.put_object_tagging(**target, Tagging={"TagSet": tags})
    return True


def _copy_in_parts_at_once(
    s3: Any,
    source: dict[str, str],
    target: dict[str, str],
    args: dict[str, Any],
    size: int,
    configured_part_size: int,
) -> None:
    """Every part in this invocation, without a record (no state bucket to keep one in):
    the upload is aborted if a part fails."""
    upload = s3.create_multipart_upload(**target, **args)
    upload_id = upload["UploadId"]
    try:
        parts = []
        for number, first, last in part_ranges(size, part_size_for(size, configured_part_size)):
            part = s3.upload_part_copy(
                CopySource=source,
                **target,
                UploadId=upload_id,
                PartNumber=number,
                CopySourceRange=f"bytes={first}-{last}",
            )
            result = part["CopyPartResult"]
            done = {"PartNumber": number, "ETag": result["ETag"]}
            if args.get("ChecksumAlgorithm"):
                field = f"Checksum{args['ChecksumAlgorithm']}"
                if result.get(field):
                    done[field] = result[field]
            parts.append(done)
        s3.complete_multipart_upload(**target, UploadId=upload_id, MultipartUpload={"Parts": parts})
    except Exception:
        s3.abort_multipart_upload(**target, UploadId=upload_id)
        raise
