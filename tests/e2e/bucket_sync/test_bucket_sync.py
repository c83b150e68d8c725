"""S3 bucket sync end to end on the local cloud: exact, safe, unbounded."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.testing import inject_fault

SRC, DST = "staging-site", "production-site"
BASE = {
    "BucketSyncSourceBuckets": f"{SRC},other-src",
    "BucketSyncDestinationBuckets": f"{DST},{SRC}",
}
ODD_KEYS = [
    "with space.txt",
    "a+b.txt",
    "100%.txt",
    "hash#tag.txt",
    "what?.txt",
    "ünïcode/ファイル.txt",
    "/leading-slash.txt",
    "folder/",
    "empty.bin",
]


def start(stack: Any, **parameters: str) -> LocalCloud:
    cloud: LocalCloud = stack("EnableBucketSync", **{**BASE, **parameters})
    for bucket in (SRC, DST):
        cloud.client("s3").create_bucket(Bucket=bucket)
    return cloud


def put(cloud: LocalCloud, bucket: str, key: str, body: bytes, **extra: Any) -> None:
    cloud.client("s3").put_object(Bucket=bucket, Key=key, Body=body, **extra)


def contents(cloud: LocalCloud, bucket: str, prefix: str = "") -> dict[str, str]:
    s3 = cloud.client("s3")
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            found[item["Key"][len(prefix) :]] = hashlib.md5(body).hexdigest()  # noqa: S324 - content identity
    return found


def sync(cloud: LocalCloud, request: dict[str, Any]) -> dict[str, Any]:
    arn = cloud.start_execution(
        "BucketSyncStateMachine", {"source": SRC, "destination": DST, **request}
    )
    cloud.wait_idle(timeout=300)
    return cloud.describe_execution(arn)


def test_a_large_sync_with_every_kind_of_change_ends_exact(stack: Any) -> None:
    cloud = start(stack, BucketSyncPageSize="100")
    for i in range(260):  # three listing pages of 100
        put(cloud, SRC, f"site/page-{i:05d}.html", f"<p>{i}</p>".encode(), ContentType="text/html")
    for key in ODD_KEYS:
        put(cloud, SRC, key, b"" if key.endswith(("/", ".bin")) else key.encode())
    for i in range(0, 260, 2):  # half were synced before
        put(cloud, DST, f"site/page-{i:05d}.html", f"<p>{i}</p>".encode(), ContentType="text/html")
    for i in range(0, 10, 2):
        put(
            cloud, DST, f"site/page-{i:05d}.html", f"<p>{i}</p> but longer".encode()
        )  # size changed
    for i in range(10, 20, 2):
        put(
            cloud, DST, f"site/page-{i:05d}.html", f"<P>{i}</P>".encode()
        )  # same size, other content
    for i in range(30):
        put(cloud, DST, f"site/orphan-{i:04d}.html", b"gone")
    execution = sync(cloud, {})
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    summary = execution["output"]
    assert contents(cloud, DST) == contents(cloud, SRC)
    assert summary["copied"] == 130 + len(ODD_KEYS) + 10  # missing + changed (both kinds)
    assert summary["skipped"] == 130 - 10
    assert (summary["deleted"], summary["failed"]) == (30, 0)
    head = cloud.client("s3").head_object(Bucket=DST, Key="site/page-00001.html")
    assert head["ContentType"] == "text/html"


def test_a_second_run_copies_and_deletes_nothing(stack: Any) -> None:
    cloud = start(stack)
    for i in range(30):
        put(cloud, SRC, f"k{i}", f"v{i}".encode())
    put(cloud, DST, "orphan", b"x")
    assert sync(cloud, {})["output"]["copied"] == 30
    again = sync(cloud, {})["output"]
    assert (again["copied"], again["deleted"], again["skipped"]) == (0, 0, 30)


def test_prefix_mode_syncs_a_subtree_to_another_prefix(stack: Any) -> None:
    cloud = start(stack)
    for name in ("a.css", "b.js", "img/c.png"):
        put(cloud, SRC, f"assets/{name}", name.encode())
    put(cloud, SRC, "index.html", b"not in the subtree")
    put(cloud, DST, "static/old.css", b"orphan in the subtree")
    put(cloud, DST, "keep/me.txt", b"outside the subtree")
    execution = sync(cloud, {"prefix": "assets/", "destination_prefix": "static/"})
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    assert contents(cloud, DST, "static/") == contents(cloud, SRC, "assets/")
    assert "keep/me.txt" in contents(cloud, DST) and "index.html" not in contents(cloud, DST)


def test_dry_run_reports_the_full_plan_and_changes_nothing(stack: Any) -> None:
    cloud = start(stack)
    for i in range(12):
        put(cloud, SRC, f"k{i:02d}", b"new")
    for i in range(6):
        put(cloud, DST, f"k{i:02d}", b"old")  # same size, other content
    put(cloud, DST, "orphan", b"x")
    before = contents(cloud, DST)
    summary = sync(cloud, {"dry_run": True})["output"]
    assert contents(cloud, DST) == before
    assert (
        summary["would_copy"],
        summary["would_delete"],
        summary["copied"],
        summary["deleted"],
    ) == (12, 1, 0, 0)


def test_nothing_is_deleted_after_a_failed_copy(stack: Any) -> None:
    cloud = start(stack)
    put(cloud, SRC, "fine.txt", b"ok")
    put(cloud, SRC, "refused.txt", b"no")
    put(cloud, DST, "orphan.txt", b"x")
    # One of the two copies is refused (not retried: a 403), as a key policy or an SCP would.
    with inject_fault(cloud, "s3", "CopyObject", code="AccessDenied", status=403, count=1):
        execution = sync(cloud, {})
    assert (execution["status"], execution["error"]) == ("FAILED", "DeletionRefused")
    summary = json.loads(execution["cause"])
    assert summary["failed"] == 1 and summary["copied"] == 1
    assert "copies failed" in summary["deletes"]
    assert "orphan.txt" in contents(cloud, DST)


def test_an_empty_source_does_not_empty_the_destination_unless_max_delete_allows(
    stack: Any,
) -> None:
    cloud = start(stack)
    for i in range(5):
        put(cloud, DST, f"k{i}", b"x")
    refused = sync(cloud, {})
    assert (refused["status"], refused["error"]) == ("FAILED", "DeletionRefused")
    assert "source is empty" in json.loads(refused["cause"])["deletes"]
    assert len(contents(cloud, DST)) == 5
    allowed = sync(cloud, {"max_delete": "100%"})
    assert allowed["status"] == "SUCCEEDED" and allowed["output"]["deleted"] == 5
    assert contents(cloud, DST) == {}


def test_max_delete_aborts_before_deleting_anything(stack: Any) -> None:
    cloud = start(stack)
    put(cloud, SRC, "keep", b"x")
    for i in range(20):
        put(cloud, DST, f"old{i}", b"x")
    execution = sync(cloud, {"max_delete": 10})
    assert (execution["status"], execution["error"]) == ("FAILED", "DeletionRefused")
    assert len(contents(cloud, DST)) == 21  # the copy happened, no delete did


def test_a_sync_of_any_size_hands_over_to_fresh_executions(stack: Any) -> None:
    cloud = start(stack, BucketSyncPageSize="5", BucketSyncIterationsPerExecution="2")
    for i in range(47):
        put(cloud, SRC, f"k{i:03d}", f"v{i}".encode())
    for i in range(13):
        put(cloud, DST, f"z{i:03d}", b"orphan")
    execution = sync(cloud, {})
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    summary = execution["output"]
    assert (summary["copied"], summary["deleted"]) == (47, 13)
    assert summary["handovers"] >= 4  # 10 copy pages and 3 scan pages, 2 pages an execution
    assert contents(cloud, DST) == contents(cloud, SRC)
    pages = cloud.executions("BucketSyncPagesStateMachine")
    assert len(pages) >= 7 and all(p["status"] == "SUCCEEDED" for p in pages)
    assert max(len(p["history"]) for p in pages) < 60  # each execution's history stays short


def test_objects_above_the_threshold_are_copied_in_parts_and_not_again(stack: Any) -> None:
    cloud = start(stack, BucketSyncMultipartThresholdBytes=str(5 * 1024**2))
    s3 = cloud.client("s3")
    body = bytes(range(256)) * (12 * 4096)  # 12 MiB
    put(
        cloud,
        SRC,
        "big.bin",
        body,
        ContentType="application/octet-stream",
        Metadata={"owner": "data"},
    )
    put(cloud, SRC, "small.txt", b"small")
    first = sync(cloud, {})["output"]
    assert first["copied"] == 2
    head = s3.head_object(Bucket=DST, Key="big.bin")
    assert head["ETag"].strip('"').endswith("-1") or "-" in head["ETag"]  # made of parts
    assert head["ContentType"] == "application/octet-stream" and head["Metadata"]["owner"] == "data"
    assert s3.get_object(Bucket=DST, Key="big.bin")["Body"].read() == body
    assert sync(cloud, {})["output"]["copied"] == 0  # the recorded source ETag says: unchanged


def test_versioned_buckets_sync_the_current_version(stack: Any) -> None:
    cloud = start(stack)
    s3 = cloud.client("s3")
    s3.put_bucket_versioning(Bucket=SRC, VersioningConfiguration={"Status": "Enabled"})
    put(cloud, SRC, "doc.txt", b"first")
    put(cloud, SRC, "doc.txt", b"second, current")
    sync(cloud, {})
    assert s3.get_object(Bucket=DST, Key="doc.txt")["Body"].read() == b"second, current"


def test_tags_are_copied_when_asked(stack: Any) -> None:
    cloud = start(stack)
    put(cloud, SRC, "tagged.txt", b"x", Tagging="team=web&tier=gold")
    sync(cloud, {"copy_tags": True})
    tags = cloud.client("s3").get_object_tagging(Bucket=DST, Key="tagged.txt")["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "web", "tier": "gold"}


@pytest.mark.parametrize(
    ("request_body", "error"),
    [
        ({"source": "no-such-bucket"}, "BucketNotFoundError"),
        ({"source": "other-src"}, "BucketNotFoundError"),  # allowed but missing
        ({"destination": "not-allowed-dest"}, "BucketNotFoundError"),
        ({"destination": SRC}, "OverlappingBucketsError"),
        ({"compare": "sha256"}, "InvalidSyncRequestError"),
        ({"max_delete": "lots"}, "InvalidSyncRequestError"),
    ],
)
def test_bad_requests_fail_clearly_and_change_nothing(
    stack: Any, request_body: dict[str, Any], error: str
) -> None:
    cloud = start(stack)
    put(cloud, SRC, "k", b"x")
    execution = sync(cloud, request_body)
    assert (execution["status"], execution["error"]) == ("FAILED", error)
    assert contents(cloud, DST) == {}


def test_cross_region_needs_to_be_allowed(stack: Any) -> None:
    cloud = start(stack, BucketSyncDestinationBuckets="eu-dest")
    cloud.client("s3").create_bucket(
        Bucket="eu-dest", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    put(cloud, SRC, "k", b"x")
    refused = sync(cloud, {"destination": "eu-dest"})
    assert refused["error"] == "CrossRegionError"
    allowed = sync(cloud, {"destination": "eu-dest", "allow_cross_region": True})
    assert allowed["status"] == "SUCCEEDED" and allowed["output"]["copied"] == 1


def test_a_run_stopped_half_way_and_started_again_ends_exact(stack: Any) -> None:
    cloud = start(stack)
    for i in range(40):
        put(cloud, SRC, f"k{i:02d}", f"v{i}".encode())
    for i in range(0, 40, 3):  # what the stopped run had copied
        put(cloud, DST, f"k{i:02d}", f"v{i}".encode())
    put(cloud, DST, "orphan", b"x")
    # and the orphan list it had staged, under its own run id, which a new run ignores
    state = cloud.physical_id("BucketSyncStateBucket")
    put(cloud, state, "stopped-run/orphans/00000000.json", json.dumps(["k05"]).encode())
    execution = sync(cloud, {})
    assert execution["status"] == "SUCCEEDED"
    assert contents(cloud, DST) == contents(cloud, SRC)


def test_the_optional_schedule_starts_the_configured_sync(stack: Any) -> None:
    request = {"source": SRC, "destination": DST, "delete": False}
    cloud = start(
        stack, BucketSyncSchedule="rate(1 hour)", BucketSyncScheduleInput=json.dumps(request)
    )
    put(cloud, SRC, "k", b"x")
    cloud.fire_schedule("BucketSyncStateMachine")
    cloud.wait_idle(timeout=120)
    [execution] = cloud.executions("BucketSyncStateMachine")
    assert execution["status"] == "SUCCEEDED" and execution["output"]["copied"] == 1
    rule = cloud.client("events").describe_rule(
        Name=cloud.physical_id("BucketSyncStateMachinePeriodic")
    )
    assert (rule["State"], rule["ScheduleExpression"]) == ("ENABLED", "rate(1 hour)")


def test_without_a_schedule_the_rule_is_disabled(stack: Any) -> None:
    cloud = start(stack)
    rule = cloud.client("events").describe_rule(
        Name=cloud.physical_id("BucketSyncStateMachinePeriodic")
    )
    assert rule["State"] == "DISABLED"


def test_a_run_really_stopped_mid_copy_and_started_again_ends_exact(stack: Any) -> None:
    import time

    cloud = start(stack, BucketSyncPageSize="5")
    for i in range(100):
        put(cloud, SRC, f"k{i:04d}", f"v{i}".encode())
    for i in range(20):
        put(cloud, DST, f"orphan{i:02d}", b"x")
    sfn = cloud.client("stepfunctions")
    first = cloud.start_execution("BucketSyncStateMachine", {"source": SRC, "destination": DST})
    deadline = time.monotonic() + 60
    while len(contents(cloud, DST)) < 40 and time.monotonic() < deadline:  # some pages copied
        time.sleep(0.05)
    for execution in [
        first,
        *(
            e["executionArn"]
            for e in sfn.list_executions(
                stateMachineArn=cloud.physical_id("BucketSyncPagesStateMachine"),
                statusFilter="RUNNING",
            )["executions"]
        ),
    ]:
        sfn.stop_execution(executionArn=execution, error="Stopped", cause="the operator stopped it")
    cloud.wait_idle(timeout=120)
    halfway = contents(cloud, DST)
    assert 20 < len(halfway) < 120 and cloud.describe_execution(first)["status"] == "ABORTED"
    again = sync(cloud, {})
    assert again["status"] == "SUCCEEDED", again["cause"]
    assert contents(cloud, DST) == contents(cloud, SRC)


def test_buckets_under_customer_managed_kms_keys_sync_with_iam_enforced(stack: Any) -> None:
    # S3 decrypts a source object and encrypts its copy with the caller's KMS permissions
    # (kms:Decrypt on the source key, kms:GenerateDataKey on the destination's), so the page
    # function needs both, through S3, or every copy is AccessDenied on a real account.
    cloud = start(stack)
    kms, s3 = cloud.client("kms"), cloud.client("s3")
    source_key = kms.create_key(Description="staging")["KeyMetadata"]["Arn"]
    destination_key = kms.create_key(Description="production")["KeyMetadata"]["Arn"]
    s3.put_bucket_encryption(
        Bucket=DST,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": destination_key,
                    }
                }
            ]
        },
    )
    for i in range(3):
        put(
            cloud,
            SRC,
            f"secret-{i}.txt",
            f"s{i}".encode(),
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=source_key,
        )
    execution = sync(cloud, {})
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    assert contents(cloud, DST) == contents(cloud, SRC)
    copy = s3.head_object(Bucket=DST, Key="secret-0.txt")
    assert (copy["ServerSideEncryption"], copy["SSEKMSKeyId"]) == ("aws:kms", destination_key)
    assert cloud.iam.denials == []
