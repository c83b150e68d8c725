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

from bucket_sync.compare import ObjectInfo, decide, same_attributes, same_content
from bucket_sync.config import SyncConfig
from bucket_sync.copying import (
    MAYBE_ARCHIVED,
    CopySettings,
    copy_object,
    head_source,
    is_archived,
    start_restore,
)
from bucket_sync.multipart import MultipartError, MultipartJob, abort_left_behind
from bucket_sync.s3_errors import TRANSIENT_CODES, error_code, is_transient
from steward_common.errors import TransientError

COUNTERS = (
    "copied",
    "copied_bytes",
    "skipped",
    "excluded",
    "failed",
    "archived",
    "restores_started",
    "would_copy",
    "would_copy_bytes",
    "destination_objects",
    "orphans",
    "deleted",
    "would_delete",
    "delete_failed",
    "recreated",
    "uploads_aborted",  # multipart uploads of stopped runs, aborted
    "pages",
)
ARCHIVE_CODES = ("InvalidObjectState", "ObjectNotInActiveTierError")


class S3ThrottledError(TransientError):
    """S3 answered SlowDown / 5xx beyond the SDK's retries; the state machine retries the page."""


@dataclass(frozen=True)
class PageSettings:
    page_size: int = 1000
    concurrency: int = 16
    chunk: int = 64
    time_margin_ms: int = 20_000
    copy: CopySettings = field(default_factory=CopySettings)


def _rethrow(error: ClientError) -> None:
    if is_transient(error):
        raise S3ThrottledError(
            f"S3 answered {error_code(error)} beyond the SDK's retries"
        ) from error
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
            ObjectInfo(
                o["Key"][len(prefix) :],
                o["Size"],
                o["ETag"].strip('"'),
                o["LastModified"],
                o.get("StorageClass") or "STANDARD",
            )
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
    """The next objects after `after`: S3 may answer a page with no keys that is still
    truncated ("Amazon S3 might return fewer than [MaxKeys]"), so empty pages are passed over
    until one has keys or the listing ends."""
    for objects, truncated in _listing(s3, bucket, prefix, after, size):
        if objects or not truncated:
            return objects, truncated
    return [], False


def _range(s3: Any, bucket: str, prefix: str, after: str, last: str) -> dict[str, ObjectInfo]:
    """Every object with `after` < key <= `last` (relative keys)."""
    found: dict[str, ObjectInfo] = {}
    for objects, _ in _listing(s3, bucket, prefix, after, 1000):
        for obj in objects:
            if obj.key > last:
                return found
            found[obj.key] = obj
            if obj.key == last:  # keys are unique and sorted: no need to list on to see it
                return found
    return found


def add_counts(totals: dict[str, int], **counts: int) -> dict[str, int]:
    merged = {k: int(totals.get(k, 0)) for k in COUNTERS}
    for key, value in counts.items():
        merged[key] += value
    return merged


@dataclass
class _Outcome:
    kind: str  # copied, skipped, would_copy, archived, failed, unfinished (parts left)
    size: int = 0
    restore_started: bool = False
    error: str | None = None


def _settle(
    s3: Any, config: SyncConfig, obj: ObjectInfo, destination: ObjectInfo | None
) -> tuple[bool, dict[str, Any] | None]:
    """(copy it?, the source's HEAD if one was taken) for an object the listings cannot settle."""
    verdict = decide(obj, destination, config.compare)
    if verdict == "copy":
        return True, None
    if verdict == "skip":
        return False, None
    assert destination is not None
    head = s3.head_object(Bucket=config.destination, Key=config.destination_key(obj.key))
    if not same_content(obj, destination, head.get("Metadata") or {}):
        return True, None
    if verdict == "check":
        return False, None
    # full: the content is the same; the attributes decide
    source_head = head_source(s3, config, obj)
    if not same_attributes(source_head, head):
        return True, source_head
    if config.copy_tags:
        tags = [
            s3.get_object_tagging(Bucket=b, Key=k)["TagSet"]
            for b, k in (
                (config.source, config.source_key(obj.key)),
                (config.destination, config.destination_key(obj.key)),
            )
        ]
        if sorted(map(str, tags[0])) != sorted(map(str, tags[1])):
            return True, source_head
    return False, None


