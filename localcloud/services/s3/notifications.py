"""S3's events to EventBridge, for buckets whose notification configuration turns them on.

S3 User Guide, "Using EventBridge" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/
EventBridge.html): "Amazon S3 can send events to Amazon EventBridge whenever certain events
happen in your bucket. Unlike other destinations, you don't need to select which event types
you want to deliver. After EventBridge is enabled, all events below are sent to EventBridge."
Their shape is that of "EventBridge event message structure" (https://docs.aws.amazon.com/
AmazonS3/latest/userguide/ev-events.html): `source` aws.s3, `resources` the bucket's ARN,
and a `detail` of `version` "0", `bucket.name`, `object` (`key`, `size`, `etag`, `version-id`,
`sequencer`), `request-id`, `requester` ("AWS account ID or AWS service principal of
requester"), `source-ip-address` ("Only present for events triggered by an S3 request"),
`reason` and, for deletes, `deletion-type`.

moto sends its own version of these to every rule of every bus, synchronously, with `eTag`
for `etag`, a fixed sequencer, request id, requester and address, and `reason`
"ObjectCreated"; it announces no delete marker, and announces a CompleteMultipartUpload twice
(as a Put, then as itself). Its sender is silenced here and the events are sent where the
object is stored or removed, to the default bus, through `service_events`.
"""

from __future__ import annotations

import itertools
import logging
import threading
from datetime import UTC, datetime
from typing import Any

from localcloud.core import Core
from localcloud.services.events import service_events
from localcloud.services.s3 import requests

LOG = logging.getLogger("localcloud.s3")
SOURCE = "aws.s3"
S3_ITSELF = "s3.amazonaws.com"  # the requester of what S3 does by itself (a restore, expiry)
# The documentation's delete-marker examples give the marker this etag: the MD5 of nothing.
EMPTY_ETAG = "d41d8cd98f00b204e9800998ecf8427e"
PERMANENTLY_DELETED = "Permanently Deleted"
DELETE_MARKER_CREATED = "Delete Marker Created"


class Sequencer:
    """S3's `sequencer`: "a way to determine the sequence of events" for a key, compared as
    strings. Here: the clock's milliseconds and a counter, 18 upper-case hex digits (as in
    AWS's "0064D3901D00059242"), so that later events of a key always compare greater."""

    def __init__(self, core: Core) -> None:
        self._core = core
        self._count = itertools.count()
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            millis = int(self._core.clock.wall() * 1000)
            return f"{millis:011X}{next(self._count) % 0x10000000:07X}"


def enabled(bucket: Any) -> bool:
    """Whether the bucket sends its events to EventBridge (EventBridgeConfiguration set)."""
    configuration = getattr(bucket, "notification_configuration", None)
    return configuration is not None and configuration.event_bridge is not None


def versioned_id(key: Any) -> str | None:
    """The object's version id, if its bucket versions it (moto says "null" otherwise).

    The documentation's examples are of versioned buckets; for an unversioned object (whose
    version id is null) the field is left out, as events AWS sends for such buckets show."""
    version = getattr(key, "_version_id", None)
    return None if version in (None, "null") else str(version)


def object_fields(
    key: Any, sequencer: Sequencer | None, *, size: bool = True, etag: bool = True
) -> dict[str, Any]:
    fields: dict[str, Any] = {"key": key.name}
    if size:
        fields["size"] = key.size
    if etag:
        fields["etag"] = str(key.etag).strip('"')
    version = versioned_id(key)
    if version is not None:
        fields["version-id"] = version
    if sequencer is not None:
        fields["sequencer"] = sequencer.next()
    return fields


def request_fields(core: Core, by_s3: bool = False) -> dict[str, Any]:
    """`request-id`, `requester` and `source-ip-address` of the request being answered; S3
    itself (`s3.amazonaws.com`, no address) for what it does on its own."""
    request = None if by_s3 else requests.current()
    if request is None:
        return {"request-id": requests.new_request_id(), "requester": S3_ITSELF}
    # Every principal of the local cloud is in its one account.
    return {
        "request-id": request.request_id,
        "requester": core.account_id,
        "source-ip-address": request.source_ip,
    }


