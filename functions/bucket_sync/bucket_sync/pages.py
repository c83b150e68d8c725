"""One page of a sync phase: `copy` (missing or changed objects), `scan` (find orphans in the
destination and stage them), `delete` (delete staged orphans, 1,000 to a request), plus the
`guard` before deleting and the final `summary`.

Both listings are walked in key order from a cursor (the last relative key done), so each
page compares a range of the source with the same range of the destination; copy and scan
are independent and run side by side. Deletion happens only after both finished, and only if
the source was listed completely and no copy failed (rclone's rule).
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from bucket_sync.compare import ObjectInfo, decide, unchanged_by_record
from bucket_sync.config import SyncConfig
from bucket_sync.copying import CopySettings, copy_object
from steward_common.errors import TransientError

COUNTERS = (
    "copied",
    "copied_bytes",
    "skipped",
    "excluded",
    "failed",
    "would_copy",
    "would_copy_bytes",
    "destination_objects",
    "orphans",
    "deleted",
    "would_delete",
    "delete_failed",
    "pages",
)


class S3ThrottledError(TransientError):
    """S3 answered SlowDown / 503 beyond the SDK's retries; the state machine retries the page."""


@dataclass(frozen=True)
class PageSettings:
    page_size: int = 1000
    concurrency: int = 16
    chunk: int = 64
    time_margin_ms: int = 20_000
    copy: CopySettings = field(default_factory=CopySettings)


def _rethrow(error: ClientError) -> None:
    if error.response.get("Error", {}).get("Code") in (
        "SlowDown",
        "503",
        "ServiceUnavailable",
        "RequestLimitExceeded",
    ):
        raise S3ThrottledError(str(error)) from error
    raise error


