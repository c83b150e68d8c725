"""The bucket sync against what real S3 does that a naive sync gets wrong (issue #19): ETags
that are not MD5s, storage classes, archived objects, website redirects, metadata-only changes,
a source that changes between scan and delete, and throttling."""

from __future__ import annotations

import json
from contextlib import ExitStack
from typing import Any

from localcloud import LocalCloud
from localcloud.testing import before_call, inject_fault, pass_time, short_pages
from tests.e2e.bucket_sync.test_bucket_sync import DST, SRC, contents, put, start, sync


def _kms_default(cloud: LocalCloud, bucket: str) -> str:
    key: str = cloud.client("kms").create_key(Description=bucket)["KeyMetadata"]["Arn"]
    cloud.client("s3").put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key,
                    }
                }
            ]
        },
    )
    return key


def test_sse_kms_sources_into_a_kms_default_destination_sync_once_then_copy_nothing(
    stack: Any,
) -> None:
    """ "Objects ... encrypted by SSE-C or SSE-KMS, have ETags that are not an MD5 digest of
    their object data" (S3 API Reference, Object): no ETag of the copy equals its source's,
    and only the recorded identity tells that nothing changed."""
    cloud = start(stack)
    _kms_default(cloud, DST)
    source_key = _kms_default(cloud, SRC)
    for i in range(6):
        put(
            cloud,
            SRC,
            f"doc-{i}.txt",
            f"body {i}".encode(),
            SSEKMSKeyId=source_key,
            ServerSideEncryption="aws:kms",
        )
    first = sync(cloud, {})
    assert first["status"] == "SUCCEEDED", first["cause"]
    assert first["output"]["copied"] == 6
    assert first["output"]["destination_encryption"] == "aws:kms"
    assert contents(cloud, DST) == contents(cloud, SRC)
    s3 = cloud.client("s3")
    assert (
        s3.head_object(Bucket=DST, Key="doc-0.txt")["ETag"]
        != s3.head_object(Bucket=SRC, Key="doc-0.txt")["ETag"]
    )
    second = sync(cloud, {})["output"]
    assert (second["copied"], second["skipped"]) == (0, 6)
    put(cloud, SRC, "doc-3.txt", b"body X", SSEKMSKeyId=source_key, ServerSideEncryption="aws:kms")
    third = sync(cloud, {})["output"]  # same size, new content: found by the record
    assert (third["copied"], third["skipped"]) == (1, 5)
    assert contents(cloud, DST) == contents(cloud, SRC)


def test_storage_classes_are_kept_and_an_archived_object_is_listed_not_blocking_deletes(
    stack: Any,
) -> None:
    cloud = start(stack)
    put(cloud, SRC, "cool.bin", b"infrequent", StorageClass="STANDARD_IA")
    put(cloud, SRC, "cold.bin", b"archived", StorageClass="GLACIER")
    put(cloud, SRC, "hot.bin", b"standard")
    put(cloud, DST, "orphan.bin", b"gone")
    execution = sync(cloud, {})
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    summary = execution["output"]
    assert (summary["copied"], summary["archived"], summary["failed"]) == (2, 1, 0)
    assert summary["archived_keys"] == ["cold.bin"]
    assert "restore_archived" in summary["archived_note"]
    assert summary["deleted"] == 1  # an archived object is not a failed copy
    s3 = cloud.client("s3")
    assert s3.head_object(Bucket=DST, Key="cool.bin").get("StorageClass") == "STANDARD_IA"
    assert s3.head_object(Bucket=DST, Key="hot.bin").get("StorageClass", "STANDARD") == "STANDARD"
    assert set(contents(cloud, DST)) == {"cool.bin", "hot.bin"}


def test_restore_archived_starts_the_restore_and_a_later_run_copies_it(stack: Any) -> None:
    cloud = start(stack)
    put(cloud, SRC, "cold.bin", b"archived", StorageClass="GLACIER")
    first = sync(cloud, {"restore_archived": True, "restore_tier": "Expedited"})["output"]
    assert (first["archived"], first["restores_started"]) == (1, 1)
    again = sync(cloud, {"restore_archived": True})["output"]
    assert (again["archived"], again["restores_started"]) == (1, 0)  # already under way
    pass_time(cloud, 6 * 60)  # an Expedited retrieval: 1 to 5 minutes
    done = sync(cloud, {})["output"]
    assert (done["copied"], done["archived"]) == (1, 0)
    head = cloud.client("s3").head_object(Bucket=DST, Key="cold.bin")
    assert head["StorageClass"] == "GLACIER"  # as the source has it


def test_a_website_redirect_and_the_headers_travel_with_the_copy(stack: Any) -> None:
    """x-amz-website-redirect-location "is not copied when using the x-amz-metadata-directive
    header" (S3 API Reference, CopyObject): the sync gives it from the source's HEAD."""
    cloud = start(stack)
    put(
        cloud,
        SRC,
        "old/index.html",
        b"",
        WebsiteRedirectLocation="/new/index.html",
        ContentType="text/html",
        CacheControl="max-age=60",
        Metadata={"owner": "web"},
    )
    execution = sync(cloud, {})
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    head = cloud.client("s3").head_object(Bucket=DST, Key="old/index.html")
    assert head["WebsiteRedirectLocation"] == "/new/index.html"
    assert (head["ContentType"], head["CacheControl"]) == ("text/html", "max-age=60")
    assert head["Metadata"]["owner"] == "web"
    put(cloud, SRC, "data.csv", b"a,b\n1,2\n", ChecksumAlgorithm="SHA256")
    assert sync(cloud, {})["output"]["copied"] == 1
    s3 = cloud.client("s3")
    copied = s3.head_object(Bucket=DST, Key="data.csv", ChecksumMode="ENABLED")
    source = s3.head_object(Bucket=SRC, Key="data.csv", ChecksumMode="ENABLED")
    assert copied["ChecksumSHA256"] == source["ChecksumSHA256"]  # the same kind of checksum


