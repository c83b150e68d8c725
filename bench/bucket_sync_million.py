"""Benchmark (#20): a million-object plan. What one bucket sync run of 1,000,000 objects costs
in S3 requests, Lambda, Step Functions, wall time and dollars, beside `aws s3 sync`, S3 Batch
Operations and AWS DataSync doing the same work.

Run: `.venv/bin/python bench/bucket_sync_million.py [--objects N] [--scenario NAME ...]`
(default 1,000,000 objects: about 3 to 5 minutes on 2 cores for the three scenarios, 1.5 GB
of memory; `--objects 20000` is a smoke run of a few seconds). With N below 1,000,000 the
per-run figures are also printed extrapolated linearly to 1,000,000 (every count here grows
with the number of objects and pages), and the output says so. Not run by `make check`.

What runs: the real page logic, `bucket_sync.pages` (copy_page, scan_page, guard, delete_page,
archived_keys for the summary), called phase by phase and page by page with a SyncConfig and
PageSettings as the page handler builds them (page size 1,000, 16 copy threads, chunks of 64),
each page's cursor and totals carried to the next as the state machine carries them. Copy and
scan run one after the other here (deployed they run side by side in a Parallel state), so the
scan sees the destination after the copies; the counts are the same either way except for the
scan's pages over new objects. The S3 it talks to is `MemoryS3`, defined here: the calls the
page logic makes (ListObjectsV2 with Prefix, StartAfter, ContinuationToken and MaxKeys paged as
S3 pages, in key order, at most 1,000 keys a page, IsTruncated / NextContinuationToken;
HeadObject; CopyObject; PutObject / GetObject for the state bucket; DeleteObjects;
GetObjectTagging; the ListMultipartUploads paginator with which the copy phase's first page
looks for uploads a stopped run left behind), every request counted by operation and bucket.
It is the page logic in the working tree that runs: a change to pages.py shows in the counts.
Validate's own requests (HeadBucket of both buckets, GetBucketEncryption,
GetObjectLockConfiguration) are not run.

Scenarios (seeded; keys under the prefix `data/` in the source and `backup/data/` in the
destination, with 1,000 keys outside the prefixes in each bucket that must not be touched):
- unchanged: the destination is what a previous Steward run left: every object there, same
  size, same ETag (CopyObject of a single-part SSE-S3 object keeps it) and Steward's identity
  record in its metadata (`steward-source-etag`, `-size`, `-last-modified`; compare.py).
- unchanged-kms: the same, but the destination's ETags are not the source's (an SSE-KMS
  default destination): every object is settled by its record, one HEAD each.
- changed-1pct: 1% of the source objects changed with the same size (new content, so a new
  ETag, while the destination keeps the old copy and the old record), 0.5% new objects (not in
  the destination) and 0.5% orphans (in the destination only).

How the figures are made (the assumptions are printed with the output):
- S3 requests, page invocations: counted.
- Step Functions state transitions: walked on statemachines/bucket_sync/sync.asl.json and
  pages.asl.json themselves: each state entered is one transition (Step Functions bills "each
  time a step of your workflow is executed", retries included; bench/batch_polling.py counts
  the same way). The pages machine is walked with each page's real output (`done`,
  `iterations_left`) through its Choice rules, so handovers to a fresh execution after
  ITERATIONS_PER_EXECUTION pages (template default 2,000) are counted as the ASL makes them.
  No retries are modelled (no throttling).
- Lambda GB-seconds: the page function's MemorySize read from template.yaml (1024 MB) times a
  modelled duration per page. The in-memory run's own time per page is printed too, but it is
  Python on this machine against a dictionary, not S3: the modelled duration is a latency
  model with stated figures (LIST ~100 ms a page, HEAD ~20 ms, COPY ~50 ms for a small object,
  ...): a page's listings one after the other, then its chunks of 64 source keys, each chunk's
  objects on 16 threads (each object's own requests one after the other; the chunk ends when
  its slowest thread does), exactly the order copy_page issues them in.
- Wall time: Validate, then the longer of the copy and scan phases, then guard, deletion and
  summary, at the model's rates, plus a fixed latency per state transition.
- Dollars per run: the request counts and durations at the published prices printed below
  (us-east-1, free tiers ignored), each with its source and the date it was read.

Peers, for the same work at the same prices:
- `aws s3 sync --delete` (the CLI's model, as bench/s3_sync.py measured it): one ListObjectsV2
  per 1,000 keys of each bucket, one CopyObject per new or changed object (its best case: with
  a destination newer than the source it skips same-size changes, as s3_sync.py shows), one
  DeleteObject per orphan, listings one after the other and transfers 10 at a time; it runs on
  your own machine, whose cost is not counted.
- S3 Batch Operations: a job per run plus a fee per object in the manifest plus the CopyObject
  requests; it does not compare, so twice: with a manifest of exactly the objects to copy (the
  comparison done elsewhere, not priced) and with every source object; it has no delete
  operation, so orphans stay.
- AWS DataSync: its per-GB fee for the bytes copied (Basic mode), and Enhanced mode's per-GB
  fee plus its fee per task execution; the S3 requests DataSync itself makes are not counted,
  so its figure is a lower bound.

Reading the output: per scenario, requests by operation (the state bucket's apart), pages per
phase, transitions, Lambda, modelled wall time and dollars; then each peer and the ratio
Steward / peer, all computed in this run: above 1.00 Steward costs (or takes) more, below
1.00 less; `inf` where the peer's figure is nil. Exit status 1 if a self-check fails: the
destination must end equal to the source (keys, sizes, content identity) with the keys outside
the prefixes untouched, copies and deletions must be exactly the changed, new and orphaned
objects, and the in-memory S3 must page exactly as S3 does.
"""

from __future__ import annotations

import argparse
import base64
import heapq
import io
import json
import math
import random
import re
import sys
import threading
import time
from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT / "functions" / "bucket_sync", ROOT / "layers" / "steward_common"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from botocore.exceptions import ClientError  # noqa: E402

from bucket_sync import pages  # noqa: E402
from bucket_sync.compare import (  # noqa: E402
    SOURCE_ETAG_METADATA,
    SOURCE_MODIFIED_METADATA,
    SOURCE_SIZE_METADATA,
)
from bucket_sync.config import SyncConfig  # noqa: E402

