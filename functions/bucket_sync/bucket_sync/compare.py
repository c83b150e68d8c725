"""Deciding whether an object needs copying: exact for every encryption mode, cheap where it can be.

`etag` (default): a missing object or a different size is copied. The same size and the same
ETag is unchanged. The same size with different ETags proves nothing by itself: an ETag "may
or may not be an MD5 digest of the object data" (S3 API Reference, `Object`): objects
encrypted with SSE-KMS or SSE-C, objects uploaded or copied in parts, have ETags that are not,
so a source and its faithful copy can differ in ETag. Every copy Steward makes therefore
records the source's identity in the copy's metadata (`steward-source-etag`, `-size`,
`-last-modified`, `-version-id`), and such a mismatch is settled by that record: one HEAD of
the destination object. An SSE-KMS source or a KMS-default destination then syncs once and
copies nothing after (each unchanged object costs that HEAD per run).

`full`: as `etag`, and the metadata, content headers, website redirect and (with `copy_tags`)
tags compared too, to catch a change of those alone, which leaves the ETag as it was ("The
ETag reflects changes only to the contents of an object, not its metadata"): a HEAD of the
source and one of the destination per object of the same size (and two GetObjectTagging with
`copy_tags`).

`size-mtime` (as `aws s3 sync`) and `size` are cheaper and blind to same-size changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

SOURCE_ETAG_METADATA = "steward-source-etag"
SOURCE_SIZE_METADATA = "steward-source-size"
SOURCE_MODIFIED_METADATA = "steward-source-last-modified"
SOURCE_VERSION_METADATA = "steward-source-version-id"
IDENTITY_METADATA = (
    SOURCE_ETAG_METADATA,
    SOURCE_SIZE_METADATA,
    SOURCE_MODIFIED_METADATA,
    SOURCE_VERSION_METADATA,
)
Decision = Literal["copy", "skip", "check", "full"]
# What `full` compares besides the content: the headers S3 keeps per object and CopyObject
# with MetadataDirective REPLACE sets (HeadObject's names).
COMPARED_HEADERS = (
    "ContentType",
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "Expires",
    "WebsiteRedirectLocation",
)


@dataclass(frozen=True)
class ObjectInfo:
    key: str  # relative to the sync's prefix
    size: int
    etag: str  # without quotes
    last_modified: datetime
    storage_class: str = "STANDARD"


def is_multipart_etag(etag: str) -> bool:
    return "-" in etag


def decide(source: ObjectInfo, destination: ObjectInfo | None, mode: str) -> Decision:
    if destination is None or source.size != destination.size:
        return "copy"
    if mode == "size":
        return "skip"
    if mode == "size-mtime":
        return "skip" if destination.last_modified >= source.last_modified else "copy"
    if mode == "full":
        return "full"  # the content, then the metadata: both HEADs decide
    if source.etag == destination.etag:
        return "skip"
    return "check"  # the destination's record of its source decides


def unchanged_by_record(source: ObjectInfo, destination_metadata: dict[str, str]) -> bool:
    """Whether the destination object is a copy of this very source object (its record)."""
    if destination_metadata.get(SOURCE_ETAG_METADATA) != source.etag:
        return False
    size = destination_metadata.get(SOURCE_SIZE_METADATA)
    return size is None or size == str(source.size)


def same_content(
    source: ObjectInfo, destination: ObjectInfo, destination_metadata: dict[str, str]
) -> bool:
    return source.etag == destination.etag or unchanged_by_record(source, destination_metadata)


def user_metadata(metadata: dict[str, str]) -> dict[str, str]:
    """An object's metadata without Steward's record of its source."""
    return {k: v for k, v in metadata.items() if k not in IDENTITY_METADATA}


def same_attributes(source_head: dict[str, Any], destination_head: dict[str, Any]) -> bool:
    """Whether two HeadObject answers agree on everything `full` compares but content."""
    for name in COMPARED_HEADERS:
        if source_head.get(name) != destination_head.get(name):
            return False
    return user_metadata(source_head.get("Metadata") or {}) == user_metadata(
        destination_head.get("Metadata") or {}
    )