def _one(
    s3: Any,
    config: SyncConfig,
    obj: ObjectInfo,
    destination: ObjectInfo | None,
    settings: PageSettings,
    job: MultipartJob | None = None,
) -> _Outcome:
    """Everything one object needs: decide, then copy (or restore, or count it archived)."""
    try:
        needed, head = _settle(s3, config, obj, destination)
        if not needed:
            return _Outcome("skipped")
        if head is None and (not config.dry_run or obj.storage_class in MAYBE_ARCHIVED):
            head = head_source(s3, config, obj)
        if head is not None and is_archived(head):
            started = False
            if config.restore_archived and not config.dry_run:
                started = start_restore(s3, config, obj, head)
            return _Outcome("archived", obj.size, restore_started=started)
        if config.dry_run:
            return _Outcome("would_copy", obj.size)
        assert head is not None
        if not copy_object(s3, config, obj, head, settings.copy, job):
            return _Outcome("unfinished", obj.size)
        return _Outcome("copied", obj.size)
    except MultipartError as error:
        return _Outcome("failed", obj.size, error=f"{obj.key}: {error}")
    except ClientError as error:
        if is_transient(error):
            _rethrow(error)
        if error_code(error) in ARCHIVE_CODES:  # archived since the HEAD
            return _Outcome("archived", obj.size)
        return _Outcome("failed", obj.size, error=f"{obj.key}: {error_code(error)}")


def _stage(s3: Any, state_bucket: str, key: str, body: Any) -> None:
    s3.put_object(
        Bucket=state_bucket,
        Key=key,
        Body=json.dumps(body).encode(),
        ContentType="application/json",
    )


def copy_page(
    s3: Any,
    config: SyncConfig,
    cursor: str,
    settings: PageSettings,
    remaining_ms: Callable[[], int],
    state_bucket: str = "",
    page_number: int = 0,
) -> tuple[str, bool, dict[str, int], list[str]]:
    """(new cursor, done, counts, first errors) for the next page of the source.

    Objects are counted as their chunk is done, so a page handed over part-way (its time ran
    short) counts exactly the objects before its new cursor; the next invocation counts the
    rest. A copy in parts that runs short of time hands the page over with the cursor before
    its object, and the next invocation goes on with its upload (see multipart)."""
    sources, truncated = _first_page(
        s3, config.source, config.source_prefix, cursor, settings.page_size
    )
    counts = dict.fromkeys(COUNTERS, 0)
    counts["pages"] = 1
    errors: list[str] = []
    if not cursor and not page_number and state_bucket and not config.dry_run:
        # the start of the run's copy phase: uploads a stopped run left behind are aborted
        try:
            counts["uploads_aborted"] = abort_left_behind(
                s3,
                config.destination,
                config.destination_prefix,
                state_bucket,
                config.run_id,
                settings.copy.abandoned_after_s,
                remaining_ms,
                settings.time_margin_ms * 2,
            )
        except ClientError as error:
            if is_transient(error):
                _rethrow(error)
            # not a reason to copy nothing: reported, and the next run tries again
            errors.append(f"aborting the uploads left behind: {error_code(error)}")
    if not sources:
        return cursor, True, counts, errors
    destinations = _range(
        s3, config.destination, config.destination_prefix, cursor, sources[-1].key
    )
    job = MultipartJob(
        state_bucket,
        config.run_id,
        remaining_ms,
        settings.time_margin_ms,
        settings.copy.part_concurrency,
    )
    archived: list[str] = []
    new_cursor = cursor
    handed_over = False
    with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
        for start in range(0, len(sources), settings.chunk):
            if remaining_ms() < settings.time_margin_ms:
                handed_over = True  # the next invocation goes on from the cursor
                break
            chunk = sources[start : start + settings.chunk]
            # each task gets its own copy of the context (logging, environment) it runs in
            futures = {
                obj.key: pool.submit(
                    contextvars.copy_context().run,
                    _one,
                    s3,
                    config,
                    obj,
                    destinations.get(obj.key),
                    settings,
                    job,
                )
                for obj in chunk
                if config.selected(obj.key)
            }
            # Counted in key order up to the first object whose copy in parts ran short of
            # time: the cursor stays before it, and the next invocation counts the rest
            # (an object after it copied meanwhile is then counted skipped).
            for obj in chunk:
                future = futures.get(obj.key)
                if future is None:
                    counts["excluded"] += 1
                    new_cursor = obj.key
                    continue
                outcome = future.result()  # S3ThrottledError: the page is retried
                if outcome.kind == "unfinished":
                    handed_over = True
                    break
                counts[outcome.kind] += 1
                if outcome.kind == "copied":
                    counts["copied_bytes"] += outcome.size
                elif outcome.kind == "would_copy":
                    counts["would_copy_bytes"] += outcome.size
                elif outcome.kind == "archived":
                    archived.append(obj.key)
                    counts["restores_started"] += int(outcome.restore_started)
                elif outcome.kind == "failed" and outcome.error and len(errors) < 5:
                    errors.append(outcome.error)
                new_cursor = obj.key
            if handed_over:
                break
    if archived and state_bucket:
        _stage(s3, state_bucket, f"{config.run_id}/archived/{page_number:08d}.json", archived)
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
    last = destinations[-1].key
    sources = _range(s3, config.source, config.source_prefix, cursor, last)
    selected = [d for d in destinations if config.selected(d.key)]
    orphans = [d.key for d in selected if d.key not in sources]
    counts["destination_objects"] = len(selected)
    counts["orphans"] = len(orphans)
    if orphans:
        # The range the list covers, so the deletion can list the source's range again.
        _stage(
            s3,
            state_bucket,
            f"{config.run_id}/orphans/{page_number:08d}.json",
            {"after": cursor, "last": last, "keys": orphans},
        )
    return last, not truncated, counts


