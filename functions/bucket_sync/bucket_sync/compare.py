"""Deciding whether an object needs copying: exact, and cheap where it can be.

`etag` (default): same size and same ETag means unchanged; two plain MD5 ETags that differ
mean changed, and the object is copied without further ado. A copy does not always keep the
ETag — objects uploaded in parts (ETag `md5-N`), copies made in parts, and SSE-KMS objects get
a new one — so Steward records the source ETag on every copy whose ETag may differ, in the
`steward-source-etag` metadata, and only such an ambiguous mismatch is settled by that record
(one HEAD).
Same size with different content is a different ETag, so it is copied: `aws s3 sync`, which
compares size and time only, misses exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

SOURCE_ETAG_METADATA = "steward-source-etag"
Decision = Literal["copy", "skip", "check"]


@dataclass(frozen=True)
class ObjectInfo:
    key: str  # relative to the sync's prefix
    size: int
    etag: str  # without quotes
    last_modified: datetime


def is_multipart_etag(etag: str) -> bool:
    return "-" in etag


def decide(
    source: ObjectInfo, destination: ObjectInfo | None, mode: str, kms_destination: bool = False
) -> Decision:
    """`kms_destination`: destination ETags are not MD5s (SSE-KMS), so a mismatch proves nothing."""
    if destination is None or source.size != destination.size:
        return "copy"
    if mode == "size":
        return "skip"
    if mode == "size-mtime":
        return "skip" if destination.last_modified >= source.last_modified else "copy"
    if source.etag == destination.etag:
        return "skip"
    if kms_destination or is_multipart_etag(source.etag) or is_multipart_etag(destination.etag):
        return "check"  # the destination's recorded source ETag decides
    return "copy"  # two MD5s that differ: the content differs


def unchanged_by_record(source: ObjectInfo, destination_metadata: dict[str, str]) -> bool:
    return destination_metadata.get(SOURCE_ETAG_METADATA) == source.etag


def etag_may_change_on_copy(source: ObjectInfo, multipart: bool, sse: str | None) -> bool:
    """Whether the copy's ETag may differ from the source's (so the source ETag is recorded)."""
    return multipart or is_multipart_etag(source.etag) or (sse or "").startswith("aws:kms")