TARGET = 1_000_000
SEED = 20261202
SOURCE, DESTINATION, STATE = "bench-source", "bench-destination", "bench-sync-state"
SOURCE_PREFIX, DESTINATION_PREFIX = "data/", "backup/data/"
OUTSIDE = 1000  # keys outside the prefixes in each bucket, never to be touched
CHANGED, NEW, ORPHANS = 0.01, 0.005, 0.005
MIN_SIZE, MAX_SIZE = 1024, 256 * 1024  # small objects: one CopyObject each
SCENARIOS = ("unchanged", "unchanged-kms", "changed-1pct")
PAGE_FUNCTION_TIMEOUT_MS = 900_000  # template.yaml: BucketSyncPageFunction Timeout 900


# ------------------------------------------------------------------------ prices and model
@dataclass(frozen=True)
class Price:
    usd: float
    per: str
    source: str


PRICES_READ = "2026-12-02"  # the day the stored copies below were looked up
PRICES: dict[str, Price] = {
    "s3_tier1": Price(
        0.005 / 1000,
        "S3 Standard PUT, COPY, POST, LIST request ($0.005 per 1,000)",
        "https://aws.amazon.com/s3/pricing/ (its stored copy renders the table client-side;"
        " figure as restated by c3x.dev/blog/s3-request-fees-explained, Tier 1)",
    ),
    "s3_tier2": Price(
        0.0004 / 1000,
        "S3 Standard GET, SELECT and all other requests, HEAD included ($0.0004 per 1,000)",
        "https://aws.amazon.com/s3/pricing/ (as above; c3x.dev, Tier 2: GET, HEAD, SELECT)",
    ),
    "s3_delete": Price(
        0.0,
        "S3 DELETE request (free; DeleteObjects counted as DELETE: an assumption)",
        'https://aws.amazon.com/s3/pricing/ ("DELETE and CANCEL requests are free"; not found'
        " in the stored copy, assumed)",
    ),
    "lambda_request": Price(
        0.20 / 1_000_000,
        "Lambda request ($0.20 per 1M)",
        "https://aws.amazon.com/lambda/pricing/ (tables rendered client-side; figure from"
        " cloudchipr.com/blog/aws-lambda-pricing, us-east-1, and steward_cli/cost/prices.py)",
    ),
    "lambda_gb_s_arm64": Price(
        0.0000133334,
        "Lambda GB-second, arm64, first 7.5 billion a month",
        "https://aws.amazon.com/lambda/pricing/ (as above; cloudchipr.com, us-east-1)",
    ),
    "sfn_transition": Price(
        0.025 / 1000,
        "Step Functions Standard state transition ($0.0250 per 1,000, US East (N. Virginia))",
        "https://aws.amazon.com/step-functions/pricing/ (stored copy: the regional table)",
    ),
    "batch_job": Price(
        0.25,
        "S3 Batch Operations job ($0.25 per job)",
        "https://aws.amazon.com/s3/pricing/ (Management & insights; restated as 'flat $0.25"
        " per bucket per job' by sysdesign-wiki.pages.dev/systems/s3-batch-operations/)",
    ),
    "batch_object": Price(
        1.00 / 1_000_000,
        "S3 Batch Operations object operation ($1.00 per million; NOT found in a stored copy:"
        " the issue's figure)",
        "https://aws.amazon.com/s3/pricing/ (Management & insights)",
    ),
    "datasync_basic_gb": Price(
        0.0125,
        "DataSync data copied, Basic mode ($0.0125 per GB)",
        "https://aws.amazon.com/datasync/pricing/ (AWS Price List, AWSDataSync offer: 'USD0.0125"
        " per GB'; mirrored at huggingface.co/datasets/labofsahil/aws-pricing-dataset)",
    ),
    "datasync_enhanced_gb": Price(
        0.015,
        "DataSync data copied, Enhanced mode ($0.015 per GB)",
        "AWS Price List, AWSDataSync offer, effective 2025-04-01 ('$0.015 per GB copied for"
        " tasks using Enhanced mode'; the rows seen were GovCloud (US-West); us-east-1 assumed"
        " the same)",
    ),
    "datasync_enhanced_task": Price(
        0.55,
        "DataSync task execution, Enhanced mode ($0.55 per execution)",
        "AWS Price List, AWSDataSync offer, effective 2025-04-01 (rows seen: US East (Ohio),"
        " Asia Pacific (Mumbai); us-east-1 assumed the same)",
    ),
}
# Which price each S3 operation is billed at.
S3_TIER = {
    "ListObjectsV2": "s3_tier1",
    "ListMultipartUploads": "s3_tier1",
    "CopyObject": "s3_tier1",
    "PutObject": "s3_tier1",
    "HeadObject": "s3_tier2",
    "GetObject": "s3_tier2",
    "GetObjectTagging": "s3_tier2",
    "DeleteObjects": "s3_delete",
    "DeleteObject": "s3_delete",
}


@dataclass(frozen=True)
class Latency:
    """Seconds per request, assumed (not measured): S3 in the same region, small objects."""

    list_page: float = 0.100  # ListObjectsV2, one page of up to 1,000 keys
    head: float = 0.020
    copy: float = 0.050  # CopyObject of a small object
    get: float = 0.020  # GetObject / GetObjectTagging
    put: float = 0.030  # PutObject of a staged list
    delete_batch: float = 0.200  # DeleteObjects of up to 1,000 keys
    delete_one: float = 0.020  # DeleteObject (the CLI)
    invocation: float = 0.005  # the handler's own work per invocation
    transition: float = 0.025  # Step Functions, per state transition (wall time only)
    validate: float = 0.300  # the validate function, 128 MB (its requests are not counted)
    threads: int = 16  # COPY_CONCURRENCY, the template's default
    cli_threads: int = 10  # the CLI's max_concurrent_requests default

    def request(self, operation: str) -> float:
        return {
            "ListObjectsV2": self.list_page,
            "ListMultipartUploads": self.list_page,
            "HeadObject": self.head,
            "CopyObject": self.copy,
            "GetObject": self.get,
            "GetObjectTagging": self.get,
            "PutObject": self.put,
            "DeleteObjects": self.delete_batch,
        }[operation]