def send(core: Core, bucket: Any, detail_type: str, detail: dict[str, Any]) -> None:
    if not enabled(bucket):
        return
    service_events.send(
        core,
        source=SOURCE,
        detail_type=detail_type,
        detail={"version": "0", "bucket": {"name": bucket.name}, **detail},
        region=bucket.region_name,
        resources=[f"arn:aws:s3:::{bucket.name}"],
    )


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Notifier:
    """What S3 announces, as EventBridge events (and, for restores, to moto's other
    destinations: SQS, SNS and Lambda configurations)."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.sequencer = Sequencer(core)

    def created(self, bucket: Any, key: Any, reason: str) -> None:
        """Object Created: "The reason field in the event message structure indicates which S3
        API was used to create the object: PutObject, POST Object, CopyObject, or
        CompleteMultipartUpload." """
        detail = {
            "object": object_fields(key, self.sequencer),
            **request_fields(self.core),
            "reason": reason,
        }
        send(self.core, bucket, "Object Created", detail)

    def deleted(self, bucket: Any, fields: dict[str, Any], deletion_type: str) -> None:
        """Object Deleted: "When an object is deleted using an S3 API call, the reason field is
        set to DeleteObject ... When an unversioned object is deleted, or a versioned object
        is permanently deleted, the deletion-type field is set to Permanently Deleted. When a
        delete marker is created for a versioned object, the deletion-type field is set to
        Delete Marker Created." """
        detail = {
            "object": {**fields, "sequencer": self.sequencer.next()},
            **request_fields(self.core),
            "reason": "DeleteObject",
            "deletion-type": deletion_type,
        }
        send(self.core, bucket, "Object Deleted", detail)

    def restore(
        self,
        bucket: Any,
        key: Any,
        detail_type: str,
        *,
        source_storage_class: str | None = None,
        expiry: float | None = None,
        moto_event: Any = None,
    ) -> None:
        """Object Restore Initiated (by the caller's request), Completed or Expired (by S3
        itself): "restore-expiry-time — For Object Restore Completed events, the time when the
        temporary copy of the object will be deleted from S3"; "source-storage-class — For
        Object Restore Initiated and Object Restore Completed events, the storage class of
        the object being restored"."""
        initiated = detail_type == "Object Restore Initiated"
        detail: dict[str, Any] = {
            "object": object_fields(key, None, size=detail_type != "Object Restore Expired"),
            **request_fields(self.core, by_s3=not initiated),
        }
        if expiry is not None:
            detail["restore-expiry-time"] = iso(expiry)
        if source_storage_class is not None:
            detail["source-storage-class"] = source_storage_class
        send(self.core, bucket, detail_type, detail)
        if moto_event is not None:
            from moto.s3 import notifications

            notifications.send_event(self.core.account_id, moto_event, bucket, key)

    def access_tier_changed(self, bucket: Any, key: Any, tier: str) -> None:
        """Object Access Tier Changed: "An object was transitioned to the S3
        Intelligent-Tiering Archive Access tier or Deep Archive Access tier"; its
        "destination-access-tier" is "the new access tier of the object"."""
        detail = {
            "object": object_fields(key, self.sequencer),
            **request_fields(self.core, by_s3=True),
            "destination-access-tier": tier,
        }
        send(self.core, bucket, "Object Access Tier Changed", detail)


