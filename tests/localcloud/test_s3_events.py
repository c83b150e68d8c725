"""S3 sends its events to EventBridge, as the S3 User Guide documents them.

"Amazon S3 can send events to Amazon EventBridge whenever certain events happen in your
bucket. Unlike other destinations, you don't need to select which event types you want to
deliver. After EventBridge is enabled, all events below are sent to EventBridge."
(S3 User Guide, "Using EventBridge", https://docs.aws.amazon.com/AmazonS3/latest/userguide/
EventBridge.html). The shapes are those of "EventBridge event message structure"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from localcloud import LocalCloud, testing
from tests.support.paths import LOCALCLOUD_TEMPLATES as TEMPLATES

BUCKET = "event-drop"


@pytest.fixture
def s3(cloud: LocalCloud) -> Any:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    return s3


def _events(cloud: LocalCloud, detail_type: str | None = None) -> list[dict[str, Any]]:
    cloud.wait_idle()
    return [e for e in testing.service_events(cloud, detail_type) if e["source"] == "aws.s3"]


def test_put_object_sends_object_created_in_the_documented_shape(
    cloud: LocalCloud, s3: Any
) -> None:
    # The documentation's "Object created" example: detail {"version": "0", "bucket": {"name":
    # ...}, "object": {"key", "size", "etag", "version-id", "sequencer"}, "request-id",
    # "requester", "source-ip-address", "reason": "PutObject"}; "requester — AWS account ID or
    # AWS service principal of requester"; "request-id — Request ID in S3 response".
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    put = s3.put_object(Bucket=BUCKET, Key="example-key", Body=b"hello")

    [event] = _events(cloud, "Object Created")

    assert event["source"] == "aws.s3"
    assert event["account"] == cloud.account_id
    assert event["region"] == cloud.stack().region
    assert event["resources"] == [f"arn:aws:s3:::{BUCKET}"]
    detail = event["detail"]
    assert list(detail) == [
        "version",
        "bucket",
        "object",
        "request-id",
        "requester",
        "source-ip-address",
        "reason",
    ]
    assert detail["version"] == "0"
    assert detail["bucket"] == {"name": BUCKET}
    assert list(detail["object"]) == ["key", "size", "etag", "version-id", "sequencer"]
    assert detail["object"]["key"] == "example-key"
    assert detail["object"]["size"] == 5
    assert detail["object"]["etag"] == put["ETag"].strip('"')
    assert detail["object"]["version-id"] == put["VersionId"]
    assert detail["request-id"] == put["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
    assert detail["requester"] == cloud.account_id
    assert detail["source-ip-address"] == "127.0.0.1"
    assert detail["reason"] == "PutObject"


def test_each_way_of_creating_an_object_is_its_reason_once(cloud: LocalCloud, s3: Any) -> None:
    # "The reason field in the event message structure indicates which S3 API was used to
    # create the object: PutObject, POST Object, CopyObject, or CompleteMultipartUpload."
    s3.put_object(Bucket=BUCKET, Key="a", Body=b"a")
    s3.copy_object(Bucket=BUCKET, Key="b", CopySource=f"{BUCKET}/a")
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="c")["UploadId"]
    part = s3.upload_part(Bucket=BUCKET, Key="c", UploadId=upload, PartNumber=1, Body=b"c")
    s3.complete_multipart_upload(
        Bucket=BUCKET,
        Key="c",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )

    created = _events(cloud, "Object Created")

    # One event each: moto announced a completed upload twice (as a Put, then as itself).
    assert [(e["detail"]["object"]["key"], e["detail"]["reason"]) for e in created] == [
        ("a", "PutObject"),
        ("b", "CopyObject"),
        ("c", "CompleteMultipartUpload"),
    ]
    # An unversioned object has no version id to report.
    assert all("version-id" not in e["detail"]["object"] for e in created)


def test_deleting_objects_sends_object_deleted_with_its_deletion_type(
    cloud: LocalCloud, s3: Any
) -> None:
    # "When an object is deleted using an S3 API call, the reason field is set to
    # DeleteObject ... When an unversioned object is deleted, or a versioned object is
    # permanently deleted, the deletion-type field is set to Permanently Deleted. When a
    # delete marker is created for a versioned object, the deletion-type field is set to
    # Delete Marker Created." The documentation's "Object deleted (using DeleteObject)"
    # example, a delete marker, has no size and the etag "d41d8cd98f00b204e9800998ecf8427e".
    s3.put_object(Bucket=BUCKET, Key="plain", Body=b"x")
    s3.delete_object(Bucket=BUCKET, Key="plain")
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=BUCKET, Key="kept", Body=b"v1")["VersionId"]
    marker = s3.delete_object(Bucket=BUCKET, Key="kept")
    assert marker["DeleteMarker"] is True
    s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "kept", "VersionId": version}]})

    deleted = [e["detail"] for e in _events(cloud, "Object Deleted")]

    assert [(d["object"]["key"], d["reason"], d["deletion-type"]) for d in deleted] == [
        ("plain", "DeleteObject", "Permanently Deleted"),
        ("kept", "DeleteObject", "Delete Marker Created"),
        ("kept", "DeleteObject", "Permanently Deleted"),  # DeleteObjects: one event per key
    ]
    assert all("size" not in d["object"] for d in deleted)
    assert deleted[1]["object"]["etag"] == hashlib.md5(b"").hexdigest()  # noqa: S324
    assert deleted[1]["object"]["version-id"] == marker["VersionId"]
    assert deleted[2]["object"]["version-id"] == version


def test_sequencers_of_a_keys_events_increase(cloud: LocalCloud, s3: Any) -> None:
    # "sequencer": S3's Event message structure says it "provides a way to determine the
    # sequence of events" (compared as strings), and the EventBridge examples carry it.
    for body in (b"1", b"2", b"3"):
        s3.put_object(Bucket=BUCKET, Key="k", Body=body)
    s3.delete_object(Bucket=BUCKET, Key="k")

    sequencers = [e["detail"]["object"]["sequencer"] for e in _events(cloud)]

    assert len(sequencers) == 4
    assert sequencers == sorted(sequencers)
    assert len(set(sequencers)) == 4


def test_a_bucket_without_eventbridge_sends_nothing(cloud: LocalCloud) -> None:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="quiet-bucket")
    s3.put_object(Bucket="quiet-bucket", Key="k", Body=b"x")
    s3.delete_object(Bucket="quiet-bucket", Key="k")

    assert _events(cloud) == []


def test_the_rule_of_a_template_receives_a_plain_put_object_with_no_put_events(
    cloud_factory: Any,
) -> None:
    # CloudFormation's AWS::S3::Bucket EventBridgeConfiguration: "Unlike other destinations,
    # delivery of events to EventBridge can be either enabled or disabled for a bucket. If
    # enabled, all events will be sent to EventBridge and you can use EventBridge rules to
    # route events to additional targets."
    cloud = cloud_factory(template=TEMPLATES / "s3_eventbridge.yaml")
    s3 = cloud.client("s3")
    drop, quiet = cloud.physical_id("DropBucket"), cloud.physical_id("QuietBucket")
    queue = cloud.physical_id("CreatedQueue")

    s3.put_object(Bucket=drop, Key="in/report.csv", Body=b"id,total\n")
    s3.put_object(Bucket=quiet, Key="in/report.csv", Body=b"id,total\n")  # no EventBridge
    s3.delete_object(Bucket=drop, Key="in/report.csv")  # not what the rule matches
    cloud.wait_idle()

    [delivered] = testing.drain(cloud, queue)
    assert delivered["source"] == "aws.s3"
    assert delivered["detail-type"] == "Object Created"
    assert delivered["detail"]["bucket"] == {"name": drop}
    assert delivered["detail"]["object"]["key"] == "in/report.csv"
    assert delivered["detail"]["reason"] == "PutObject"
