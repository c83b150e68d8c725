"""Archived objects: the Intelligent-Tiering archive tiers, and RestoreObject on the clock.

"Amazon S3 objects in the following storage classes or tiers are archived and are not
accessible in real time: The S3 Glacier Flexible Retrieval storage class, The S3 Glacier Deep
Archive storage class, The S3 Intelligent-Tiering Archive Access tier, The S3
Intelligent-Tiering Deep Archive Access tier" (S3 User Guide, "Restoring an archived
object", https://docs.aws.amazon.com/AmazonS3/latest/userguide/restoring-objects.html).

moto knows the two storage classes but not Intelligent-Tiering's tiers (S3 moves an object
there by itself after months without access: `set_access_tier`, for tests, does it at once),
and it restores at once. Here a restore takes its tier's time on the local cloud's clock
(`core.timers`; the clock is never moved): HeadObject's `Restore` is `ongoing-request="true"`
until then, and `ongoing-request="false", expiry-date="…"` after (a listing's RestoreStatus,
`restore_status`, says the same: listing.py); the restored copy is removed at its expiry
date. A GetObject or CopyObject of an archived object that is not restored fails as the API
Reference says (moto checks the two storage classes against the `Restore` header
given here; the tiers are checked here).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from localcloud.core import Core
from localcloud.services.s3.notifications import Notifier

LOG = logging.getLogger("localcloud.s3")

RESTORE = "_localcloud_restore"  # the restore state kept on moto's FakeKey
ACCESS_TIER = "_localcloud_access_tier"  # an Intelligent-Tiering object's archive tier
ARCHIVE_TIERS = ("ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS")

_MINUTE, _HOUR = 60, 3600
# "Understanding archive retrieval options" (S3 User Guide, https://docs.aws.amazon.com/
# AmazonS3/latest/userguide/restoring-objects-retrieval-options.html):
#   S3 Glacier Flexible Retrieval or S3 Intelligent-Tiering Archive Access:
#       Expedited 1-5 minutes, Standard 3-5 hours, Bulk 5-12 hours
#   S3 Glacier Deep Archive or S3 Intelligent-Tiering Deep Archive Access:
#       Expedited "Not available", Standard "Within 12 hours", Bulk "Within 48 hours"
# A restore here takes the upper end of its documented range: what an automation that waits
# for a restore must be ready to wait (the typical worst case), never less than AWS may take.
_FLEXIBLE = {"Expedited": 5 * _MINUTE, "Standard": 5 * _HOUR, "Bulk": 12 * _HOUR}
_DEEP = {"Standard": 12 * _HOUR, "Bulk": 48 * _HOUR}
DURATIONS: dict[str, dict[str, int]] = {
    "GLACIER": _FLEXIBLE,
    "ARCHIVE_ACCESS": _FLEXIBLE,
    "DEEP_ARCHIVE": _DEEP,
    "DEEP_ARCHIVE_ACCESS": _DEEP,
}
_SPEED = {"Expedited": 0, "Standard": 1, "Bulk": 2}  # lower is faster
DEFAULT_TIER = "Standard"  # "Standard is the default option for retrieval requests that do
# not specify the retrieval option" (same page)


@dataclass
class Restore:
    tier: str
    archive: str  # GLACIER, DEEP_ARCHIVE, or the Intelligent-Tiering tier it is leaving
    days: int | None
    requested: float  # wall seconds of the request
    ongoing: bool = True
    ready: float = 0.0  # wall seconds when the restored copy is (or will be) available
    expiry: float | None = None
    generation: int = 0  # a newer request (an upgrade, an extension) outdates older timers


def archive_of(key: Any) -> str | None:
    """The archive an object is in (its storage class or Intelligent-Tiering tier), if any."""
    tier = getattr(key, ACCESS_TIER, None)
    if tier:
        return str(tier)
    storage = key.storage_class
    return str(storage) if storage in ("GLACIER", "DEEP_ARCHIVE") else None


def expiry_date(start: float, days: int) -> float:
    """ "Amazon S3 calculates the expiry date by adding the number of days that you specify to
    the time you request to restore the object, and then rounding to the next day at midnight
    UTC. This calculation applies to the initial restoration of the object and to any
    extensions to availability that you request." (S3 User Guide, "Restoring an archived
    object": "if an object was restored on Oct 15, 2012 10:30 AM UTC, and the number of days
    that you specified is 3, the object is available until Oct 19, 2012 00:00 UTC".)

    The days of an initial restore count from when the copy is restored, as in that example
    (RestoreObject's Days is the "Lifetime of the active copy in days"): counted from the
    request, a 48-hour Bulk restore for one day would expire before it is available. An
    extension counts from its request."""
    moment = datetime.fromtimestamp(start, UTC) + timedelta(days=days)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight + timedelta(days=1)).timestamp()


def http_date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


def restore_header(key: Any) -> str | None:
    """HeadObject's Restore: "If an archive copy is already restored, the header value
    indicates when Amazon S3 is scheduled to delete the object copy. For example:
    x-amz-restore: ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT" If
    the object restoration is in progress, the header returns the value
    ongoing-request="true"." (S3 API Reference, HeadObject)"""
    state: Restore | None = getattr(key, RESTORE, None)
    if state is None:
        return None
    if state.ongoing:
        return 'ongoing-request="true"'
    if state.expiry is None:
        return 'ongoing-request="false"'
    return f'ongoing-request="false", expiry-date="{http_date(state.expiry)}"'


def restore_status(key: Any) -> dict[str, Any] | None:
    """A listing's RestoreStatus, from the same restore state as HeadObject's Restore:
    IsRestoreInProgress "If the object restoration is in progress, the header returns the value
    TRUE ... If the object restoration has completed, the header returns the value FALSE ...
    If the object hasn't been restored, there is no header response."; RestoreExpiryDate
    "Indicates when the restored copy will expire. This value is populated only if the object
    has already been restored." (S3 API Reference, RestoreStatus)"""
    state: Restore | None = getattr(key, RESTORE, None)
    if state is None:
        return None
    status: dict[str, Any] = {"IsRestoreInProgress": state.ongoing}
    if not state.ongoing and state.expiry is not None:
        status["RestoreExpiryDate"] = datetime.fromtimestamp(state.expiry, UTC)
    return status


class Archive:
    def __init__(self, core: Core, notifier: Notifier) -> None:
        self.core = core
        self.notifier = notifier
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ RestoreObject

    def restore(
        self, backend: Any, bucket_name: str, key: Any, days: int | None, tier: str | None
    ) -> int:
        """Start, speed up or extend a restore; the HTTP status RestoreObject answers."""
        from moto.s3.exceptions import InvalidArgumentError
        from moto.s3.notifications import S3NotificationEvent

        archive = archive_of(key)
        if archive is None:
            raise ObjectAlreadyInActiveTierError()
        tier = tier or DEFAULT_TIER
        if tier not in DURATIONS[archive]:
            # The retrieval options page says Expedited is "Not available" for Deep Archive
            # and its Intelligent-Tiering tier; it names no error code. InvalidArgument is
            # S3's answer to a request value it does not accept.
            raise InvalidArgumentError(
                f"{tier} retrieval is not available for objects in {archive}", "Tier", tier
            )
        bucket = backend.get_bucket(bucket_name)
        now = self.core.clock.wall()
        with self._lock:
            state: Restore | None = getattr(key, RESTORE, None)
            if state is not None and state.ongoing:
                if _SPEED[tier] >= _SPEED[state.tier]:
                    # "Code: RestoreAlreadyInProgress Cause: Object restore is already in
                    # progress. HTTP Status Code: 409 Conflict" (API Reference,
                    # RestoreObject); "You cannot slow down an in-progress restore."
                    raise RestoreAlreadyInProgress()
                # "A restore speed upgrade overrides an in-progress restore with a faster
                # restore tier." (retrieval options page)
                state.tier = tier
                state.generation += 1
                self._schedule_completion(bucket, key, state)
                return 202
            if state is not None:
                # "If the object is previously restored, Amazon S3 returns 200 OK"; a new
                # request for a restored copy extends (or shortens) its availability.
                if days is not None and state.expiry is not None:
                    state.expiry = expiry_date(now, days)
                    state.generation += 1
                    self._schedule_expiry(bucket, key, state)
                return 200
            state = Restore(
                tier=tier,
                archive=archive,
                days=None if archive in ARCHIVE_TIERS else days,
                requested=now,
            )
            setattr(key, RESTORE, state)
            self._schedule_completion(bucket, key, state)
        self.notifier.restore(
            bucket,
            key,
            "Object Restore Initiated",
            source_storage_class=key.storage_class,
            moto_event=S3NotificationEvent.OBJECT_RESTORE_POST_EVENT,
        )
        return 202  # "If the object is not previously restored, then Amazon S3 returns 202"

    def _schedule_completion(self, bucket: Any, key: Any, state: Restore) -> None:
        generation, seconds = state.generation, DURATIONS[state.archive][state.tier]
        state.ready = self.core.clock.wall() + seconds
        self.core.timers.after(seconds, lambda: self._complete(bucket, key, state, generation))

    def _complete(self, bucket: Any, key: Any, state: Restore, generation: int) -> None:
        from moto.s3.notifications import S3NotificationEvent

        with self._lock:
            if getattr(key, RESTORE, None) is not state or state.generation != generation:
                return  # outdated by a faster tier
            state.ongoing = False
            if state.archive in ARCHIVE_TIERS:
                # "To access objects in the S3 Intelligent-Tiering Archive Access and Deep
                # Archive Access tiers, you must initiate a restore request and wait until the
                # object is moved into the Frequent Access tier" (restoring-objects): it is
                # no longer archived, and has no restored copy to expire. (What HeadObject's
                # Restore then says is not documented; it says the restore is over.)
                setattr(key, ACCESS_TIER, None)
            elif state.days is not None:
                state.expiry = expiry_date(state.ready, state.days)
                self._schedule_expiry(bucket, key, state)
        self.notifier.restore(
            bucket,
            key,
            "Object Restore Completed",
            source_storage_class=key.storage_class,
            expiry=state.expiry,
            moto_event=S3NotificationEvent.OBJECT_RESTORE_COMPLETED_EVENT,
        )

    def _schedule_expiry(self, bucket: Any, key: Any, state: Restore) -> None:
        if state.expiry is None:
            return
        generation = state.generation
        self.core.timers.after(
            state.expiry - self.core.clock.wall(),
            lambda: self._expire(bucket, key, state, generation),
        )

    def _expire(self, bucket: Any, key: Any, state: Restore, generation: int) -> None:
        """ "Object Restore Expired: The temporary copy of an object restored from S3 Glacier
        or S3 Glacier Deep Archive expired and was deleted." (Using EventBridge)"""
        from moto.s3.notifications import S3NotificationEvent

        with self._lock:
            if getattr(key, RESTORE, None) is not state or state.generation != generation:
                return  # extended since
            setattr(key, RESTORE, None)
        self.notifier.restore(
            bucket,
            key,
            "Object Restore Expired",
            moto_event=S3NotificationEvent.OBJECT_RESTORE_DELETE_EVENT,
        )

    # ------------------------------------------------------------------ Intelligent-Tiering

    def set_access_tier(self, account_id: str, bucket_name: str, key_name: str, tier: str) -> None:
        """Move an Intelligent-Tiering object to an archive tier, as S3 does by itself after
        the days without access its bucket's configuration names."""
        from moto.s3.models import s3_backends

        if tier not in ARCHIVE_TIERS:
            raise ValueError(f"tier must be one of {ARCHIVE_TIERS}, not {tier!r}")
        backend = s3_backends[account_id]["aws"]
        key = backend.get_object(bucket_name, key_name)
        if key is None:
            raise KeyError(f"no object {key_name!r} in bucket {bucket_name!r}")
        if key.storage_class != "INTELLIGENT_TIERING":
            raise ValueError(
                f"{bucket_name}/{key_name} is {key.storage_class}: only an INTELLIGENT_TIERING "
                "object has access tiers"
            )
        with self._lock:
            setattr(key, ACCESS_TIER, tier)
            setattr(key, RESTORE, None)
        self.notifier.access_tier_changed(backend.get_bucket(bucket_name), key, tier)


def _errors() -> tuple[type[Exception], type[Exception]]:
    from moto.s3.exceptions import S3ClientError

    class AlreadyInActiveTier(S3ClientError):
        # "ObjectAlreadyInActiveTierError: This action is not allowed against this storage
        # tier." (API Reference, RestoreObject's errors; HTTP 403 in its model)
        code = "ObjectAlreadyInActiveTierError"

        def __init__(self) -> None:
            super().__init__("This action is not allowed against this storage tier.")

    class AlreadyInProgress(S3ClientError):
        code = "RestoreAlreadyInProgress"

        def __init__(self) -> None:
            super().__init__("Object restore is already in progress")

    return AlreadyInActiveTier, AlreadyInProgress


ObjectAlreadyInActiveTierError, RestoreAlreadyInProgress = _errors()


def _error_response(code: str, message: str, status: int, request_id: str) -> Any:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{request_id}</RequestId></Error>"
    )
    return status, {"content-type": "application/xml"}, body


