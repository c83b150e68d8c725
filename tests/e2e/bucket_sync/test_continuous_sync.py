"""Continuous mode end to end: S3's own EventBridge events -> rule -> queue -> function."""

from __future__ import annotations

import json
from typing import Any

from localcloud import LocalCloud
from localcloud.testing import service_events
from tests.e2e.bucket_sync.test_bucket_sync import DST, SRC, contents, put

PAIRS = f"{SRC}/site/={DST}/live/"


def continuous(stack: Any, **parameters: str) -> LocalCloud:
    cloud: LocalCloud = stack(
        "EnableBucketSync",
        BucketSyncSourceBuckets=SRC,
        BucketSyncDestinationBuckets=DST,
        BucketSyncContinuousPairs=PAIRS,
        **parameters,
    )
    s3 = cloud.client("s3")
    for bucket in (SRC, DST):
        s3.create_bucket(Bucket=bucket)
    # What the README says to do: S3 sends a bucket's events to EventBridge once this is on.
    s3.put_bucket_notification_configuration(
        Bucket=SRC, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    return cloud


def settle(cloud: LocalCloud) -> None:
    cloud.wait_idle(timeout=120)


def test_puts_overwrites_and_deletes_are_mirrored_under_the_mapped_prefix(stack: Any) -> None:
    cloud = continuous(stack)
    put(cloud, SRC, "site/index.html", b"<h1>v1</h1>", ContentType="text/html")
    put(cloud, SRC, "site/about.html", b"about")
    put(cloud, SRC, "elsewhere/not-paired.txt", b"x")  # outside the pair's prefix
    settle(cloud)
    assert contents(cloud, DST, "live/") == contents(cloud, SRC, "site/")
    assert set(contents(cloud, DST)) == {"live/index.html", "live/about.html"}
    put(cloud, SRC, "site/index.html", b"<h1>v2</h1>", ContentType="text/html")
    cloud.client("s3").delete_object(Bucket=SRC, Key="site/about.html")
    settle(cloud)
    assert contents(cloud, DST, "live/") == contents(cloud, SRC, "site/")
    head = cloud.client("s3").head_object(Bucket=DST, Key="live/index.html")
    assert head["ContentType"] == "text/html"
    assert not cloud.async_failures


def _queue_url(cloud: LocalCloud) -> str:
    return cloud.physical_id("BucketSyncEventQueue")


def test_a_duplicated_event_and_a_stale_object_created_change_nothing(stack: Any) -> None:
    cloud = continuous(stack)
    put(cloud, SRC, "site/page.html", b"first")
    settle(cloud)
    [created] = [
        e
        for e in service_events(cloud, "Object Created")
        if e["detail"]["object"]["key"] == "site/page.html"
    ]
    sqs = cloud.client("sqs")
    sqs.send_message(QueueUrl=_queue_url(cloud), MessageBody=json.dumps(created))  # delivered twice
    settle(cloud)
    assert contents(cloud, DST, "live/") == contents(cloud, SRC, "site/")
    cloud.client("s3").delete_object(Bucket=SRC, Key="site/page.html")
    settle(cloud)
    assert contents(cloud, DST) == {}
    # The old "Object Created" arrives late, after the delete: the source decides, not the event.
    sqs.send_message(QueueUrl=_queue_url(cloud), MessageBody=json.dumps(created))
    settle(cloud)
    assert contents(cloud, DST) == {}
    assert not cloud.async_failures


def test_an_excluded_key_is_not_mirrored(stack: Any) -> None:
    cloud = continuous(stack, BucketSyncContinuousOptions=json.dumps({"exclude": ["*.tmp"]}))
    put(cloud, SRC, "site/draft.tmp", b"draft")
    put(cloud, SRC, "site/final.html", b"final")
    settle(cloud)
    assert set(contents(cloud, DST)) == {"live/final.html"}


def test_a_message_that_is_no_s3_event_ends_on_the_dead_letter_queue(stack: Any) -> None:
    cloud = continuous(stack)
    cloud.client("sqs").send_message(QueueUrl=_queue_url(cloud), MessageBody='{"not": "s3"}')
    for _ in range(6):  # each receive fails; the fifth moves it (maxReceiveCount 5)
        settle(cloud)
        cloud.clock.sleep(721)  # past the visibility timeout
    settle(cloud)
    dead = (
        cloud.client("sqs")
        .receive_message(
            QueueUrl=cloud.physical_id("BucketSyncEventDeadLetterQueue"), MaxNumberOfMessages=10
        )
        .get("Messages", [])
    )
    assert [m["Body"] for m in dead] == ['{"not": "s3"}']
    assert contents(cloud, DST) == {}


def test_the_full_sync_says_how_to_turn_on_the_events_a_continuous_pair_needs(stack: Any) -> None:
    cloud = continuous(stack)
    s3 = cloud.client("s3")
    s3.put_bucket_notification_configuration(Bucket=SRC, NotificationConfiguration={})
    put(cloud, SRC, "site/a.txt", b"a")
    request = {"source": SRC, "destination": DST, "prefix": "site/", "destination_prefix": "live/"}
    arn = cloud.start_execution("BucketSyncStateMachine", request)
    cloud.wait_idle(timeout=120)
    summary = cloud.describe_execution(arn)["output"]
    assert "put-bucket-notification-configuration --bucket staging-site" in summary["continuous"]
    s3.put_bucket_notification_configuration(
        Bucket=SRC, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    arn = cloud.start_execution("BucketSyncStateMachine", request)
    cloud.wait_idle(timeout=120)
    assert cloud.describe_execution(arn)["output"]["continuous"] == ""


def test_a_large_object_goes_to_the_full_syncs_multipart_copy_once(stack: Any) -> None:
    cloud = continuous(stack, BucketSyncMultipartThresholdBytes=str(5 * 1024**2))
    body = bytes(range(256)) * (6 * 1024**2 // 256)  # 6 MiB: above the threshold
    put(cloud, SRC, "site/video.bin", body)
    settle(cloud)
    [run] = cloud.executions("BucketSyncStateMachine")
    assert run["status"] == "SUCCEEDED", run["cause"]
    assert run["name"].startswith("continuous-")
    assert contents(cloud, DST, "live/") == contents(cloud, SRC, "site/")
    # The same event again starts nothing: the execution is named by key and ETag.
    [created] = [
        e
        for e in service_events(cloud, "Object Created")
        if e["detail"]["object"]["key"] == "site/video.bin"
    ]
    cloud.client("sqs").send_message(QueueUrl=_queue_url(cloud), MessageBody=json.dumps(created))
    settle(cloud)
    assert len(cloud.executions("BucketSyncStateMachine")) == 1


def test_objects_under_a_customer_managed_key_are_mirrored_with_iam_enforced(stack: Any) -> None:
    cloud = continuous(stack)
    key = cloud.client("kms").create_key(Description="staging")["KeyMetadata"]["Arn"]
    put(
        cloud,
        SRC,
        "site/secret.txt",
        b"classified",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key,
    )
    settle(cloud)
    assert contents(cloud, DST, "live/") == contents(cloud, SRC, "site/")
    assert cloud.iam.denials == []