def _listing(
    s3: Any, bucket: str, prefix: str, after: str, max_keys: int
) -> Iterator[tuple[list[ObjectInfo], bool]]:
    """Pages of (objects relative to `prefix`, truncated?) after the relative key `after`."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": max_keys}
    if after:
        kwargs["StartAfter"] = prefix + after
    while True:
        try:
            page = s3.list_objects_v2(**kwargs)
        except ClientError as error:
            _rethrow(error)
        objects = [
            ObjectInfo(o["Key"][len(prefix) :], o["Size"], o["ETag"].strip('"'), o["LastModified"])
            for o in page.get("Contents", [])
        ]
        yield objects, bool(page.get("IsTruncated"))
        if not page.get("IsTruncated"):
            return
        kwargs["ContinuationToken"] = page["NextContinuationToken"]
        kwargs.pop("StartAfter", None)


def _first_page(
    s3: Any, bucket: str, prefix: str, after: str, size: int
) -> tuple[list[ObjectInfo], bool]:
    return next(_listing(s3, bucket, prefix, after, size))


def _range(s3: Any, bucket: str, prefix: str, after: str, last: str) -> dict[str, ObjectInfo]:
    """Every object with `after` < key <= `last` (relative keys)."""
    found: dict[str, ObjectInfo] = {}
    for objects, _ in _listing(s3, bucket, prefix, after, 1000):
        for obj in objects:
            if obj.key > last:
                return found
            found[obj.key] = obj
    return found


def add_counts(totals: dict[str, int], **counts: int) -> dict[str, int]:
    merged = {k: int(totals.get(k, 0)) for k in COUNTERS}
    for key, value in counts.items():
        merged[key] += value
    return merged


def copy_page(
    s3: Any,
    config: SyncConfig,
    cursor: str,
    settings: PageSettings,
    remaining_ms: Callable[[], int],
) -> tuple[str, bool, dict[str, int], list[str]]:
    """(new cursor, done, counts, first errors) for the next page of the source."""
    sources, truncated = _first_page(
        s3, config.source, config.source_prefix, cursor, settings.page_size
    )
    counts = dict.fromkeys(COUNTERS, 0)
    counts["pages"] = 1
    errors: list[str] = []
    if not sources:
        return cursor, True, counts, errors
    destinations = _range(
        s3, config.destination, config.destination_prefix, cursor, sources[-1].key
    )
    to_copy: set[str] = set()
    kms = config.destination_kms or (config.sse or "").startswith("aws:kms")
    for obj in sources:
        if not config.selected(obj.key):
            counts["excluded"] += 1
            continue
        verdict = decide(obj, destinations.get(obj.key), config.compare, kms)
        if verdict == "check":
            head = s3.head_object(Bucket=config.destination, Key=config.destination_key(obj.key))
            verdict = "skip" if unchanged_by_record(obj, head.get("Metadata", {})) else "copy"
        if verdict == "skip":
            counts["skipped"] += 1
        elif config.dry_run:
            counts["would_copy"] += 1
            counts["would_copy_bytes"] += obj.size
        else:
            to_copy.add(obj.key)

    def one(obj: ObjectInfo) -> tuple[ObjectInfo, str | None]:
        try:
            copy_object(s3, config, obj, settings.copy)
            return obj, None
        except ClientError as error:
            return obj, f"{obj.key}: {error.response.get('Error', {}).get('Code', 'error')}"

    new_cursor = cursor
    handed_over = False
    with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
        for start in range(0, len(sources), settings.chunk):
            chunk_keys = sources[start : start + settings.chunk]
            if remaining_ms() < settings.time_margin_ms:
                handed_over = True  # the next invocation goes on from the cursor
                break
            batch = [o for o in chunk_keys if o.key in to_copy]
            # each task gets its own copy of the context (logging, environment) it runs in
            futures = [pool.submit(contextvars.copy_context().run, one, obj) for obj in batch]
            for future in futures:
                obj, error = future.result()
                if error is None:
                    counts["copied"] += 1
                    counts["copied_bytes"] += obj.size
                else:
                    counts["failed"] += 1
                    if len(errors) < 5:
                        errors.append(error)
            new_cursor = chunk_keys[-1].key
    return new_cursor, (not truncated and not handed_over), counts, errors


def scan_page(
    s3: Any,
    config: SyncConfig,
    cursor: str,
    settings: PageSettings,
    state_bucket: str,
    page_number: int,
) -> tuple[str, bool, dict[str, int]]:
    destinations, truncated = _first_page(
        s3, config.destination, config.destination_prefix, cursor, settings.page_size
    )
    counts = dict.fromkeys(COUNTERS, 0)
    counts["pages"] = 1
    if not destinations:
        return cursor, True, counts
    sources = _range(s3, config.source, config.source_prefix, cursor, destinations[-1].key)
    selected = [d for d in destinations if config.selected(d.key)]
    orphans = [d.key for d in selected if d.key not in sources]
    counts["destination_objects"] = len(selected)
    counts["orphans"] = len(orphans)
    if orphans:
        s3.put_object(
            Bucket=state_bucket,
            Key=f"{config.run_id}/orphans/{page_number:08d}.json",
            Body=json.dumps([config.destination_key(k) for k in orphans]).encode(),
            ContentType="application/json",
        )
    return destinations[-1].key, not truncated, counts


def delete_page(
    s3: Any, config: SyncConfig, cursor: str, state_bucket: str
) -> tuple[str, bool, dict[str, int], list[str]]:
    """Delete the orphans of the next staged manifest (at most 1,000 keys: one request)."""
    prefix = f"{config.run_id}/orphans/"
    kwargs: dict[str, Any] = {"Bucket": state_bucket, "Prefix": prefix, "MaxKeys": 1}
    if cursor:
        kwargs["StartAfter"] = cursor
    listed = s3.list_objects_v2(**kwargs)
    counts = dict.fromkeys(COUNTERS, 0)
    counts["pages"] = 1
    errors: list[str] = []
    manifests = listed.get("Contents", [])
    if not manifests:
        return cursor, True, counts, errors
    manifest = manifests[0]["Key"]
    keys: list[str] = json.loads(s3.get_object(Bucket=state_bucket, Key=manifest)["Body"].read())
    if config.dry_run:
        counts["would_delete"] = len(keys)
    else:
        answer = s3.delete_objects(
            Bucket=config.destination, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True}
        )
        failed = answer.get("Errors", [])
        counts["deleted"] = len(keys) - len(failed)
        counts["delete_failed"] = len(failed)
        errors = [f"{e['Key']}: {e.get('Code')}" for e in failed[:5]]
    return manifest, not listed.get("IsTruncated"), counts, errors


def guard(
    config: SyncConfig, copy_totals: dict[str, int], scan_totals: dict[str, int]
) -> dict[str, Any]:
    """Whether deleting the staged orphans is safe, and why not if it is not."""
    orphans = int(scan_totals.get("orphans", 0))
    destination = int(scan_totals.get("destination_objects", 0))
    source_objects = sum(
        int(copy_totals.get(k, 0)) for k in ("copied", "skipped", "failed", "would_copy")
    )
    if not config.delete or orphans == 0:
        return {
            "delete": False,
            "refused": False,
            "reason": "nothing to delete" if config.delete else "delete is off",
        }
    if int(copy_totals.get("failed", 0)):
        return {
            "delete": False,
            "refused": True,
            "reason": f"{copy_totals['failed']} copies failed: nothing is deleted after a failed copy",
        }
    limit = config.max_delete_count
    if config.max_delete_fraction is not None:
        limit = int(config.max_delete_fraction * destination)
    if limit is not None and orphans > limit:
        return {
            "delete": False,
            "refused": True,
            "reason": f"{orphans} orphans exceed max_delete ({limit} of {destination} objects)",
        }
    if source_objects == 0 and limit is None:
        return {
            "delete": False,
            "refused": True,
            "reason": f"the source is empty: deleting all {orphans} objects needs max_delete to allow it",
        }
    return {"delete": True, "refused": False, "reason": f"{orphans} orphan(s) to delete"}