def install_hooks(core: Core, archive: Archive) -> None:
    import xmltodict  # type: ignore[import-untyped]  # moto's dependency, without stubs
    from moto.s3.exceptions import InvalidObjectState, MissingKey, ObjectNotInActiveTierError
    from moto.s3.models import FakeKey, S3Backend
    from moto.s3.responses import S3Response

    from localcloud.services.s3 import requests

    hooks = core.hooks

    response_dict = hooks.original(FakeKey, "response_dict")  # a property

    def response_dict_with_the_archive(self: Any) -> dict[str, Any]:
        headers: dict[str, Any] = response_dict.fget(self)
        headers.pop("x-amz-restore", None)  # moto's, of a restore it finished at once
        restore = restore_header(self)
        if restore is not None:
            headers["x-amz-restore"] = restore
        tier = getattr(self, ACCESS_TIER, None)
        if tier:
            # HeadObject's ArchiveStatus: "The archive state of the head object."
            headers["x-amz-archive-status"] = tier
        return headers

    hooks.replace(FakeKey, "response_dict", property(response_dict_with_the_archive))

    get_key = hooks.original(S3Response, "_get_key")

    def get_key_unless_archived(self: Any, validate_storage_class: bool = True) -> Any:
        key, not_modified = get_key(self, validate_storage_class)
        tier = getattr(key, ACCESS_TIER, None)
        if validate_storage_class and tier:
            # "If the object you are retrieving is stored in ... the S3 Intelligent-Tiering
            # Archive Access tier, or the S3 Intelligent-Tiering Deep Archive Access tier,
            # before you can retrieve the object you must first restore a copy using
            # RestoreObject. Otherwise, this operation returns an InvalidObjectState error."
            error: Any = InvalidObjectState(storage_class=key.storage_class)
            error.access_tier = tier  # serialized as the error's AccessTier
            raise error
        return key, not_modified

    hooks.replace(S3Response, "_get_key", get_key_unless_archived)

    copy_object = hooks.original(S3Backend, "copy_object")

    def copy_object_unless_archived(
        self: Any, src_key: Any, dest_bucket_name: str, dest_key_name: str, **kwargs: Any
    ) -> None:
        if getattr(src_key, ACCESS_TIER, None):
            # moto refuses GLACIER and DEEP_ARCHIVE sources that are not restored itself.
            raise ObjectNotInActiveTierError(src_key)
        copy_object(self, src_key, dest_bucket_name, dest_key_name, **kwargs)

    hooks.replace(S3Backend, "copy_object", copy_object_unless_archived)

    post = hooks.original(S3Response, "_key_response_post")

    def post_restoring_on_the_clock(
        self: Any, request: Any, body: bytes, bucket_name: str, query: Any, key_name: str
    ) -> Any:
        if "restore" not in query:
            return post(self, request, body, bucket_name, query, key_name)
        version = (query.get("versionId") or [None])[0]
        key = self.backend.get_object(bucket_name, key_name, version_id=version)
        if key is None:
            raise MissingKey(key=key_name)
        params = (xmltodict.parse(body) if body else {}).get("RestoreRequest") or {}
        days = params.get("Days")
        tier = (params.get("GlacierJobParameters") or {}).get("Tier") or params.get("Tier")
        try:
            status = archive.restore(
                self.backend, bucket_name, key, int(days) if days else None, tier
            )
        except RestoreAlreadyInProgress as exc:
            # Not in botocore's model, so moto would answer it with a 400: S3 answers 409.
            current = requests.current()
            return _error_response(
                "RestoreAlreadyInProgress",
                str(getattr(exc, "message", exc)),
                409,
                current.request_id if current else requests.new_request_id(),
            )
        return status, {}, ""

    hooks.replace(S3Response, "_key_response_post", post_restoring_on_the_clock)