def install_hooks(core: Core, notifier: Notifier) -> None:
    from moto.s3 import notifications
    from moto.s3.models import FakeDeleteMarker, FakeKey, S3Backend

    hooks = core.hooks

    def not_moto_s(*_: Any, **__: Any) -> None:
        """moto's EventBridge message: replaced by the events sent below."""

    hooks.replace(notifications, "_send_event_bridge_message", not_moto_s)

    # GetBucketNotificationConfiguration answers `<EventBridgeConfiguration></EventBridge
    # Configuration>` for a bucket that has it ("EventBridgeConfiguration: Enables delivery of
    # events to Amazon EventBridge", API Reference, GetBucketNotificationConfiguration); moto
    # leaves it out, so a reader could not tell that the bucket's events go to EventBridge.
    from moto.s3.responses import S3Response

    get_notification = hooks.original(S3Response, "get_bucket_notification")

    def get_bucket_notification(self: Any) -> Any:
        answer = get_notification(self)
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if configuration is None or configuration.event_bridge is None:
            return answer
        status, headers, body = answer
        text = body.decode() if isinstance(body, bytes) else str(body)
        element = "<EventBridgeConfiguration></EventBridgeConfiguration>"
        if "</NotificationConfiguration>" in text:
            text = text.replace(
                "</NotificationConfiguration>", element + "</NotificationConfiguration>"
            )
        else:  # moto's empty answer for a configuration without other destinations
            text = (
                '<?xml version="1.0" encoding="UTF-8"?><NotificationConfiguration '
                'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"{element}</NotificationConfiguration>"
            )
        headers = {k: v for k, v in dict(headers).items() if k.lower() != "content-length"}
        return status, headers, text.encode()

    hooks.replace(S3Response, "get_bucket_notification", get_bucket_notification)

    put_object = hooks.original(S3Backend, "put_object")

    def put_object_announced(self: Any, bucket_name: str, *args: Any, **kwargs: Any) -> Any:
        request = requests.current()
        if request is not None and request.completing:
            # CompleteMultipartUpload stores its object through PutObject's path, and moto
            # announced it twice (as a Put, then as the upload's completion).
            kwargs["disable_notification"] = True
        key = put_object(self, bucket_name, *args, **kwargs)
        if not kwargs.get("disable_notification"):
            reason = "POST Object" if kwargs.get("request_method") == "POST" else "PutObject"
            notifier.created(self.get_bucket(bucket_name), key, reason)
        return key

    hooks.replace(S3Backend, "put_object", put_object_announced)

    copy_object = hooks.original(S3Backend, "copy_object")

    def copy_object_announced(
        self: Any, src_key: Any, dest_bucket_name: str, dest_key_name: str, **kwargs: Any
    ) -> None:
        copy_object(self, src_key, dest_bucket_name, dest_key_name, **kwargs)
        copy = self.get_object(dest_bucket_name, dest_key_name)
        notifier.created(self.get_bucket(dest_bucket_name), copy, "CopyObject")

    hooks.replace(S3Backend, "copy_object", copy_object_announced)

    complete = hooks.original(S3Backend, "complete_multipart_upload")

    def complete_announced(self: Any, bucket_name: str, *args: Any, **kwargs: Any) -> Any:
        request = requests.current()
        if request is not None:
            request.completing = True
        try:
            key = complete(self, bucket_name, *args, **kwargs)
        finally:
            if request is not None:
                request.completing = False
        if key is not None:
            notifier.created(self.get_bucket(bucket_name), key, "CompleteMultipartUpload")
        return key

    hooks.replace(S3Backend, "complete_multipart_upload", complete_announced)

    delete_object = hooks.original(S3Backend, "delete_object")

    def delete_object_announced(
        self: Any,
        bucket_name: str,
        key_name: str,
        version_id: str | None = None,
        bypass: bool = False,
    ) -> Any:
        bucket = self.get_bucket(bucket_name)
        versions = list(bucket.keys.getlist(key_name, []))
        deleted, meta = delete_object(
            self, bucket_name, key_name, version_id=version_id, bypass=bypass
        )
        if not deleted or not enabled(bucket):
            return deleted, meta
        if version_id is None and bucket.is_versioned:
            marker = bucket.keys.get(key_name)
            fields: dict[str, Any] = {"key": key_name, "etag": EMPTY_ETAG}
            if isinstance(marker, FakeDeleteMarker):
                fields["version-id"] = marker.version_id
            notifier.deleted(bucket, fields, DELETE_MARKER_CREATED)
            return deleted, meta
        # A permanent deletion: the object of an unversioned bucket, or the version named.
        removed = [
            v for v in versions if version_id is None or str(v.version_id) == str(version_id)
        ]
        fields = {"key": key_name}
        if version_id is not None:
            fields["version-id"] = version_id
        elif removed and isinstance(removed[-1], FakeKey):
            version = versioned_id(removed[-1])
            if version is not None:
                fields["version-id"] = version
        notifier.deleted(bucket, fields, PERMANENTLY_DELETED)
        return deleted, meta

    hooks.replace(S3Backend, "delete_object", delete_object_announced)
