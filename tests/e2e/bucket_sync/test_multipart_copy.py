"""Copies in parts on the local cloud, the whole template: an upload is resumed by the page's
retry after S3 throttled it beyond the SDK's retries, and one whose part is refused is aborted,
leaving no upload behind (each left upload would be billed until aborted)."""

from __future__ import annotations

import json
from typing import Any

from localcloud import LocalCloud
from localcloud.testing import inject_fault
from tests.e2e.bucket_sync.test_bucket_sync import DST, SRC, contents, put, start, sync

BODY = bytes(range(256)) * (12 * 4096)  # 12 MiB: above a 5 MiB threshold


def _state(cloud: LocalCloud) -> tuple[str, list[str]]:
    """The state bucket (the one holding multipart records) and its keys."""
    s3 = cloud.client("s3")
    for bucket in s3.list_buckets()["Buckets"]:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])]
        if any("/multipart/" in k for k in keys):
            return bucket["Name"], keys
    return "", []


def _uploads(cloud: LocalCloud) -> list[Any]:
    uploads: list[Any] = cloud.client("s3").list_multipart_uploads(Bucket=DST).get("Uploads", [])
    return uploads


def test_a_multipart_copy_throttled_beyond_the_sdk_goes_on_with_its_upload(stack: Any) -> None:
    cloud = start(stack, BucketSyncMultipartThresholdBytes=str(5 * 1024**2))
    put(cloud, SRC, "big.bin", BODY, Metadata={"owner": "data"})
    put(cloud, SRC, "small.txt", b"small")
    # every attempt of the first UploadPartCopy (the SDK makes 10): the page fails with
    # S3ThrottledError, the state machine retries it, and the retry resumes the upload
    with inject_fault(
        cloud, "s3", "UploadPartCopy", code="SlowDown", status=503, count=10
    ) as throttled:
        execution = sync(cloud, {})
    assert throttled.injected == 10
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    assert (execution["output"]["copied"], execution["output"]["failed"]) == (2, 0)
    assert contents(cloud, DST) == contents(cloud, SRC)
    assert _uploads(cloud) == []
    bucket, keys = _state(cloud)
    # one upload was created (one index entry), and its record says done
    assert len([k for k in keys if k.startswith("multipart-uploads/")]) == 1
    (record_key,) = [k for k in keys if "/multipart/" in k]
    record = json.loads(cloud.client("s3").get_object(Bucket=bucket, Key=record_key)["Body"].read())
    assert (record["state"], len(record["parts"]), record["source_size"]) == ("done", 1, len(BODY))


def test_a_multipart_copy_whose_part_is_refused_leaves_no_upload(stack: Any) -> None:
    cloud = start(stack, BucketSyncMultipartThresholdBytes=str(5 * 1024**2))
    put(cloud, SRC, "big.bin", BODY)
    with inject_fault(cloud, "s3", "UploadPartCopy", code="AccessDenied", status=403, count=1):
        execution = sync(cloud, {})
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    assert execution["output"]["failed"] == 1
    assert _uploads(cloud) == []  # aborted at once: a retry would be refused again
    again = sync(cloud, {})["output"]
    assert (again["copied"], again["failed"]) == (1, 0)
    assert contents(cloud, DST) == contents(cloud, SRC) and _uploads(cloud) == []
