"""A copy in parts across invocations on moto S3: parts recorded in the state bucket, the
cursor left before the object while its parts are copied, the upload resumed, and uploads
left behind by a stopped run aborted by the next run."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from typing import Any

import boto3

from bucket_sync.config import SyncConfig
from bucket_sync.copying import CopySettings
from bucket_sync.multipart import index_key, record_key
from bucket_sync.pages import PageSettings, copy_page

MIB = 1024**2
STATE = "state"
BIG = os.urandom(16 * MIB)  # parts of 5, 5, 5 and 1 MiB


def _settings(**copy: Any) -> PageSettings:
    return PageSettings(
        copy=CopySettings(
            multipart_threshold=5 * MIB + 1, part_size=5 * MIB, part_concurrency=1, **copy
        )
    )


def _buckets() -> Any:
    s3 = boto3.client("s3")
    for bucket in ("src", "dst", STATE):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="src", Key="a.txt", Body=b"small, before")
    s3.put_object(Bucket="src", Key="big.bin", Body=BIG, Metadata={"owner": "data"})
    s3.put_object(Bucket="src", Key="z.txt", Body=b"small, after")
    return s3


def _clock(plenty: int) -> Callable[[], int]:
    """Lambda's time left: plenty for the first `plenty` checks (the page's chunk check, then
    one before each window of parts), then below the margin."""
    calls = iter(range(10_000))
    return lambda: 600_000 if next(calls) < plenty else 1_000


def _record(s3: Any, run_id: str) -> dict[str, Any]:
    body = s3.get_object(Bucket=STATE, Key=record_key(run_id, "dst", "big.bin"))["Body"].read()
    record: dict[str, Any] = json.loads(body)
    return record


def _uploads(s3: Any) -> list[dict[str, Any]]:
    uploads: list[dict[str, Any]] = s3.list_multipart_uploads(Bucket="dst").get("Uploads", [])
    return uploads


def _md5(s3: Any, bucket: str, key: str) -> str:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return hashlib.md5(body).hexdigest()  # noqa: S324 - content identity


def test_a_copy_in_parts_spans_three_invocations_and_ends_exact(aws_env: None) -> None:
    s3 = _buckets()
    config = SyncConfig(source="src", destination="dst", run_id="run-1")
    settings = _settings()
    # 1st: the chunk check and two windows, then the time runs short before the third part
    cursor, done, first, errors = copy_page(s3, config, "", settings, _clock(3), STATE, 0)
    assert (done, cursor, first["copied"], errors) == (False, "a.txt", 1, [])
    record = _record(s3, "run-1")
    assert record["state"] == "copying" and [p["PartNumber"] for p in record["parts"]] == [1, 2]
    assert (record["source_etag"], record["source_size"], record["part_size"]) == (
        hashlib.md5(BIG).hexdigest(),  # noqa: S324 - a single-part upload's ETag
        len(BIG),
        5 * MIB,
    )
    assert [u["UploadId"] for u in _uploads(s3)] == [record["upload_id"]]
    assert "big.bin" not in [o["Key"] for o in s3.list_objects_v2(Bucket="dst")["Contents"]]
    # 2nd: the same upload goes on (one part), the cursor stays before the object
    cursor, done, second, _ = copy_page(s3, config, cursor, settings, _clock(2), STATE, 1)
    assert (done, cursor, second["copied"]) == (False, "a.txt", 0)
    again = _record(s3, "run-1")
    assert again["upload_id"] == record["upload_id"]
    assert [p["PartNumber"] for p in again["parts"]] == [1, 2, 3]
    # 3rd: the last part, then the upload is completed
    cursor, done, third, _ = copy_page(s3, config, cursor, settings, lambda: 600_000, STATE, 2)
    assert (done, cursor) == (True, "z.txt")
    # z.txt was copied beside the first invocation's parts, after the cursor: counted skipped
    assert (first["copied"] + second["copied"] + third["copied"], third["skipped"]) == (2, 1)
    assert third["copied_bytes"] == len(BIG)
    assert _md5(s3, "dst", "big.bin") == hashlib.md5(BIG).hexdigest()  # noqa: S324
    head = s3.head_object(Bucket="dst", Key="big.bin")
    assert head["ETag"].strip('"').endswith("-4") and head["Metadata"]["owner"] == "data"
    assert _record(s3, "run-1")["state"] == "done"
    assert _uploads(s3) == []
    # a second run copies nothing: the recorded source identity says unchanged
    rerun = SyncConfig(source="src", destination="dst", run_id="run-2")
    assert copy_page(s3, rerun, "", settings, lambda: 600_000, STATE, 0)[2]["copied"] == 0


def test_a_source_changed_between_invocations_starts_the_upload_over(aws_env: None) -> None:
    s3 = _buckets()
    config = SyncConfig(source="src", destination="dst", run_id="run-1")
    settings = _settings()
    cursor, done, _, _ = copy_page(s3, config, "", settings, _clock(3), STATE, 0)
    old = _record(s3, "run-1")["upload_id"]
    changed = os.urandom(11 * MIB)
    s3.put_object(Bucket="src", Key="big.bin", Body=changed)
    cursor, done, counts, errors = copy_page(
        s3, config, cursor, settings, lambda: 600_000, STATE, 1
    )
    assert (done, counts["copied"], errors) == (True, 1, [])
    assert _md5(s3, "dst", "big.bin") == hashlib.md5(changed).hexdigest()  # noqa: S324
    assert _record(s3, "run-1")["upload_id"] != old
    assert _uploads(s3) == []  # the first upload was aborted


def test_a_recorded_upload_that_is_gone_is_started_over(aws_env: None) -> None:
    s3 = _buckets()
    config = SyncConfig(source="src", destination="dst", run_id="run-1")
    cursor, _, _, _ = copy_page(s3, config, "", _settings(), _clock(3), STATE, 0)
    gone = _record(s3, "run-1")["upload_id"]
    s3.abort_multipart_upload(Bucket="dst", Key="big.bin", UploadId=gone)
    cursor, done, counts, _ = copy_page(s3, config, cursor, _settings(), lambda: 600_000, STATE, 1)
    assert (done, counts["copied"]) == (True, 1)
    assert _md5(s3, "dst", "big.bin") == hashlib.md5(BIG).hexdigest()  # noqa: S324


def test_a_run_stopped_mid_copy_leaves_no_upload_after_the_next_run(aws_env: None) -> None:
    s3 = _buckets()
    stopped = SyncConfig(source="src", destination="dst", run_id="run-1")
    copy_page(s3, stopped, "", _settings(), _clock(3), STATE, 0)  # then never goes on
    left = _record(s3, "run-1")["upload_id"]
    # an upload Steward has no record of (another tool's) is never touched
    foreign = s3.create_multipart_upload(Bucket="dst", Key="other-tool.bin")["UploadId"]
    # a run started while the stopped one's record is recent leaves its upload alone
    early = SyncConfig(source="src", destination="dst", run_id="run-2")
    counts = copy_page(s3, early, "", _settings(), lambda: 600_000, STATE, 0)[2]
    assert counts["uploads_aborted"] == 0 and left in [u["UploadId"] for u in _uploads(s3)]
    s3.delete_object(Bucket="dst", Key="big.bin")  # as if that run had not copied it
    # the next run, once the record is old enough, aborts the stopped run's upload first
    nxt = SyncConfig(source="src", destination="dst", run_id="run-3")
    _cursor, done, counts, errors = copy_page(
        s3, nxt, "", _settings(abandoned_after_s=0), lambda: 600_000, STATE, 0
    )
    assert (done, counts["uploads_aborted"], errors) == (True, 1, [])
    assert [u["UploadId"] for u in _uploads(s3)] == [foreign]
    assert _record(s3, "run-1")["state"].startswith("aborted: left behind")
    assert _md5(s3, "dst", "big.bin") == hashlib.md5(BIG).hexdigest()  # noqa: S324
    index = json.loads(s3.get_object(Bucket=STATE, Key=index_key(left))["Body"].read())
    assert index == {"record": record_key("run-1", "dst", "big.bin")}


def test_without_a_state_bucket_every_part_is_copied_in_one_invocation(aws_env: None) -> None:
    s3 = _buckets()
    config = SyncConfig(source="src", destination="dst", run_id="run-1")
    _cursor, done, counts, _ = copy_page(s3, config, "", _settings(), lambda: 600_000)
    assert (done, counts["copied"]) == (True, 3)
    assert _md5(s3, "dst", "big.bin") == hashlib.md5(BIG).hexdigest()  # noqa: S324
    assert _uploads(s3) == []


def test_slow_windows_still_go_on_one_an_invocation(aws_env: None) -> None:
    """An invocation's first window needs the time of one window, later ones twice it: parts
    that take more than a third of Lambda's 15 minutes a window still make progress."""
    s3 = _buckets()
    config = SyncConfig(source="src", destination="dst", run_id="run-1")
    cursor, _, _, _ = copy_page(s3, config, "", _settings(), _clock(3), STATE, 0)
    record = _record(s3, "run-1")
    record["window_ms"] = 400_000  # measured: slow parts
    key = record_key("run-1", "dst", "big.bin")
    s3.put_object(Bucket=STATE, Key=key, Body=json.dumps(record).encode())
    # 500 s left: one window (20 s margin + 400 s), not a second (20 s + 800 s)
    cursor, done, _, _ = copy_page(s3, config, cursor, _settings(), lambda: 500_000, STATE, 1)
    assert (done, cursor) == (False, "a.txt")
    assert [p["PartNumber"] for p in _record(s3, "run-1")["parts"]] == [1, 2, 3]