def delete_page(
    s3: Any, config: SyncConfig, cursor: str, state_bucket: str
) -> tuple[str, bool, dict[str, int], list[str]]:
    """Delete the orphans of the next staged list (at most 1,000 keys: one request).

    The list was made when its range was scanned, perhaps hours ago (a long run, a redrive):
    the source's range is listed again first, and a key the source has now is not deleted
    (`recreated`)."""
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
        return cursor, not listed.get("IsTruncated"), counts, errors
    manifest = manifests[0]["Key"]
    staged = json.loads(s3.get_object(Bucket=state_bucket, Key=manifest)["Body"].read())
    if isinstance(staged, list):  # a list staged by an earlier version: destination keys
        staged = _with_range([k[len(config.destination_prefix) :] for k in staged])
    now_in_source = _range(
        s3, config.source, config.source_prefix, str(staged["after"]), str(staged["last"])
    )
    keys = [k for k in staged["keys"] if k not in now_in_source]
    counts["recreated"] = len(staged["keys"]) - len(keys)
    if config.dry_run:
        counts["would_delete"] = len(keys)
    elif keys:
        try:
            answer = s3.delete_objects(
                Bucket=config.destination,
                Delete={
                    "Objects": [{"Key": config.destination_key(k)} for k in keys],
                    "Quiet": True,
                },
            )
        except ClientError as error:
            _rethrow(error)
        failed = answer.get("Errors", [])
        if any(e.get("Code") in TRANSIENT_CODES for e in failed):
            # "SlowDown"/"InternalError" for some keys: the page is retried, and deleting
            # the ones already gone again is harmless (S3 answers them Deleted).
            raise S3ThrottledError(
                f"DeleteObjects: {len(failed)} keys answered {failed[0].get('Code')}"
            )
        counts["deleted"] = len(keys) - len(failed)
        counts["delete_failed"] = len(failed)
        errors = [f"{e['Key']}: {e.get('Code')}" for e in failed[:5]]
    return manifest, not listed.get("IsTruncated"), counts, errors


def _with_range(keys: list[str]) -> dict[str, Any]:
    """A staged list of orphans with the range that covers them: after the key just before
    the first (the first without its last character, which sorts before it), up to the last."""
    ordered = sorted(keys)
    return {
        "after": ordered[0][:-1] if ordered else "",
        "last": ordered[-1] if ordered else "",
        "keys": ordered,
    }


def archived_keys(s3: Any, config: SyncConfig, state_bucket: str, limit: int = 20) -> list[str]:
    """The first archived source keys a run staged (relative keys), for its summary."""
    found: list[str] = []
    listed = s3.list_objects_v2(Bucket=state_bucket, Prefix=f"{config.run_id}/archived/")
    for item in listed.get("Contents", []):
        staged = json.loads(s3.get_object(Bucket=state_bucket, Key=item["Key"])["Body"].read())
        found.extend(staged[: limit - len(found)])
        if len(found) >= limit:
            break
    return found


def guard(
    config: SyncConfig, copy_totals: dict[str, int], scan_totals: dict[str, int]
) -> dict[str, Any]:
    """Whether deleting the staged orphans is safe, and why not if it is not."""
    orphans = int(scan_totals.get("orphans", 0))
    destination = int(scan_totals.get("destination_objects", 0))
    source_objects = sum(
        int(copy_totals.get(k, 0))
        for k in ("copied", "skipped", "failed", "would_copy", "archived")
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
