"""Deciding whether an object needs copying: exact, and cheap where it can be.

`etag` (default): same size and same ETag means unchanged. A copy does not always keep the
ETag — objects uploaded in parts (ETag `md5-N`), copies made in parts, and SSE-KMS objects get
a new one — so Steward records the source ETag on every copy whose ETag may differ, in the
`steward-source-etag` metadata, and an ETag mismatch is settled by that record (one HEAD).
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


def decide(source: ObjectInfo, destination: ObjectInfo | None, mode: str) -> Decision:
    if destination is None or source.size != destination.size:
        return "copy"
    if mode == "size":
        return "skip"
    if mode == "size-mtime":
        return "skip" if destination.last_modified >= source.last_modified else "copy"
    if source.etag == destination.etag:
        return "skip"
    return "check"  # the destination's recorded source ETag decides


def unchanged_by_record(source: ObjectInfo, destination_metadata: dict[str, str]) -> bool:
    return destination_metadata.get(SOURCE_ETAG_METADATA) == source.etag


def etag_may_change_on_copy(source: ObjectInfo, multipart: bool, sse: str | None) -> bool:
    """Whether the copy's ETag may differ from the source's (so the source ETag is recorded)."""
    return multipart or is_multipart_etag(source.etag) or (sse or "").startswith("aws:kms")