def test_compare_full_finds_a_metadata_only_change_that_etag_mode_cannot(stack: Any) -> None:
    cloud = start(stack)
    put(cloud, SRC, "page.html", b"<html>", ContentType="text/html", Metadata={"rev": "1"})
    assert sync(cloud, {})["output"]["copied"] == 1
    s3 = cloud.client("s3")
    # A metadata change in place: same content, same ETag ("The ETag reflects changes only to
    # the contents of an object, not its metadata").
    s3.copy_object(
        Bucket=SRC,
        Key="page.html",
        CopySource={"Bucket": SRC, "Key": "page.html"},
        MetadataDirective="REPLACE",
        ContentType="text/html",
        Metadata={"rev": "2"},
    )
    assert sync(cloud, {})["output"]["copied"] == 0  # etag mode: unchanged content
    full = sync(cloud, {"compare": "full"})["output"]
    assert (full["copied"], full["skipped"]) == (1, 0)
    assert s3.head_object(Bucket=DST, Key="page.html")["Metadata"]["rev"] == "2"
    assert sync(cloud, {"compare": "full"})["output"]["copied"] == 0


def test_an_orphan_the_source_has_again_before_the_delete_survives(stack: Any) -> None:
    cloud = start(stack)
    put(cloud, SRC, "keep.txt", b"k")
    put(cloud, DST, "back.txt", b"old")
    state_bucket = cloud.physical_id("BucketSyncStateBucket")

    def recreate(call: Any) -> None:
        params = call.params
        if params.get("Bucket") == state_bucket and "/orphans/" in str(params.get("Key")):
            cloud.client("s3").put_object(Bucket=SRC, Key="back.txt", Body=b"new")

    with before_call("s3", "GetObject", recreate):  # the delete phase reads its list
        execution = sync(cloud, {})
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    summary = execution["output"]
    assert (summary["orphans"], summary["recreated"], summary["deleted"]) == (1, 1, 0)
    assert "back.txt" in contents(cloud, DST)
    assert sync(cloud, {})["output"]["copied"] == 1  # the next run copies the new one
    assert contents(cloud, DST) == contents(cloud, SRC)


def test_slowdown_on_a_tenth_of_every_s3_call_still_ends_exact(stack: Any) -> None:
    cloud = start(stack)
    for i in range(40):
        put(cloud, SRC, f"k{i:03d}", f"v{i}".encode())
    for i in range(10):
        put(cloud, DST, f"orphan{i:02d}", b"x")
    put(cloud, DST, "k000", b"stale")
    page = cloud.physical_id("BucketSyncPageFunction")
    with ExitStack() as faults:
        injected = [
            faults.enter_context(
                inject_fault(
                    cloud, "s3", operation, code="SlowDown", status=503, share=0.1, callers=page
                )
            )
            for operation in (
                "ListObjectsV2",
                "HeadObject",
                "CopyObject",
                "DeleteObjects",
                "PutObject",
                "GetObject",
            )
        ]
        execution = sync(cloud, {})
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    assert sum(f.injected for f in injected) > 5
    summary = execution["output"]
    assert (summary["failed"], summary["deleted"]) == (0, 10)
    assert summary["copied"] + summary["skipped"] == 40
    assert contents(cloud, DST) == contents(cloud, SRC)


def test_an_object_lock_source_into_an_unlocked_destination_is_refused(stack: Any) -> None:
    cloud = start(stack, BucketSyncSourceBuckets="locked-src")
    cloud.client("s3").create_bucket(Bucket="locked-src", ObjectLockEnabledForBucket=True)
    put(cloud, "locked-src", "record.pdf", b"kept for years")
    arn = cloud.start_execution(
        "BucketSyncStateMachine", {"source": "locked-src", "destination": DST}
    )
    cloud.wait_idle(timeout=120)
    execution = cloud.describe_execution(arn)
    assert (execution["status"], execution["error"]) == ("FAILED", "ObjectLockMismatchError")
    assert "Object Lock" in json.loads(execution["cause"])["errorMessage"]
    assert contents(cloud, DST) == {}


def test_a_listing_page_that_is_empty_but_truncated_does_not_end_the_sync(stack: Any) -> None:
    """ListObjectsV2's MaxKeys: "The response might contain fewer keys but will never contain
    more" — none at all, with IsTruncated still true: the sync follows the token."""
    cloud = start(stack, BucketSyncPageSize="10")
    for i in range(30):
        put(cloud, SRC, f"k{i:03d}", f"v{i}".encode())
    put(cloud, DST, "orphan", b"x")
    with short_pages(cloud, SRC, every=2) as short, short_pages(cloud, DST, every=2):
        execution = sync(cloud, {})
    assert short.shortened > 2
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    assert (execution["output"]["copied"], execution["output"]["deleted"]) == (30, 1)
    assert contents(cloud, DST) == contents(cloud, SRC)
