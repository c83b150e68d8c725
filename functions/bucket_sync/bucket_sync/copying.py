"""Copying one object: CopyObject up to the multipart threshold, UploadPartCopy beyond it.

Content type, metadata and the other headers travel with the object. Where the copy's ETag
may differ from the source's, the source ETag is recorded in the metadata (see compare).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bucket_sync.compare import SOURCE_ETAG_METADATA, ObjectInfo, etag_may_change_on_copy
from bucket_sync.config import SyncConfig

MAX_SINGLE_COPY = 5 * 1024**3  # CopyObject's limit
_HEADERS = (
    "ContentType",
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "Expires",
    "WebsiteRedirectLocation",
)


@dataclass(frozen=True)
class CopySettings:
    multipart_threshold: int = MAX_SINGLE_COPY
    part_size: int = 512 * 1024**2


def _destination_args(config: SyncConfig) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if config.storage_class:
        args["StorageClass"] = config.storage_class
    if config.sse:
        args["ServerSideEncryption"] = config.sse
    if config.sse_kms_key_id:
        args["SSEKMSKeyId"] = config.sse_kms_key_id
    return args


def _headers(s3: Any, config: SyncConfig, obj: ObjectInfo) -> dict[str, Any]:
    head = s3.head_object(Bucket=config.source, Key=config.source_key(obj.key))
    headers = {name: head[name] for name in _HEADERS if head.get(name)}
    headers["Metadata"] = {**head.get("Metadata", {}), SOURCE_ETAG_METADATA: obj.etag}
    return headers


def copy_object(s3: Any, config: SyncConfig, obj: ObjectInfo, settings: CopySettings) -> None:
    source = {"Bucket": config.source, "Key": config.source_key(obj.key)}
    target = {
        "Bucket": config.destination,
        "Key": config.destination_key(obj.key),
        **_destination_args(config),
    }
    multipart = obj.size > settings.multipart_threshold
    record = etag_may_change_on_copy(obj, multipart, config.sse)
    if not multipart:
        extra: dict[str, Any] = {"TaggingDirective": "COPY" if config.copy_tags else "REPLACE"}
        if record:
            extra |= {"MetadataDirective": "REPLACE", **_headers(s3, config, obj)}
        s3.copy_object(CopySource=source, **target, **extra)
        return
    upload = s3.create_multipart_upload(**target, **_headers(s3, config, obj))
    upload_id = upload["UploadId"]
    try:
        parts = []
        for number, start in enumerate(range(0, obj.size, settings.part_size), start=1):
            end = min(start + settings.part_size, obj.size) - 1
            part = s3.upload_part_copy(
                CopySource=source,
                Bucket=target["Bucket"],
                Key=target["Key"],
                UploadId=upload_id,
                PartNumber=number,
                CopySourceRange=f"bytes={start}-{end}",
            )
            parts.append({"PartNumber": number, "ETag": part["CopyPartResult"]["ETag"]})
        s3.complete_multipart_upload(
            Bucket=target["Bucket"],
            Key=target["Key"],
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
        )
    except Exception:
        s3.abort_multipart_upload(Bucket=target["Bucket"], Key=target["Key"], UploadId=upload_id)
        raise
    if config.copy_tags:
        tags = s3.get_object_tagging(Bucket=config.source, Key=source["Key"])["TagSet"]
        if tags:
            s3.put_object_tagging(
                Bucket=target["Bucket"], Key=target["Key"], Tagging={"TagSet": tags}
            )
