"""A bucket sync's settings, shared by the validation and page functions.

Keys are compared relative to the sync's prefixes: `source_prefix + rel` is copied to
`destination_prefix + rel`. Include/exclude globs apply to `rel`; an excluded key is neither
copied nor deleted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import Any

COMPARE_MODES = ("etag", "full", "size-mtime", "size")
RESTORE_TIERS = ("Standard", "Bulk", "Expedited")


@dataclass(frozen=True)
class SyncConfig:
    source: str
    destination: str
    source_prefix: str = ""
    destination_prefix: str = ""
    delete: bool = True
    dry_run: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    compare: str = "etag"
    storage_class: str | None = None
    sse: str | None = None
    sse_kms_key_id: str | None = None
    copy_tags: bool = False
    # The destination's default encryption (GetBucketEncryption), for the summary: with
    # aws:kms its objects' ETags are not MD5s, which the comparison's record settles.
    destination_encryption: str = ""
    restore_archived: bool = False  # start the restore of archived source objects
    restore_tier: str = "Standard"
    restore_days: int = 1  # how long a restored Glacier copy stays (a later run copies it)
    # Set when the source is a continuous pair's whose bucket sends S3 no events to EventBridge.
    continuous_note: str = ""
    max_delete_count: int | None = None
    max_delete_fraction: float | None = None
    run_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def selected(self, rel: str) -> bool:
        if self.include and not any(fnmatchcase(rel, p) for p in self.include):
            return False
        return not any(fnmatchcase(rel, p) for p in self.exclude)

    def source_key(self, rel: str) -> str:
        return self.source_prefix + rel

    def destination_key(self, rel: str) -> str:
        return self.destination_prefix + rel

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["include"], data["exclude"] = list(self.include), list(self.exclude)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SyncConfig:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["include"] = tuple(known.get("include") or ())
        known["exclude"] = tuple(known.get("exclude") or ())
        return cls(**known)