# ------------------------------------------------------------------------ the in-memory S3
class Obj:
    __slots__ = ("body", "etag", "metadata", "modified", "record", "size")

    def __init__(
        self,
        size: int,
        etag: str,
        modified: datetime,
        record: str | None = None,
        metadata: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> None:
        self.size, self.etag, self.modified = size, etag, modified
        # A previous run's identity record, kept as the source ETag alone (a million dicts
        # would cost more memory than the rest of the bench): `metadata` is built from it.
        self.record = record
        self.metadata = metadata
        self.body = body

    def user_metadata(self) -> dict[str, str]:
        if self.metadata is not None:
            return self.metadata
        if self.record is None:
            return {}
        return {
            SOURCE_ETAG_METADATA: self.record,
            SOURCE_SIZE_METADATA: str(self.size),
            SOURCE_MODIFIED_METADATA: self.modified.isoformat(),
        }

    def identity(self) -> str | None:
        """The source ETag this object is a copy of, by its record."""
        if self.metadata is not None:
            return self.metadata.get(SOURCE_ETAG_METADATA)
        return self.record


class Bucket:
    def __init__(self, objects: dict[str, Obj]) -> None:
        self.objects = objects
        self.keys = sorted(objects)  # str order is code point order, as UTF-8 bytes sort

    def put(self, key: str, obj: Obj) -> None:
        if key not in self.objects:
            insort(self.keys, key)
        self.objects[key] = obj

    def delete(self, key: str) -> None:
        if self.objects.pop(key, None) is not None:
            del self.keys[bisect_left(self.keys, key)]


def _not_found(operation: str) -> ClientError:
    # As botocore raises a HEAD's 404 (no body, so the status is the code).
    response: Any = {
        "Error": {"Code": "404", "Message": "Not Found"},
        "ResponseMetadata": {"HTTPStatusCode": 404},
    }
    return ClientError(response, operation)


class MemoryS3:
    """The S3 calls bucket_sync.pages makes, on dictionaries, every request counted."""

    def __init__(self, buckets: dict[str, Bucket], kms_destination: bool = False) -> None:
        self.buckets = buckets
        self.kms_destination = kms_destination
        self.counts: Counter[tuple[str, str]] = Counter()  # (operation, bucket)
        self.log: list[tuple[str, str, str]] = []  # this page's (operation, bucket, key)
        self._lock = threading.Lock()
        self._etags = random.Random(SEED + 1)
        self.now = datetime(2026, 12, 1, tzinfo=UTC)

    def _count(self, operation: str, bucket: str, key: str = "") -> None:
        with self._lock:
            self.counts[operation, bucket] += 1
            self.log.append((operation, bucket, key))

    def take_log(self) -> list[tuple[str, str, str]]:
        with self._lock:
            log, self.log = self.log, []
        return log

    def list_objects_v2(
        self,
        *,
        Bucket: str,
        Prefix: str = "",
        MaxKeys: int = 1000,
        StartAfter: str = "",
        ContinuationToken: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._count("ListObjectsV2", Bucket)
        bucket = self.buckets[Bucket]
        with self._lock:
            keys = bucket.keys
            # A continuation token carries on where its page ended; StartAfter is then ignored.
            after = _untoken(ContinuationToken) if ContinuationToken is not None else StartAfter
            start = bisect_left(keys, Prefix)
            if after:
                start = max(start, bisect_right(keys, after))
            end = bisect_left(keys, Prefix + "\U0010ffff") if Prefix else len(keys)
            limit = min(max(int(MaxKeys), 0), 1000)  # S3 returns at most 1,000 keys a page
            chosen = keys[start : min(start + limit, end)] if start < end else []
            contents = [
                {
                    "Key": k,
                    "Size": (o := bucket.objects[k]).size,
                    "ETag": f'"{o.etag}"',
                    "LastModified": o.modified,
                    "StorageClass": "STANDARD",
                }
                for k in chosen
            ]
        truncated = start + len(chosen) < end
        answer: dict[str, Any] = {
            "Name": Bucket,
            "Prefix": Prefix,
            "MaxKeys": limit,
            "KeyCount": len(contents),
            "IsTruncated": truncated,
        }
        if contents:
            answer["Contents"] = contents
        if truncated:
            answer["NextContinuationToken"] = _token(chosen[-1] if chosen else after)
        if ContinuationToken is not None:
            answer["ContinuationToken"] = ContinuationToken
        elif StartAfter:
            answer["StartAfter"] = StartAfter
        return answer

    def head_object(self, *, Bucket: str, Key: str, **_: Any) -> dict[str, Any]:
        self._count("HeadObject", Bucket, Key)
        obj = self.buckets[Bucket].objects.get(Key)
        if obj is None:
            raise _not_found("HeadObject")
        return {
            "ContentLength": obj.size,
            "ETag": f'"{obj.etag}"',
            "LastModified": obj.modified,
            "ContentType": "binary/octet-stream",
            "Metadata": dict(obj.user_metadata()),
        }

    def copy_object(
        self, *, CopySource: dict[str, str], Bucket: str, Key: str, **args: Any
    ) -> dict[str, Any]:
        self._count("CopyObject", Bucket, Key)
        source = self.buckets[CopySource["Bucket"]].objects.get(CopySource["Key"])
        if source is None:
            raise _not_found("CopyObject")
        assert args.get("MetadataDirective") == "REPLACE"
        with self._lock:
            # A single-part copy keeps the ETag (an MD5) unless the destination encrypts
            # with KMS, whose ETags are not MD5s.
            etag = f"{self._etags.getrandbits(128):032x}" if self.kms_destination else source.etag
            copy = Obj(source.size, etag, self.now, metadata=dict(args.get("Metadata") or {}))
            self.buckets[Bucket].put(Key, copy)
        return {"CopyObjectResult": {"ETag": f'"{etag}"', "LastModified": self.now}}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **_: Any) -> dict[str, Any]:
        self._count("PutObject", Bucket, Key)
        with self._lock:
            self.buckets[Bucket].put(Key, Obj(len(Body), "state", self.now, body=bytes(Body)))
        return {"ETag": '"state"'}

    def get_object(self, *, Bucket: str, Key: str, **_: Any) -> dict[str, Any]:
        self._count("GetObject", Bucket, Key)
        obj = self.buckets[Bucket].objects.get(Key)
        if obj is None or obj.body is None:
            raise _not_found("GetObject")
        return {"Body": io.BytesIO(obj.body), "ContentLength": obj.size}

    def get_object_tagging(self, *, Bucket: str, Key: str, **_: Any) -> dict[str, Any]:
        self._count("GetObjectTagging", Bucket, Key)
        return {"TagSet": []}

    def get_paginator(self, operation: str) -> _Uploads:
        # Only this listing is read through a paginator by the page logic (the start of a
        # run's copy phase looks for multipart uploads a stopped run left behind).
        if operation != "list_multipart_uploads":
            raise NotImplementedError(f"MemoryS3 has no paginator for {operation}")
        return _Uploads(self)

    def delete_objects(self, *, Bucket: str, Delete: dict[str, Any], **_: Any) -> dict[str, Any]:
        self._count("DeleteObjects", Bucket)
        keys = [o["Key"] for o in Delete["Objects"]]
        assert len(keys) <= 1000, "S3 takes at most 1,000 keys a DeleteObjects request"
        with self._lock:
            for key in keys:
                self.buckets[Bucket].delete(key)
        # Quiet mode answers only the keys it could not delete: none here.
        return {} if Delete.get("Quiet") else {"Deleted": [{"Key": k} for k in keys]}


class _Uploads:
    def __init__(self, s3: MemoryS3) -> None:
        self.s3 = s3

    def paginate(self, *, Bucket: str, Prefix: str = "", **_: Any) -> Iterator[dict[str, Any]]:
        self.s3._count("ListMultipartUploads", Bucket)
        # Every copy here is a single CopyObject: no upload is ever in progress.
        yield {"Bucket": Bucket, "Prefix": Prefix, "IsTruncated": False}


def _token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _untoken(token: str) -> str:
    return base64.urlsafe_b64decode(token.encode()).decode()


def check_paging() -> list[str]:
    """The in-memory S3 pages as S3 does: prefix, StartAfter, tokens, 1,000 keys at most."""
    when = datetime(2026, 1, 1, tzinfo=UTC)
    objects = {f"p/{i:05d}": Obj(1, "e", when) for i in range(2500)}
    objects.update({f"a{i}": Obj(1, "e", when) for i in range(3)})
    objects.update({f"q{i}": Obj(1, "e", when) for i in range(3)})
    s3 = MemoryS3({"b": Bucket(objects)})
    problems: list[str] = []
    seen: list[str] = []
    kwargs: dict[str, Any] = {"Bucket": "b", "Prefix": "p/", "MaxKeys": 5000}
    sizes = []
    while True:
        page = s3.list_objects_v2(**kwargs)
        keys = [c["Key"] for c in page.get("Contents", [])]
        sizes.append(len(keys))
        seen += keys
        if not page["IsTruncated"]:
            break
        kwargs["ContinuationToken"] = page["NextContinuationToken"]
    if sizes != [1000, 1000, 500] or seen != sorted(k for k in objects if k.startswith("p/")):
        problems.append(f"paging: pages of {sizes}, {len(seen)} keys")
    page = s3.list_objects_v2(Bucket="b", Prefix="p/", StartAfter="p/02497", MaxKeys=10)
    if [c["Key"] for c in page["Contents"]] != ["p/02498", "p/02499"] or page["IsTruncated"]:
        problems.append("paging: StartAfter near the end of the prefix")
    page = s3.list_objects_v2(Bucket="b", Prefix="p/", StartAfter="p/02499")
    if page.get("Contents") or page["IsTruncated"]:
        problems.append("paging: StartAfter the last key")
    page = s3.list_objects_v2(Bucket="b", Prefix="", StartAfter="a1", MaxKeys=2)
    if [c["Key"] for c in page["Contents"]] != ["a2", "p/00000"] or not page["IsTruncated"]:
        problems.append("paging: no prefix, StartAfter")
    return problems


# ------------------------------------------------------------------------ scenarios
@dataclass
class Dataset:
    name: str
    source: dict[str, Obj]  # relative key -> object (under SOURCE_PREFIX)
    destination: dict[str, Obj]  # relative key -> object (under DESTINATION_PREFIX)
    kms_destination: bool
    changed: set[str] = field(default_factory=set)
    new: set[str] = field(default_factory=set)
    orphans: set[str] = field(default_factory=set)

    def source_bytes(self, keys: set[str]) -> int:
        return sum(self.source[k].size for k in keys)


def rel_key(i: int) -> str:
    # 97 "folders", so key order is not index order
    return f"{i % 97:02d}/obj-{i:08d}.bin"


def make_dataset(name: str, n: int) -> Dataset:
    rng = random.Random(f"{SEED}-{name}-{n}")
    old = datetime(2026, 11, 1, tzinfo=UTC)
    synced = old + timedelta(days=1)  # the previous run, after the source last changed
    source: dict[str, Obj] = {}
    destination: dict[str, Obj] = {}
    kms = name == "unchanged-kms"
    for i in range(n):
        key = rel_key(i)
        obj = Obj(rng.randint(MIN_SIZE, MAX_SIZE), f"{rng.getrandbits(128):032x}", old)
        source[key] = obj
        etag = f"{rng.getrandbits(128):032x}" if kms else obj.etag
        destination[key] = Obj(obj.size, etag, synced, record=obj.etag)
    data = Dataset(name, source, destination, kms)
    if name == "changed-1pct":
        keys = sorted(source)
        picked = rng.sample(keys, int(n * CHANGED) + int(n * NEW))
        data.changed = set(picked[: int(n * CHANGED)])
        data.new = set(picked[int(n * CHANGED) :])
        changed_at = synced + timedelta(days=1)
        for key in data.changed:  # same size, new content: a new ETag in the source
            old_obj = source[key]
            source[key] = Obj(old_obj.size, f"{rng.getrandbits(128):032x}", changed_at)
        for key in data.new:
            del destination[key]
        # Orphans scattered through the key space, as the copies of deleted source objects
        # are: each sorts just before a source key of its own.
        for j in sorted(rng.sample(range(n), int(n * ORPHANS))):
            key = f"{j % 97:02d}/obj-{j:08d}.bak"
            destination[key] = Obj(
                rng.randint(MIN_SIZE, MAX_SIZE), f"{j:032x}", synced, record=f"{j:032x}"
            )
            data.orphans.add(key)
    return data


def build_s3(data: Dataset) -> MemoryS3:
    when = datetime(2026, 10, 1, tzinfo=UTC)
    outside = {f"other/{i:05d}": Obj(10, "outside", when) for i in range(OUTSIDE)}
    source = {SOURCE_PREFIX + k: o for k, o in data.source.items()} | outside
    destination = {DESTINATION_PREFIX + k: o for k, o in data.destination.items()} | dict(outside)
    return MemoryS3(
        {SOURCE: Bucket(source), DESTINATION: Bucket(destination), STATE: Bucket({})},
        kms_destination=data.kms_destination,
    )


# ------------------------------------------------------------------------ the state machines
def _load_asl(name: str) -> dict[str, Any]:
    machine: dict[str, Any] = json.loads(
        (ROOT / "statemachines" / "bucket_sync" / f"{name}.asl.json").read_text()
    )
    return machine


def _lookup(document: dict[str, Any], variable: str) -> Any:
    value: Any = document
    for part in variable.removeprefix("$.").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _choose(state: dict[str, Any], document: dict[str, Any]) -> str:
    """The Choice rules these machines use (BooleanEquals, NumericLessThanEquals)."""
    for rule in state["Choices"]:
        value = _lookup(document, rule["Variable"])
        if "BooleanEquals" in rule and value is rule["BooleanEquals"]:
            return str(rule["Next"])
        if (
            "NumericLessThanEquals" in rule
            and isinstance(value, int | float)
            and value <= rule["NumericLessThanEquals"]
        ):
            return str(rule["Next"])
        if not {"BooleanEquals", "NumericLessThanEquals"} & rule.keys():
            raise ValueError(f"a Choice rule this walker does not know: {rule}")
    return str(state["Default"])


def walk(
    machine: dict[str, Any],
    document: dict[str, Any],
    on_task: Callable[[str, dict[str, Any]], dict[str, Any]],
) -> list[str]:
    """The states one execution enters, in order; a Task's output is `on_task`'s answer."""
    entered: list[str] = []
    name: str | None = machine["StartAt"]
    states = machine["States"]
    while name is not None:
        state = states[name]
        entered.append(name)
        kind = state["Type"]
        if kind == "Task":
            document = on_task(name, document)
        elif kind == "Parallel":
            for branch in state["Branches"]:
                entered += walk(branch, document, on_task)
        elif kind == "Choice":
            name = _choose(state, document)
            continue
        elif kind in ("Succeed", "Fail"):
            break
        name = None if state.get("End") else state.get("Next")
    return entered


def phase_transitions(outputs: list[dict[str, Any]]) -> tuple[int, int]:
    """(transitions, executions) of one phase's pages machine, from its pages' outputs."""
    machine = _load_asl("pages")
    queue: Iterator[dict[str, Any]] = iter(outputs)
    transitions = executions = 0
    handed_over = True
    while handed_over:
        handed_over = False
        executions += 1

        def on_task(name: str, document: dict[str, Any]) -> dict[str, Any]:
            nonlocal handed_over
            if name == "ContinueInFreshExecution":
                handed_over = True
                return document
            return next(queue)

        transitions += len(walk(machine, {}, on_task))
    if next(queue, None) is not None:
        raise RuntimeError("the pages machine ended before the pages did")
    return transitions, executions


def run_transitions(guard_result: dict[str, Any]) -> list[str]:
    """The states the top-level sync machine enters for a run with this guard answer."""
    return walk(
        _load_asl("sync"),
        {},
        lambda name, doc: {**doc, "guard": guard_result} if name == "Guard" else doc,
    )


def asl_unit_costs() -> str:
    """Transitions per page, per phase, per handover and per run, walked on the ASL."""
    one, two = (
        phase_transitions([{"done": False, "iterations_left": 9}] * k + [{"done": True}])[0]
        for k in (0, 1)
    )
    handed = phase_transitions(
        [{"done": False, "iterations_left": 0}, {"done": True, "iterations_left": 9}]
    )[0]
    per_page, per_phase = two - one, one - (two - one)
    per_handover = handed - (per_page * 2 + per_phase)
    plain = len(run_transitions({"delete": False, "refused": False}))
    deleting = len(run_transitions({"delete": True, "refused": False}))
    return (
        f"{per_page} per page (Page, MorePages), {per_phase} per phase (PhaseDone),"
        f" {per_handover} per handover (ContinueInFreshExecution), {plain} per run without"
        f" deletion or {deleting} with it (sync.asl.json), plus each phase's pages"
    )


def function_memory_mb(logical_id: str) -> int:
    """MemorySize of a function in template.yaml (read as text: the CFN tags need no loader)."""
    text = (ROOT / "template.yaml").read_text()
    match = re.search(rf"^  {logical_id}:\n(.*?)(?=^  \S)", text, re.M | re.S)
    size = re.search(r"^      MemorySize: (\d+)", match.group(1), re.M) if match else None
    if size is None:
        raise RuntimeError(f"no MemorySize for {logical_id} in template.yaml")
    return int(size.group(1))


def template_default(parameter: str) -> int:
    text = (ROOT / "template.yaml").read_text()
    match = re.search(rf"^  {parameter}:\n(?:    .*\n)*?    Default: (\d+)", text, re.M)
    if match is None:
        raise RuntimeError(f"no Default for {parameter} in template.yaml")
    return int(match.group(1))


# ------------------------------------------------------------------------ running a sync
@dataclass
class Phase:
    name: str
    outputs: list[dict[str, Any]] = field(default_factory=list)
    modeled_s: float = 0.0  # Lambda duration, summed over pages
    measured_s: float = 0.0  # this machine's time in the page logic
    longest_page_s: float = 0.0
    transitions: int = 0
    executions: int = 0
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return len(self.outputs)


@dataclass
class Run:
    data: Dataset
    s3: MemoryS3
    phases: dict[str, Phase]
    guard: dict[str, Any]
    top_states: list[str]
    measured_s: float


def makespan(costs: list[float], threads: int) -> float:
    """When the last of these tasks ends on a pool of `threads` taking them in order."""
    if not costs:
        return 0.0
    free = [0.0] * min(threads, len(costs))
    for cost in costs:
        start = heapq.heappop(free)
        heapq.heappush(free, start + cost)
    return max(free)


def page_seconds(
    log: list[tuple[str, str, str]],
    latency: Latency,
    page_keys: list[str],
    chunk: int,
) -> float:
    """A page's modelled duration: its own requests one after the other, then (copy pages)
    each chunk's per-object requests on the thread pool, chunk after chunk."""
    serial = latency.invocation
    per_object: dict[str, float] = {}
    for operation, bucket, key in log:
        if bucket in (SOURCE, DESTINATION) and operation in (
            "HeadObject",
            "CopyObject",
            "GetObjectTagging",
        ):
            prefix = SOURCE_PREFIX if bucket == SOURCE else DESTINATION_PREFIX
            rel = key[len(prefix) :]
            per_object[rel] = per_object.get(rel, 0.0) + latency.request(operation)
        else:
            serial += latency.request(operation)
    pooled = 0.0
    for start in range(0, len(page_keys), chunk):
        costs = [per_object[k] for k in page_keys[start : start + chunk] if k in per_object]
        pooled += makespan(costs, latency.threads)
    return serial + pooled


def run_sync(data: Dataset, latency: Latency, budget: int) -> Run:
    s3 = build_s3(data)
    source_keys = sorted(data.source)
    config = SyncConfig(
        source=SOURCE,
        destination=DESTINATION,
        source_prefix=SOURCE_PREFIX,
        destination_prefix=DESTINATION_PREFIX,
        run_id="bench-run",
    )
    settings = pages.PageSettings()  # the handler's defaults: 1,000 keys, 16 threads, 64
    phases = {name: Phase(name) for name in ("copy", "scan", "delete")}
    started = time.perf_counter()

    def remaining_ms() -> int:
        return PAGE_FUNCTION_TIMEOUT_MS  # each page gets a fresh invocation's whole timeout

    def run_phase(phase: Phase) -> None:
        cursor, done, totals, left = "", False, pages.add_counts({}), budget
        while not done:
            s3.take_log()
            before = cursor
            clock = time.perf_counter()
            if phase.name == "copy":
                cursor, done, counts, errors = pages.copy_page(
                    s3, config, cursor, settings, remaining_ms, STATE, totals["pages"]
                )
            elif phase.name == "scan":
                cursor, done, counts = pages.scan_page(
                    s3, config, cursor, settings, STATE, totals["pages"]
                )
                errors = []
            else:
                cursor, done, counts, errors = pages.delete_page(s3, config, cursor, STATE)
            elapsed = time.perf_counter() - clock
            if errors:
                raise RuntimeError(f"{phase.name} page errors: {errors}")
            keys = (
                source_keys[bisect_right(source_keys, before) : bisect_right(source_keys, cursor)]
                if phase.name == "copy"
                else []
            )
            seconds = page_seconds(s3.take_log(), latency, keys, settings.chunk)
            phase.modeled_s += seconds
            phase.longest_page_s = max(phase.longest_page_s, seconds)
            phase.measured_s += elapsed
            totals = pages.add_counts(totals, **counts)
            left -= 1  # as the handler counts iterations_left
            phase.outputs.append({"done": done, "iterations_left": left})
            if not done and left <= 0:
                left = budget  # the fresh execution starts with a full budget
        phase.totals = totals
        phase.transitions, phase.executions = phase_transitions(phase.outputs)

    run_phase(phases["copy"])
    run_phase(phases["scan"])
    s3.take_log()
    decision = pages.guard(config, phases["copy"].totals, phases["scan"].totals)
    if decision["delete"]:
        run_phase(phases["delete"])
    else:
        del phases["delete"]
    pages.archived_keys(s3, config, STATE)  # the summary's one request
    phases["summary"] = Phase("summary")
    phases["summary"].modeled_s = page_seconds(s3.take_log(), latency, [], settings.chunk)
    return Run(data, s3, phases, decision, run_transitions(decision), time.perf_counter() - started)


def check(run: Run) -> list[str]:
    """The destination equals the source, and the work done is exactly the work needed."""
    problems: list[str] = []
    data, buckets = run.data, run.s3.buckets
    destination = buckets[DESTINATION].objects
    keys = [k for k in buckets[DESTINATION].keys if k.startswith(DESTINATION_PREFIX)]
    if len(keys) != len(data.source):
        problems.append(f"{len(keys)} destination objects for {len(data.source)} source objects")
    for rel, src in data.source.items():
        got = destination.get(DESTINATION_PREFIX + rel)
        if got is None or got.size != src.size or src.etag not in (got.etag, got.identity()):
            problems.append(f"{rel}: not a copy of its source")
            break
    for name in (SOURCE, DESTINATION):
        outside = [k for k in buckets[name].keys if k.startswith("other/")]
        if len(outside) != OUTSIDE or any(
            buckets[name].objects[k].etag != "outside" for k in outside
        ):
            problems.append(f"{name}: keys outside the prefix were touched")
    copy = run.phases["copy"].totals
    deleted = run.phases["delete"].totals.get("deleted", 0) if "delete" in run.phases else 0
    if copy["copied"] != len(data.changed) + len(data.new):
        problems.append(f"copied {copy['copied']}, expected {len(data.changed) + len(data.new)}")
    if deleted != len(data.orphans) or run.phases["scan"].totals["orphans"] != len(data.orphans):
        problems.append(f"deleted {deleted}, expected {len(data.orphans)}")
    if copy["failed"] or copy["skipped"] != len(data.source) - copy["copied"]:
        problems.append(f"failed {copy['failed']}, skipped {copy['skipped']}")
    expected_pages = math.ceil(len(data.source) / 1000)
    if run.phases["copy"].pages != expected_pages:
        problems.append(f"{run.phases['copy'].pages} copy pages, expected {expected_pages}")
    for phase in run.phases.values():
        if phase.longest_page_s > (PAGE_FUNCTION_TIMEOUT_MS - 20_000) / 1000:
            problems.append(f"a {phase.name} page would run past its time margin")
    return problems


# ------------------------------------------------------------------------ costing
@dataclass
class Cost:
    requests: Counter[str]  # by operation, the sync's buckets
    state_requests: Counter[str]  # by operation, the state bucket
    invocations: int
    gb_seconds: float
    transitions: int
    wall_s: float

    def s3_usd(self) -> float:
        both = self.requests + self.state_requests
        return sum(n * PRICES[S3_TIER[op]].usd for op, n in both.items())

    def lambda_usd(self) -> float:
        return (
            self.invocations * PRICES["lambda_request"].usd
            + self.gb_seconds * PRICES["lambda_gb_s_arm64"].usd
        )

    def sfn_usd(self) -> float:
        return self.transitions * PRICES["sfn_transition"].usd

    def usd(self) -> float:
        return self.s3_usd() + self.lambda_usd() + self.sfn_usd()


def steward_cost(run: Run, latency: Latency, memory_gb: float, validate_gb: float) -> Cost:
    requests: Counter[str] = Counter()
    state: Counter[str] = Counter()
    for (operation, bucket), n in run.s3.counts.items():
        (state if bucket == STATE else requests)[operation] += n
    page_pages = sum(p.pages for n, p in run.phases.items() if n != "summary")
    invocations = page_pages + 2  # + guard + summary (validate below)
    guard_s = latency.invocation
    page_s = sum(p.modeled_s for p in run.phases.values()) + guard_s
    gb_seconds = page_s * memory_gb + latency.validate * validate_gb
    transitions = len(run.top_states) + sum(p.transitions for p in run.phases.values())
    copy, scan = run.phases["copy"], run.phases["scan"]

    # Wall time: each phase's pages one after the other, each page two transitions (Page,
    # MorePages); copy and scan side by side; the run's own states around them.
    def phase_wall(phase: Phase) -> float:
        return phase.modeled_s + phase.transitions * latency.transition

    wall = (
        latency.validate
        + max(phase_wall(copy), phase_wall(scan))
        + guard_s
        + (phase_wall(run.phases["delete"]) if "delete" in run.phases else 0.0)
        + run.phases["summary"].modeled_s
        + len(run.top_states) * latency.transition
    )
    return Cost(requests, state, invocations + 1, gb_seconds, transitions, wall)


@dataclass
class Peer:
    name: str
    usd: float
    requests: int | None = None
    wall_s: float | None = None
    note: str = ""


def peers(data: Dataset, latency: Latency) -> list[Peer]:
    source_n, destination_n = len(data.source), len(data.destination)
    copies, orphans = len(data.changed) + len(data.new), len(data.orphans)
    lists = math.ceil(source_n / 1000) + math.ceil(destination_n / 1000)
    cli_usd = (lists + copies) * PRICES["s3_tier1"].usd + orphans * PRICES["s3_delete"].usd
    cli_wall = (
        lists * latency.list_page
        + (copies * latency.copy + orphans * latency.delete_one) / latency.cli_threads
    )
    gib = data.source_bytes(data.changed | data.new) / 1024**3
    diff_usd = (
        PRICES["batch_job"].usd + copies * (PRICES["batch_object"].usd + PRICES["s3_tier1"].usd)
        if copies
        else 0.0
    )
    all_usd = PRICES["batch_job"].usd + source_n * (
        PRICES["batch_object"].usd + PRICES["s3_tier1"].usd
    )
    return [
        Peer(
            "aws s3 sync --delete",
            cli_usd,
            lists + copies + orphans,
            cli_wall,
            f"{lists} ListObjectsV2 + {copies} CopyObject + {orphans} DeleteObject",
        ),
        Peer(
            "S3 Batch Operations, manifest of the copies",
            diff_usd,
            copies,
            note=f"{copies} objects; the comparison not priced; {orphans} orphans left",
        ),
        Peer(
            "S3 Batch Operations, every source object",
            all_usd,
            source_n,
            note=f"{source_n} objects copied again; {orphans} orphans left",
        ),
        Peer(
            "DataSync, Basic mode",
            gib * PRICES["datasync_basic_gb"].usd,
            note=f"{gib:.2f} GiB copied; its own S3 requests not counted",
        ),
        Peer(
            "DataSync, Enhanced mode",
            PRICES["datasync_enhanced_task"].usd + gib * PRICES["datasync_enhanced_gb"].usd,
            note="one task execution; its own S3 requests not counted",
        ),
    ]


# ------------------------------------------------------------------------ report
def ratio(a: float, b: float | None) -> str:
    if b is None:
        return "-"
    if b == 0:
        return "inf" if a else "1.00"
    return f"{a / b:.2f}"


def money(usd: float) -> str:
    return f"${usd:,.4f}"


def report(run: Run, cost: Cost, latency: Latency, scale: float) -> None:
    data = run.data
    n = len(data.source)
    print(f"\n=== {data.name}: {n:,} source objects", end="")
    if data.name == "changed-1pct":
        print(
            f" ({len(data.changed):,} same-size changes, {len(data.new):,} new,"
            f" {len(data.orphans):,} orphans)",
            end="",
        )
    print(f"; destination ETags {'differ (KMS)' if data.kms_destination else 'equal'}")
    print(f"{'S3 requests':34}{'sync buckets':>14}{'state bucket':>14}{'USD':>12}")
    for operation in sorted(set(cost.requests) | set(cost.state_requests)):
        a, b = cost.requests[operation], cost.state_requests[operation]
        usd = (a + b) * PRICES[S3_TIER[operation]].usd
        print(f"  {operation:32}{a:>14,}{b:>14,}{money(usd):>12}")
    total = sum(cost.requests.values()) + sum(cost.state_requests.values())
    print(
        f"  {'total':32}{sum(cost.requests.values()):>14,}"
        f"{sum(cost.state_requests.values()):>14,}{money(cost.s3_usd()):>12}"
    )
    print("Page invocations:", end="")
    for phase in run.phases.values():
        if phase.name != "summary":
            print(f" {phase.name} {phase.pages:,}", end="")
    print(f" + guard 1 + summary 1 (+ validate 1, 128 MB) = {cost.invocations:,}")
    print(
        f"Step Functions transitions: {cost.transitions:,} = sync machine {len(run.top_states)}"
        f" ({', '.join(run.top_states)})"
        + "".join(
            f" + {p.name} {p.transitions:,} ({p.executions} execution{'s' * (p.executions > 1)})"
            for p in run.phases.values()
            if p.name != "summary"
        )
    )
    print(
        f"Lambda: {cost.gb_seconds:,.1f} GB-s (modelled; longest page"
        f" {max(p.longest_page_s for p in run.phases.values()):.2f} s), {money(cost.lambda_usd())};"
        f" Step Functions {money(cost.sfn_usd())}"
    )
    modeled = {p.name: p.modeled_s for p in run.phases.values()}
    print(
        "Modelled page time, s: "
        + ", ".join(f"{k} {v:,.1f}" for k, v in modeled.items())
        + f"; wall time of the run (copy and scan side by side): {cost.wall_s / 60:,.1f} min"
    )
    copy = run.phases["copy"]
    print(
        f"Measured in memory (this machine, not S3): run {run.measured_s:.1f} s, copy"
        f" {copy.measured_s / max(copy.pages, 1) * 1000:.1f} ms a page,"
        f" {n / max(copy.measured_s, 1e-9):,.0f} objects/s through copy_page"
    )
    print(
        f"Steward per run: {money(cost.usd())} (S3 {money(cost.s3_usd())}, Lambda"
        f" {money(cost.lambda_usd())}, Step Functions {money(cost.sfn_usd())})"
    )
    print(
        f"\n{'peer, same work':44}{'requests':>11}{'USD/run':>12}{'wall, min':>11}"
        f"{'Steward/peer: USD':>19}{'requests':>10}{'wall':>7}"
    )
    for peer in peers(data, latency):
        print(
            f"  {peer.name:42}{'' if peer.requests is None else f'{peer.requests:,}':>11}"
            f"{money(peer.usd):>12}{'' if peer.wall_s is None else f'{peer.wall_s / 60:.1f}':>11}"
            f"{ratio(cost.usd(), peer.usd):>19}"
            f"{ratio(total, peer.requests) if peer.name.startswith('aws') else '':>10}"
            f"{ratio(cost.wall_s, peer.wall_s) if peer.wall_s else '':>7}"
        )
        print(f"      {peer.note}")
    if scale != 1:
        print(
            f"Extrapolated linearly to {TARGET:,} objects (x{scale:g}; not measured):"
            f" Steward {total * scale:,.0f} requests, {cost.invocations * scale:,.0f}"
            f" invocations, {cost.transitions * scale:,.0f} transitions,"
            f" {cost.gb_seconds * scale:,.0f} GB-s, {cost.wall_s * scale / 60:,.1f} min,"
            f" {money(cost.usd() * scale)} a run"
        )


def print_assumptions(latency: Latency, memory_mb: int, validate_mb: int, budget: int) -> None:
    print("Assumptions (a model, not measurements of S3):")
    print(
        f"  latency: LIST {latency.list_page * 1000:.0f} ms a page, HEAD {latency.head * 1000:.0f}"
        f" ms, COPY {latency.copy * 1000:.0f} ms (small object), GET {latency.get * 1000:.0f} ms,"
        f" PUT {latency.put * 1000:.0f} ms, DeleteObjects {latency.delete_batch * 1000:.0f} ms"
        f" (1,000 keys), DeleteObject {latency.delete_one * 1000:.0f} ms; handler"
        f" {latency.invocation * 1000:.0f} ms an invocation; validate {latency.validate * 1000:.0f}"
        f" ms; {latency.transition * 1000:.0f} ms per state transition (wall time only)"
    )
    print(
        f"  Steward: {latency.threads} copy threads on chunks of 64 keys, page size 1,000,"
        f" {budget:,} pages an execution (template defaults); page function {memory_mb} MB arm64,"
        f" validate {validate_mb} MB (template.yaml); no retries, no throttling, no cold starts"
    )
    print(f"  Step Functions (walked on the ASL): {asl_unit_costs()}")
    print(
        f"  CLI: listings one after the other, copies and deletes {latency.cli_threads} at a time;"
        f" objects {MIN_SIZE // 1024}-{MAX_SIZE // 1024} KiB (DataSync's per-GB fee)"
    )
    print(f"Prices (us-east-1, free tiers ignored; stored copies read {PRICES_READ}):")
    for price in PRICES.values():
        print(f"  {price.per}\n      {price.source}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=TARGET, help="source objects (>= 1,000)")
    parser.add_argument("--scenario", choices=SCENARIOS, nargs="+", default=list(SCENARIOS))
    args = parser.parse_args(argv)
    if args.objects < 1000:
        parser.error("--objects must be at least 1000")
    latency = Latency()
    memory_mb = function_memory_mb("BucketSyncPageFunction")
    validate_mb = function_memory_mb("BucketSyncValidateFunction")
    budget = template_default("BucketSyncIterationsPerExecution")
    scale = TARGET / args.objects
    failures = check_paging()
    print_assumptions(latency, memory_mb, validate_mb, budget)
    if scale != 1:
        print(
            f"\nRun at {args.objects:,} objects; per-run totals also extrapolated linearly"
            f" to {TARGET:,}."
        )
    for name in args.scenario:
        clock = time.perf_counter()
        data = make_dataset(name, args.objects)
        built = time.perf_counter() - clock
        run = run_sync(data, latency, budget)
        cost = steward_cost(run, latency, memory_mb / 1024, validate_mb / 1024)
        report(run, cost, latency, scale)
        print(f"(building the buckets took {built:.1f} s, outside the measured run)")
        failures += [f"{name}: {p}" for p in check(run)]
    print()
    for failure in failures:
        print(f"FAIL: {failure}")
    if not failures:
        print(
            "OK: every destination ends equal to its source, with exactly the copies and"
            " deletions needed; the in-memory S3 pages as S3 does"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
