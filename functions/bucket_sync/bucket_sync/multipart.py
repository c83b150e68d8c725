"""A multipart copy (UploadPartCopy) that goes on across invocations.

S3's limits ("Amazon S3 multipart upload limits", User Guide): objects up to 48.8 TiB, at most
10,000 parts numbered 1 to 10,000, parts of 5 MiB to 5 GiB ("There is no minimum size limit on
the last part"). One invocation of 15 minutes copies a few hundred GB at best, so the upload is
recorded in the state bucket, `{run_id}/multipart/<sha256 of the destination>.json`: its upload
id, the destination, the source's ETag and size, the part size, and the parts done with their
ETags and checksums. Parts are copied a window at a time; the record is written after each
window, and before a window the invocation stops if the time left (less the page's margin)
would not cover twice the slowest window seen, so the page hands over with its cursor before
the object and the next invocation resumes the same upload. A resumed upload is checked with
ListParts (gone: start over); a source whose ETag or size changed since the upload began makes
it be aborted and started over, and every part is copied with CopySourceIfMatch, so an upload
never mixes two versions of the source.

Uploads left behind (a run stopped, or timed out beyond the state machine's retries) are found
by their record, never by guesswork: ListMultipartUploads does not answer an upload's metadata,
and the destination may hold other tools' uploads. Each upload's record is indexed by its
upload id (`multipart-uploads/<sha256 of the upload id>.json`, pointing at the record), and at
the start of a run's copy phase the destination's uploads under its prefix that have a Steward
record not done, of another run, and not written for `abandoned_after_s`, are aborted. A live
run writes its records at least once a window and once an invocation, so a record that old
belongs to a run that stopped.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from bucket_sync.s3_errors import error_code, is_transient

MIB = 1024**2
MIN_PART = 5 * MIB
MAX_PART = 5 * 1024**3
MAX_PARTS = 10_000
MAX_OBJECT = MAX_PARTS * MAX_PART  # 48.8 TiB
GONE_CODES = ("NoSuchUpload", "404")
INDEX_PREFIX = "multipart-uploads/"


class MultipartError(Exception):
    """A copy in parts that cannot be made: the object counts as failed, the run goes on."""


class SourceChangedError(MultipartError):
    """The source changed while its parts were being copied (CopySourceIfMatch failed)."""


@dataclass(frozen=True)
class MultipartJob:
    """What a copy in parts needs to go on in a later invocation."""

    state_bucket: str
    run_id: str
    remaining_ms: Callable[[], int]
    time_margin_ms: int = 20_000
    part_concurrency: int = 8


def part_size_for(size: int, configured: int) -> int:
    """At least `configured` (and S3's 5 MiB), and large enough for `size` to fit 10,000
    parts: ceil(size / 10,000) rounded up to a MiB, at most 5 GiB."""
    needed = -(-size // MAX_PARTS)
    needed = -(-needed // MIB) * MIB
    return min(max(configured, needed, MIN_PART), MAX_PART)


def part_ranges(size: int, part_size: int) -> list[tuple[int, int, int]]:
    """(part number, first byte, last byte) of each part."""
    return [
        (number, start, min(start + part_size, size) - 1)
        for number, start in enumerate(range(0, size, part_size), start=1)
    ]


def _first_window_ms(part_size: int) -> int:
    """How long a window may take before one was measured: S3 publishes no rate for
    UploadPartCopy, so a slow one is assumed (50 MiB/s a part; parts go side by side)."""
    return part_size * 1000 // (50 * MIB)


def record_key(run_id: str, bucket: str, key: str) -> str:
    digest = hashlib.sha256(f"{bucket}/{key}".encode()).hexdigest()
    return f"{run_id}/multipart/{digest}.json"


def index_key(upload_id: str) -> str:
    return f"{INDEX_PREFIX}{hashlib.sha256(upload_id.encode()).hexdigest()}.json"


def _read(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error_code(error) in ("NoSuchKey", "404"):
            return None
        raise
    found: dict[str, Any] = json.loads(body)
    return found


def _write(s3: Any, bucket: str, key: str, body: dict[str, Any]) -> None:
    s3.put_object(
        Bucket=bucket, Key=key, Body=json.dumps(body).encode(), ContentType="application/json"
    )


def load_record(s3: Any, job: MultipartJob, bucket: str, key: str) -> dict[str, Any] | None:
    return _read(s3, job.state_bucket, record_key(job.run_id, bucket, key))


def _save(s3: Any, job: MultipartJob, record: dict[str, Any]) -> None:
    record["updated"] = time.time()
    _write(s3, job.state_bucket, record_key(job.run_id, record["bucket"], record["key"]), record)


def _abort(s3: Any, bucket: str, key: str, upload_id: str) -> None:
    try:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except ClientError as error:
        if error_code(error) not in GONE_CODES:
            raise


def _etag(value: str | None) -> str:
    return (value or "").strip('"')


def _listed_parts(s3: Any, record: dict[str, Any]) -> dict[int, str] | None:
    """{part number: ETag} of the upload as S3 has it; None if the upload is gone."""
    found: dict[int, str] = {}
    try:
        for page in s3.get_paginator("list_parts").paginate(
            Bucket=record["bucket"], Key=record["key"], UploadId=record["upload_id"]
        ):
            for part in page.get("Parts", []):
                found[int(part["PartNumber"])] = str(part["ETag"])
    except ClientError as error:
        if error_code(error) in GONE_CODES:
            return None
        raise
    return found


def _resume(
    s3: Any, job: MultipartJob, record: dict[str, Any], etag: str, size: int
) -> dict[str, Any] | None:
    """The record again if its upload can go on, its parts those S3 still has; else None
    (the upload is aborted if it exists)."""
    if record.get("state") != "copying":
        return None
    if record["source_etag"] != etag or int(record["source_size"]) != size:
        _abort(s3, record["bucket"], record["key"], record["upload_id"])
        record["state"] = "aborted: the source changed"
        _save(s3, job, record)
        return None
    listed = _listed_parts(s3, record)
    if listed is None:
        return None
    # a part recorded but not listed (or listed with another ETag) is copied again
    record["parts"] = [
        p for p in record["parts"] if _etag(listed.get(p["PartNumber"])) == _etag(p["ETag"])
    ]
    return record


def _copy_part(
    s3: Any,
    record: dict[str, Any],
    source: dict[str, str],
    number: int,
    first: int,
    last: int,
) -> dict[str, Any]:
    try:
        answer = s3.upload_part_copy(
            CopySource=source,
            CopySourceIfMatch=f'"{record["source_etag"]}"',
            CopySourceRange=f"bytes={first}-{last}",
            Bucket=record["bucket"],
            Key=record["key"],
            UploadId=record["upload_id"],
            PartNumber=number,
        )
    except ClientError as error:
        if error_code(error) in ("PreconditionFailed", "412"):
            raise SourceChangedError("the source changed during its copy in parts") from error
        raise
    result = answer["CopyPartResult"]
    done: dict[str, Any] = {"PartNumber": number, "ETag": result["ETag"]}
    algorithm = record.get("checksum_algorithm")
    if algorithm and result.get(f"Checksum{algorithm}"):
        done[f"Checksum{algorithm}"] = result[f"Checksum{algorithm}"]
    return done


def copy_in_parts(
    s3: Any,
    source: dict[str, str],
    target: dict[str, str],
    args: dict[str, Any],
    etag: str,
    size: int,
    configured_part_size: int,
    job: MultipartJob,
) -> bool:
    """Copy (or go on copying) `source` to `target` in parts; True once complete, False if
    the time ran short first (the record holds the parts done for the next invocation).

    `args` are CopyObject's destination arguments (metadata, headers, storage class, checksum
    algorithm, encryption), given to CreateMultipartUpload."""
    if size > MAX_OBJECT:
        raise MultipartError(f"{size} bytes is beyond S3's largest object ({MAX_OBJECT} bytes)")
    found = load_record(s3, job, target["Bucket"], target["Key"])
    record = _resume(s3, job, found, etag, size) if found else None
    if record is None:
        upload = s3.create_multipart_upload(**target, **args)
        record = {
            "run_id": job.run_id,
            "upload_id": upload["UploadId"],
            "bucket": target["Bucket"],
            "key": target["Key"],
            "source_bucket": source["Bucket"],
            "source_key": source["Key"],
            "source_etag": etag,
            "source_size": size,
            "part_size": part_size_for(size, configured_part_size),
            "checksum_algorithm": args.get("ChecksumAlgorithm"),
            "parts": [],
            "window_ms": 0,
            "state": "copying",
        }
        pointer = {"record": record_key(job.run_id, target["Bucket"], target["Key"])}
        _write(s3, job.state_bucket, index_key(record["upload_id"]), pointer)
    _save(s3, job, record)  # written once an invocation at least: the run is alive
    done = {int(p["PartNumber"]) for p in record["parts"]}
    todo = [r for r in part_ranges(size, int(record["part_size"])) if r[0] not in done]
    try:
        with ThreadPoolExecutor(max_workers=job.part_concurrency) as pool:
            for start in range(0, len(todo), job.part_concurrency):
                # twice the slowest window: a window slower than the last must still end
                # before Lambda's timeout, or its parts are copied again. Once only for an
                # invocation's first window, so that windows slower than a third of Lambda's
                # 15 minutes still go on (each invocation would otherwise stop at once).
                expected = int(record["window_ms"]) or _first_window_ms(int(record["part_size"]))
                factor = 2 if start else 1
                if job.remaining_ms() < job.time_margin_ms + factor * expected:
                    return False
                began = time.monotonic()
                window = todo[start : start + job.part_concurrency]
                futures = [
                    pool.submit(_copy_part, s3, record, source, number, first, last)
                    for number, first, last in window
                ]
                copied = []
                failure: BaseException | None = None
                for future in futures:
                    try:
                        copied.append(future.result())
                    except Exception as error:  # noqa: BLE001 - kept the other parts first
                        failure = failure or error
                record["parts"].extend(copied)
                elapsed = int((time.monotonic() - began) * 1000)
                record["window_ms"] = max(int(record["window_ms"]), elapsed)
                _save(s3, job, record)
                if failure is not None:
                    raise failure
        parts = sorted(record["parts"], key=lambda p: int(p["PartNumber"]))
        s3.complete_multipart_upload(
            **target, UploadId=record["upload_id"], MultipartUpload={"Parts": parts}
        )
    except SourceChangedError:
        _abort(s3, record["bucket"], record["key"], record["upload_id"])
        record["state"] = "aborted: the source changed during the copy"
        _save(s3, job, record)
        raise
    except ClientError as error:
        if not is_transient(error):
            # a failure a retry would not mend (access, KMS, ...): nothing to go on with
            _abort(s3, record["bucket"], record["key"], record["upload_id"])
            record["state"] = f"aborted: {error_code(error)}"
            _save(s3, job, record)
        raise  # a transient one fails the page: its retry resumes the upload from the record
    record["state"] = "done"
    _save(s3, job, record)
    return True


def abort_left_behind(
    s3: Any,
    destination: str,
    prefix: str,
    state_bucket: str,
    run_id: str,
    abandoned_after_s: float,
    remaining_ms: Callable[[], int],
    stop_below_ms: int,
) -> int:
    """Abort the destination's uploads (under `prefix`) that Steward recorded, that are not
    done, of another run, and whose record was not written for `abandoned_after_s`: their run
    stopped. Uploads without a record are not Steward's, or not known to be: left alone.
    Returns how many were aborted."""
    now = time.time()
    aborted = 0
    for page in s3.get_paginator("list_multipart_uploads").paginate(
        Bucket=destination, Prefix=prefix
    ):
        for upload in page.get("Uploads", []):
            if remaining_ms() < stop_below_ms:
                return aborted  # the next run goes on with the rest
            initiated = upload.get("Initiated")
            # a record is written after its upload is initiated: a recent upload's is recent
            if initiated is not None and now - initiated.timestamp() < abandoned_after_s:
                continue
            index = _read(s3, state_bucket, index_key(str(upload["UploadId"])))
            record = _read(s3, state_bucket, str(index["record"])) if index else None
            if (
                record is None
                or record.get("upload_id") != upload["UploadId"]
                or record.get("state") == "done"
                or record.get("run_id") == run_id
                or now - float(record.get("updated") or 0) < abandoned_after_s
            ):
                continue
            _abort(s3, destination, str(upload["Key"]), str(upload["UploadId"]))
            record["state"] = f"aborted: left behind, found by run {run_id}"
            record["updated"] = now
            _write(s3, state_bucket, str(index["record"]), record)  # type: ignore[index]
            aborted += 1
    return aborted
