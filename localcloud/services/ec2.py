"""Amazon EC2 (EBS snapshots) as moto emulates it, corrected where AWS documents otherwise.

moto completes every snapshot and copy at once, sends no event, has no copy quota, no snapshot
locks, and archives and restores at once. Here, each as the EBS User Guide or the EC2 API
Reference says (the tests in tests/localcloud/test_ec2_snapshots.py quote them):

- **Snapshots take time.** CreateSnapshot, CreateSnapshots and CopySnapshot answer with a
  `pending` snapshot (progress 0%) that becomes `completed` (100%) once its time has passed on
  the local cloud's clock (`Ec2Snapshots.create_seconds`, `copy_seconds`; set them with
  `localcloud.testing.snapshot_timings`). The timers never move the clock.
- **Completion notifications**, as "Amazon EventBridge events for Amazon EBS"
  (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html) shows them:
  "EBS Snapshot Notification" `createSnapshot` / `copySnapshot` (`succeeded` or `failed`), and
  "EBS Multi-Volume Snapshots Completion Status" `createSnapshots` for a multi-volume set (one
  event for the set: the page lists it as its own event and says nothing of per-snapshot
  ones). ARNs have the forms of the page's examples that events/ebs_snapshots follows:
  `arn:aws:ec2:<region>::snapshot/…` in createSnapshot and copySnapshot, `arn:aws:ec2::<region>:
  snapshot/…` in createSnapshots. (A later revision of the page writes the second form in
  every example and adds `transferType` to copySnapshot; Steward reads both forms.)
- **A copy whose KMS key cannot be used** (disabled, pending deletion or import, gone) ends in
  `error` with a StateMessage and a failed copySnapshot notification; copies beyond the
  quota of concurrent snapshot copies per destination Region (20) fail with
  ResourceLimitExceeded.
- **Snapshot locks** (LockSnapshot, UnlockSnapshot, DescribeLockedSnapshots, which moto does
  not have): governance and compliance modes, the cooling-off period and the lock's duration
  or expiry date on the clock, and the refusals (a locked snapshot cannot be deleted, a
  compliance lock past its cooling-off period can only be extended).
- **Archive tier**: an archived snapshot cannot be copied until restored; RestoreSnapshotTier
  takes `restore_seconds`, and a temporary restore is archived again when its days are over.
- `set_snapshot_start_time`: a snapshot made earlier (a test's history): started then, and
  completed, its notification long sent.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from localcloud.core import Core, MotoChangedError
from localcloud.services.events import service_events

LOG = logging.getLogger("localcloud.ec2")
SERVICE = "ec2"
SOURCE = "aws.ec2"
SNAPSHOT_NOTIFICATION = "EBS Snapshot Notification"
MULTI_VOLUME_COMPLETION = "EBS Multi-Volume Snapshots Completion Status"

# Nominal seconds on the local cloud's clock. On AWS a snapshot takes minutes to hours (and the
# pages found give no duration for a restore from the archive tier); these
# are short so that a test (and `aws ec2 create-snapshot` against `steward local up`) sees the
# notification soon, and long enough that a test's setup can date a snapshot in the past
# before it completes by itself (see `set_snapshot_start_time`).
CREATE_SECONDS = 5.0
COPY_SECONDS = 180.0
RESTORE_SECONDS = 6 * 3600.0
# "Concurrent snapshot copies per destination Region: 20" (Quotas for Amazon EBS,
# https://docs.aws.amazon.com/ebs/latest/userguide/ebs-resource-quotas.html; not adjustable
# through Service Quotas).
COPY_QUOTA = 20

# "ResourceLimitExceeded: You have exceeded an Amazon EC2 resource limit. For example, you might
# have too many snapshot copies in progress." (Error codes for the Amazon EC2 API,
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). The page gives
# the code and that description, not the message EC2 sends, so the description is the message.
COPY_LIMIT_MESSAGE = (
    "You have exceeded an Amazon EC2 resource limit. For example, you might have too many "
    "snapshot copies in progress."
)


def _iso(moment: float) -> str:
    """The examples' `yyyy-mm-ddThh:mm:ssZ`."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _naive_utc(moment: float) -> datetime:
    # As moto keeps its times: naive UTC, whole seconds (as the API shows StartTime).
    return datetime.fromtimestamp(int(moment), UTC).replace(tzinfo=None)


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def snapshot_arn(region: str, snapshot_id: str) -> str:
    """createSnapshot's and copySnapshot's form: the region in the region field."""
    return f"arn:aws:ec2:{region}::snapshot/{snapshot_id}"


def volume_arn(region: str, volume_id: str) -> str:
    return f"arn:aws:ec2:{region}::volume/{volume_id}"


def multi_volume_arn(region: str, kind: str, resource_id: str) -> str:
    """createSnapshots' form: the region in the account field (`arn:aws:ec2::us-east-1:…`)."""
    return f"arn:aws:ec2::{region}:{kind}/{resource_id}"


class Ec2Error(Exception):
    """Raised inside a hook; turned into moto's EC2 error (the query protocol's XML)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


@dataclass
class Lock:
    """One snapshot's lock, its times in epoch seconds on the local cloud's clock."""

    mode: str  # governance | compliance
    created: float
    duration_days: int | None = None
    expiration: float | None = None  # from ExpirationDate, or start + duration once started
    cool_off_hours: int | None = None
    cool_off_expires: float | None = None
    duration_start: float | None = None  # None while the snapshot is pending

    def state(self, now: float) -> str:
        if self.expiration is not None and now >= self.expiration:
            return "expired"
        if self.mode == "governance":
            return "governance"
        if self.cool_off_expires is not None and now < self.cool_off_expires:
            return "compliance-cooloff"
        return "compliance"

    def info(self, snapshot_id: str, owner: str, now: float) -> dict[str, Any]:
        def when(moment: float | None) -> datetime | None:
            return None if moment is None else datetime.fromtimestamp(moment, UTC)

        fields: dict[str, Any] = {
            "OwnerId": owner,
            "SnapshotId": snapshot_id,
            "LockState": self.state(now),
            "LockDuration": self.duration_days,
            "CoolOffPeriod": self.cool_off_hours,
            "CoolOffPeriodExpiresOn": when(self.cool_off_expires),
            "LockCreatedOn": when(self.created),
            "LockDurationStartTime": when(self.duration_start),
            "LockExpiresOn": when(self.expiration),
        }
        return {k: v for k, v in fields.items() if v is not None}


@dataclass
class _Pending:
    """A snapshot (or copy) that completes when its timer fires, unless it no longer waits."""

    token: int
    kind: str  # create | copy | set
    group: tuple[str, ...] = ()  # a multi-volume set: every snapshot of it
    source_region: str = ""
    source_snapshot: str = ""
    kms_key: str | None = None


@dataclass
class Ec2Snapshots:
    core: Core
    create_seconds: float = CREATE_SECONDS
    copy_seconds: float = COPY_SECONDS
    restore_seconds: float = RESTORE_SECONDS
    copy_quota: int = COPY_QUOTA
    pending: dict[tuple[str, str], _Pending] = field(default_factory=dict)
    locks: dict[tuple[str, str], Lock] = field(default_factory=dict)
    _tokens: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # ------------------------------------------------------------------ moto's store

    def backend(self, region: str) -> Any:
        from moto.ec2.models import ec2_backends

        return ec2_backends[self.core.account_id][region]

    def snapshot(self, region: str, snapshot_id: str) -> Any:
        snapshots = self.backend(region).snapshots
        if snapshot_id not in snapshots:
            raise Ec2Error(
                "InvalidSnapshot.NotFound", f"The snapshot '{snapshot_id}' does not exist."
            )
        return snapshots[snapshot_id]

    def copies_in_progress(self, region: str) -> int:
        with self._lock:
            return sum(1 for (r, _), p in self.pending.items() if r == region and p.kind == "copy")

    # ------------------------------------------------------------------ pending → completed

    def _begin(self, region: str, snapshot: Any, pending: _Pending) -> None:
        snapshot.status = "pending"
        snapshot.start_time = _naive_utc(self.core.clock.wall())
        with self._lock:
            self.pending[(region, snapshot.id)] = pending

    def _still_pending(self, region: str, snapshot_id: str, token: int) -> bool:
        with self._lock:
            waiting = self.pending.get((region, snapshot_id))
            if waiting is None or waiting.token != token:
                return False  # completed already (dated in the past) or deleted
            del self.pending[(region, snapshot_id)]
            return True

    def _completed(self, region: str, snapshot: Any) -> None:
        snapshot.status = "completed"
        now = self.core.clock.wall()
        lock = self.locks.get((region, snapshot.id))
        if lock is not None and lock.duration_start is None and lock.duration_days is not None:
            # "If you lock a snapshot that is in the pending state, the lock duration starts
            # only once the snapshot enters the completed state." (LockedSnapshotsInfo)
            lock.duration_start = now
            lock.expiration = now + lock.duration_days * 86400

    def created(self, region: str, snapshot: Any) -> None:
        pending = _Pending(next(self._tokens), "create")
        self._begin(region, snapshot, pending)
        self.core.timers.after(
            self.create_seconds, lambda: self._finish_create(region, snapshot.id, pending.token)
        )

    def _finish_create(self, region: str, snapshot_id: str, token: int) -> None:
        if not self._still_pending(region, snapshot_id, token):
            return
        snapshot = self.backend(region).snapshots.get(snapshot_id)
        if snapshot is None:
            return
        self._completed(region, snapshot)
        arn = snapshot_arn(region, snapshot_id)
        service_events.send(
            self.core,
            source=SOURCE,
            detail_type=SNAPSHOT_NOTIFICATION,
            region=region,
            resources=[arn],
            detail={
                "event": "createSnapshot",
                "result": "succeeded",
                "cause": "",
                "request-id": "",
                "snapshot_id": arn,
                "source": volume_arn(region, snapshot.volume.id),
                "startTime": _iso(_epoch(snapshot.start_time)),
                "endTime": _iso(self.core.clock.wall()),
            },
        )

    def created_set(self, region: str, snapshots: list[Any]) -> None:
        ids = tuple(s.id for s in snapshots)
        token = next(self._tokens)
        for snapshot in snapshots:
            self._begin(region, snapshot, _Pending(token, "set", group=ids))
        started = self.core.clock.wall()
        self.core.timers.after(
            self.create_seconds, lambda: self._finish_set(region, ids, token, started)
        )

    def _finish_set(self, region: str, ids: tuple[str, ...], token: int, started: float) -> None:
        done = [i for i in ids if self._still_pending(region, i, token)]
        store = self.backend(region).snapshots
        snapshots = [store[i] for i in done if i in store]
        if not snapshots:
            return
        for snapshot in snapshots:
            self._completed(region, snapshot)
        service_events.send(
            self.core,
            source=SOURCE,
            detail_type=MULTI_VOLUME_COMPLETION,
            region=region,
            resources=[multi_volume_arn(region, "snapshot", s.id) for s in snapshots],
            detail={
                "event": "createSnapshots",
                "result": "succeeded",
                "cause": "",
                "request-id": "",
                "startTime": _iso(started),
                "endTime": _iso(self.core.clock.wall()),
                "snapshots": [
                    {
                        "snapshot_id": multi_volume_arn(region, "snapshot", s.id),
                        "source": multi_volume_arn(region, "volume", s.volume.id),
                        "status": "completed",
                    }
                    for s in snapshots
                ],
            },
        )

    def copying(
        self,
        region: str,
        copy: Any,
        *,
        source_region: str,
        source_snapshot: str,
        kms_key: str | None,
    ) -> None:
        pending = _Pending(
            next(self._tokens),
            "copy",
            source_region=source_region,
            source_snapshot=source_snapshot,
            kms_key=kms_key,
        )
        self._begin(region, copy, pending)
        self.core.timers.after(
            self.copy_seconds, lambda: self._finish_copy(region, copy.id, pending)
        )

    def _finish_copy(self, region: str, copy_id: str, pending: _Pending) -> None:
        if not self._still_pending(region, copy_id, pending.token):
            return
        copy = self.backend(region).snapshots.get(copy_id)
        if copy is None:
            return
        arn = snapshot_arn(region, copy_id)
        detail: dict[str, Any] = {
            "event": "copySnapshot",
            "result": "succeeded",
            "cause": "",
            "request-id": "",
            "snapshot_id": arn,
            "source": snapshot_arn(pending.source_region, pending.source_snapshot),
            "startTime": _iso(_epoch(copy.start_time)),
            "endTime": _iso(self.core.clock.wall()),
        }
        problem = self.key_problem(region, pending.kms_key) if pending.kms_key else None
        if problem:
            copy.status = "error"
            copy.state_message = problem
            # The failed example has no Incremental field.
            detail |= {"result": "failed", "cause": problem}
        else:
            incremental = self._has_earlier_copy(region, copy)
            self._completed(region, copy)
            detail["Incremental"] = "true" if incremental else "false"
        # "If you are copying the snapshot across Regions, then the event is emitted in the
        # destination Region."
        service_events.send(
            self.core,
            source=SOURCE,
            detail_type=SNAPSHOT_NOTIFICATION,
            region=region,
            resources=[arn],
            detail=detail,
        )

    def _has_earlier_copy(self, region: str, copy: Any) -> bool:
        # "The first snapshot copy to another Region is always a full copy. For unencrypted
        # snapshots, each subsequent snapshot copy of the same volume is incremental [...] In
        # the case of encrypted snapshots, you must encrypt to the same CMK that was used for
        # previous copies to get incremental copies." (EC2 User Guide, "Incremental copying
        # across Regions", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ebs-copy-snapshot.html)
        return any(
            s is not copy
            and s.status == "completed"
            and s.volume is copy.volume
            and (s.encrypted, s.kms_key_id) == (copy.encrypted, copy.kms_key_id)
            for s in list(self.backend(region).snapshots.values())
        )

    def key_problem(self, region: str, key: str) -> str | None:
        """Why EBS cannot use the key for a copy, in the words of the page's failed
        createVolume examples ("<key ARN> is disabled.", "… is pending import.", "… is pending
        deletion."); None if it can."""
        kms = self.core.clients("kms", key.split(":")[3] if key.startswith("arn:") else region)
        try:
            metadata = kms.describe_key(KeyId=key)["KeyMetadata"]
        except kms.exceptions.NotFoundException:
            # The page shows no example for a key that does not exist; the same wording.
            return f"{key} does not exist."
        words = {
            "Disabled": "is disabled",
            "PendingDeletion": "is pending deletion",
            "PendingImport": "is pending import",
            "Unavailable": "is unavailable",
        }.get(str(metadata.get("KeyState")))
        return f"{metadata['Arn']} {words}." if words else None

    # ------------------------------------------------------------------ testing

    def date_back(self, region: str, snapshot_id: str, started: datetime) -> None:
        snapshot = self.backend(region).snapshots.get(snapshot_id)
        if snapshot is None:
            raise KeyError(f"no snapshot {snapshot_id} in {region}")
        moment = started if started.tzinfo else started.replace(tzinfo=UTC)
        snapshot.start_time = moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)
        with self._lock:
            waiting = self.pending.pop((region, snapshot_id), None)
        if waiting is not None:
            self._completed(region, snapshot)

    def archived_back(self, region: str, snapshot_id: str, archived: datetime) -> None:
        """In the archive tier since `archived` (SnapshotTierStatus.ArchivalCompleteTime: "The
        date and time when the last archive process was completed.")."""
        snapshot = self.backend(region).snapshots.get(snapshot_id)
        if snapshot is None:
            raise KeyError(f"no snapshot {snapshot_id} in {region}")
        moment = archived if archived.tzinfo else archived.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)
        snapshot.storage_tier = "archive"
        snapshot.last_tiering_start_time = moment
        snapshot.last_tiering_progress = 100
        snapshot.last_tiering_operation_status = "archival-completed"
        snapshot.archival_complete_time = moment
        snapshot.restore_expiry_time = None

    # ------------------------------------------------------------------ locks

    def lock(self, region: str, snapshot_id: str, params: dict[str, Any]) -> dict[str, Any]:
        snapshot = self.snapshot(region, snapshot_id)
        mode = str(params.get("LockMode") or "")
        if mode not in ("governance", "compliance"):
            raise Ec2Error("InvalidParameterValue", f"Invalid value '{mode}' for LockMode.")
        duration, expiration = params.get("LockDuration"), params.get("ExpirationDate")
        cool_off = params.get("CoolOffPeriod")
        if (duration is None) == (expiration is None):
            # LockDuration: "You must specify either this parameter or ExpirationDate, but
            # not both."
            raise Ec2Error(
                "InvalidParameterCombination",
                "You must specify either LockDuration or ExpirationDate, but not both.",
            )
        if mode == "governance" and cool_off is not None:
            # CoolOffPeriod: "If you are locking the snapshot in governance mode, omit this
            # parameter."
            raise Ec2Error(
                "InvalidParameterCombination",
                "CoolOffPeriod can be specified only for a lock in compliance mode.",
            )
        if duration is not None and not 1 <= int(duration) <= 36500:
            raise Ec2Error("InvalidParameterValue", "LockDuration must be between 1 and 36500.")
        if cool_off is not None and not 1 <= int(cool_off) <= 72:
            raise Ec2Error("InvalidParameterValue", "CoolOffPeriod must be between 1 and 72.")
        now = self.core.clock.wall()
        until = None if expiration is None else _epoch(_as_datetime(expiration))
        if until is not None and until <= now:
            raise Ec2Error("InvalidParameterValue", "ExpirationDate must be in the future.")
        with self._lock:
            existing = self.locks.get((region, snapshot_id))
            state = existing.state(now) if existing else "unlocked"
            if existing is not None and state == "compliance":
                self._extend_only(existing, mode, duration, until, cool_off, now)
            started = snapshot.status == "completed"
            lock = Lock(
                mode=mode,
                created=now,
                duration_days=None if duration is None else int(duration),
                cool_off_hours=None if cool_off is None else int(cool_off),
            )
            if existing is not None and state != "expired":
                # A lock modified: it was created, and its duration started, when it was first
                # set (LockedSnapshotsInfo's lockCreatedOn and lockDurationStartTime).
                lock.created = existing.created
                lock.duration_start = existing.duration_start
            if lock.cool_off_hours is not None:
                lock.cool_off_expires = now + lock.cool_off_hours * 3600
            if until is not None:
                lock.expiration = until
            elif started:
                lock.duration_start = lock.duration_start or now
                assert lock.duration_days is not None
                lock.expiration = lock.duration_start + lock.duration_days * 86400
            self.locks[(region, snapshot_id)] = lock
            return {k: v for k, v in lock.info(snapshot_id, "", now).items() if k != "OwnerId"}

    def _extend_only(
        self,
        existing: Lock,
        mode: str,
        duration: Any,
        until: float | None,
        cool_off: Any,
        now: float,
    ) -> None:
        # "If the snapshot is locked in compliance mode and the cooling-off period has lapsed,
        # you can only increase the lock duration or extend the lock expiration date."
        # (LockSnapshot)
        if mode != "compliance":
            raise Ec2Error(
                "InvalidParameterCombination",
                "The lock mode of a snapshot locked in compliance mode can't be changed after "
                "its cooling-off period.",
            )
        if cool_off is not None:
            # "If you specify a cooling-period in a such a request, the request fails."
            raise Ec2Error(
                "InvalidParameterCombination",
                "CoolOffPeriod can't be specified to extend a compliance lock after its "
                "cooling-off period.",
            )
        current = existing.expiration
        start = existing.duration_start if existing.duration_start is not None else now
        wanted = until if until is not None else start + int(duration) * 86400
        if current is not None and wanted < current:
            raise Ec2Error(
                "InvalidParameterValue",
                "The lock duration of a snapshot locked in compliance mode can only be "
                "increased after its cooling-off period.",
            )

    def unlock(self, region: str, snapshot_id: str) -> None:
        self.snapshot(region, snapshot_id)
        now = self.core.clock.wall()
        with self._lock:
            existing = self.locks.get((region, snapshot_id))
            state = existing.state(now) if existing else "unlocked"
            if existing is None or state == "expired":
                raise Ec2Error(
                    "InvalidParameterValue", f"The snapshot '{snapshot_id}' is not locked."
                )
            if state == "compliance":
                # "compliance - The snapshot is locked in compliance mode and the cooling-off
                # period has expired. The snapshot can't be unlocked or deleted."
                raise Ec2Error(
                    "InvalidParameterValue",
                    f"The snapshot '{snapshot_id}' is locked in compliance mode and its "
                    "cooling-off period has expired: it can't be unlocked.",
                )
            del self.locks[(region, snapshot_id)]

    def refuse_if_locked(self, region: str, snapshot_id: str) -> None:
        with self._lock:
            existing = self.locks.get((region, snapshot_id))
        if existing is not None and existing.state(self.core.clock.wall()) != "expired":
            # "A locked snapshot can't be deleted." (LockSnapshot). The EC2 API Reference
            # names no error code for it; this one says what happened.
            raise Ec2Error(
                "SnapshotLocked", f"The snapshot '{snapshot_id}' is locked and can't be deleted."
            )

    def locked(
        self, region: str, snapshot_ids: list[str], states: list[str]
    ) -> list[dict[str, Any]]:
        now = self.core.clock.wall()
        owner = self.core.account_id
        with self._lock:
            found = [
                lock.info(snapshot_id, owner, now)
                for (r, snapshot_id), lock in sorted(self.locks.items())
                if r == region and (not snapshot_ids or snapshot_id in snapshot_ids)
            ]
        return [i for i in found if not states or i["LockState"] in states]

    # ------------------------------------------------------------------ archive tier

    def refuse_if_archived(self, region: str, snapshot_id: str) -> None:
        snapshot = self.snapshot(region, snapshot_id)
        if snapshot.storage_tier == "archive":
            # Snapshot.StorageTier: "archive indicates that the snapshot is currently archived
            # and that it must be restored before it can be used." The API Reference names no
            # error code for using one; IncorrectState is EC2's "The resource is in an
            # incorrect state for the request."
            raise Ec2Error(
                "IncorrectState",
                f"The snapshot '{snapshot_id}' is in the archive tier: restore it first.",
            )

    def restoring(
        self, region: str, snapshot: Any, temporary_days: int | None, permanent: bool
    ) -> None:
        temporarily_restored = snapshot.restore_expiry_time is not None
        if snapshot.storage_tier != "archive" and not temporarily_restored:
            raise Ec2Error(
                "IncorrectState", f"The snapshot '{snapshot.id}' is not in the archive tier."
            )
        if not permanent and not temporary_days:
            raise Ec2Error(
                "InvalidParameterCombination",
                "Specify TemporaryRestoreDays for a temporary restore, or PermanentRestore.",
            )
        now = self.core.clock.wall()
        token = next(self._tokens)
        snapshot.restore_start_time = _naive_utc(now)
        kind = "permanent" if permanent else "temporary"
        snapshot.last_tiering_operation_status = f"{kind}-restore-in-progress"
        snapshot.last_tiering_start_time = _naive_utc(now)
        snapshot.last_tiering_progress = 0
        snapshot._localcloud_restore = token
        if snapshot.storage_tier != "archive":
            # "[...] or modifies the restore period or restore type for a snapshot that was
            # previously temporarily restored" (RestoreSnapshotTier): nothing to bring back.
            self._restored(region, snapshot.id, token, temporary_days, permanent)
            return
        self.core.timers.after(
            self.restore_seconds,
            lambda: self._restored(region, snapshot.id, token, temporary_days, permanent),
        )

    def _restored(
        self, region: str, snapshot_id: str, token: int, days: int | None, permanent: bool
    ) -> None:
        snapshot = self.backend(region).snapshots.get(snapshot_id)
        if snapshot is None or getattr(snapshot, "_localcloud_restore", None) != token:
            return
        now = self.core.clock.wall()
        snapshot.storage_tier = "standard"
        snapshot.last_tiering_progress = 100
        if permanent:
            snapshot.last_tiering_operation_status = "permanent-restore-completed"
            snapshot.restore_expiry_time = None
            return
        snapshot.last_tiering_operation_status = "temporary-restore-completed"
        expiry = now + int(days or 1) * 86400
        snapshot.restore_expiry_time = _naive_utc(expiry)
        # TemporaryRestoreDays: "The snapshot will be automatically re-archived after this
        # period."
        self.core.timers.after(expiry - now, lambda: self._rearchive(region, snapshot_id, token))

    def _rearchive(self, region: str, snapshot_id: str, token: int) -> None:
        snapshot = self.backend(region).snapshots.get(snapshot_id)
        if snapshot is None or getattr(snapshot, "_localcloud_restore", None) != token:
            return
        snapshot.storage_tier = "archive"
        snapshot.restore_expiry_time = None
        snapshot.last_tiering_operation_status = "archival-completed"


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    text = str(value).replace("Z", "+00:00")
    return datetime.fromisoformat(text)


# ---------------------------------------------------------------------- hooks


def install(core: Core) -> Ec2Snapshots:
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.elastic_block_store import EBSBackend, Snapshot
    from moto.ec2.responses import EC2Response
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    state = Ec2Snapshots(core)
    core.services[SERVICE] = state
    hooks = core.hooks

    def raising_ec2(fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Ec2Error as error:
                raise EC2ClientError(error.code, error.message) from None

        run.__name__ = fn.__name__
        return run

    original_progress = hooks.original(Snapshot, "progress")
    assert isinstance(original_progress, property)

    def progress(self: Any) -> str:
        return "100%" if self.status == "completed" else "0%"

    hooks.replace(Snapshot, "progress", property(progress))

    create_snapshot = hooks.original(ElasticBlockStore, "create_snapshot")
    create_snapshots = hooks.original(ElasticBlockStore, "create_snapshots")
    copy_snapshot = hooks.original(ElasticBlockStore, "copy_snapshot")
    delete_snapshot = hooks.original(ElasticBlockStore, "delete_snapshot")

    def create_snapshot_pending(self: Any) -> Any:
        result = create_snapshot(self)
        state.created(self.region, result.result)
        return result

    def create_snapshots_excluding(
        self: Any, instance_spec: dict[str, Any], description: str, tags: dict[str, str]
    ) -> list[Any]:
        # InstanceSpecification: "ExcludeBootVolume: Excludes the root volume from being
        # snapshotted." "ExcludeDataVolumeIds: The IDs of the data (non-root) volumes to exclude
        # from the multi-volume snapshot set." (EC2 API Reference, InstanceSpecification). moto
        # 5.2.5 honours the first only.
        instance = self.get_instance(instance_spec["InstanceId"])
        exclude_boot = str(instance_spec.get("ExcludeBootVolume", False)).lower() == "true"
        excluded = set(instance_spec.get("ExcludeDataVolumeIds") or [])
        volumes = [
            mapping.volume_id
            for device, mapping in instance.block_device_mapping.items()
            if not (device == instance.root_device_name and exclude_boot)
            and not (device != instance.root_device_name and mapping.volume_id in excluded)
        ]
        snapshots = [self.create_snapshot(v, description=description) for v in volumes]
        for snapshot in snapshots:
            snapshot.add_tags(tags)
        return snapshots

    def create_snapshots_pending(self: Any) -> Any:
        result = create_snapshots(self)
        state.created_set(self.region, list(result.result["Snapshots"]))
        return result

    @raising_ec2
    def copy_snapshot_async(self: Any) -> Any:
        source_region = self._get_param("SourceRegion") or self.region
        source_id = self._get_param("SourceSnapshotId")
        state.refuse_if_archived(source_region, source_id)
        if state.copies_in_progress(self.region) >= state.copy_quota:
            raise Ec2Error("ResourceLimitExceeded", COPY_LIMIT_MESSAGE)
        result = copy_snapshot(self)
        copy = state.backend(self.region).snapshots[result.result["SnapshotId"]]
        state.copying(
            self.region,
            copy,
            source_region=source_region,
            source_snapshot=source_id,
            kms_key=self._get_param("KmsKeyId"),
        )
        return result

    @raising_ec2
    def delete_snapshot_unless_locked(self: Any) -> Any:
        snapshot_id = self._get_param("SnapshotId")
        state.refuse_if_locked(self.region, snapshot_id)
        result = delete_snapshot(self)
        with state._lock:
            state.pending.pop((self.region, snapshot_id), None)  # a copy so cancelled frees quota
            state.locks.pop((self.region, snapshot_id), None)
        return result

    def restore_snapshot_tier_on_the_clock(
        self: Any,
        snapshot_id: str,
        temporary_restore_days: int | None = None,
        permanent_restore: bool = False,
    ) -> Any:
        snapshot = self.get_snapshot(snapshot_id)
        try:
            state.restoring(
                self.region_name,
                snapshot,
                None if temporary_restore_days is None else int(temporary_restore_days),
                str(permanent_restore).lower() == "true",
            )
        except Ec2Error as error:
            raise EC2ClientError(error.code, error.message) from None
        return snapshot

    @raising_ec2
    def lock_snapshot(self: Any) -> Any:
        from moto.core.responses import ActionResult

        self.error_on_dryrun()
        params = {
            name: self._get_param(name)
            for name in ("LockMode", "CoolOffPeriod", "LockDuration", "ExpirationDate")
        }
        return ActionResult(state.lock(self.region, self._get_param("SnapshotId"), params))

    @raising_ec2
    def unlock_snapshot(self: Any) -> Any:
        from moto.core.responses import ActionResult

        self.error_on_dryrun()
        snapshot_id = self._get_param("SnapshotId")
        state.unlock(self.region, snapshot_id)
        return ActionResult({"SnapshotId": snapshot_id})

    @raising_ec2
    def describe_locked_snapshots(self: Any) -> Any:
        from moto.core.responses import ActionResult

        self.error_on_dryrun()
        states: list[str] = []
        for f in self._get_param("Filters", []) or []:
            if f.get("Name") == "lock-state":
                states += list(f.get("Values") or [])
        found = state.locked(self.region, list(self._get_param("SnapshotIds", []) or []), states)
        return ActionResult({"Snapshots": found})

    hooks.replace(ElasticBlockStore, "create_snapshot", create_snapshot_pending)
    hooks.replace(ElasticBlockStore, "create_snapshots", create_snapshots_pending)
    hooks.replace(ElasticBlockStore, "copy_snapshot", copy_snapshot_async)
    hooks.replace(ElasticBlockStore, "delete_snapshot", delete_snapshot_unless_locked)
    hooks.replace(EBSBackend, "restore_snapshot_tier", restore_snapshot_tier_on_the_clock)
    hooks.replace(EBSBackend, "create_snapshots", create_snapshots_excluding)
    # moto 5.2.5 has no snapshot locks: the query protocol dispatches an action to the
    # response's method of its snake_case name, so these answer LockSnapshot & co. `add`
    # refuses if moto ever defines them.
    added = {
        "lock_snapshot": lock_snapshot,
        "unlock_snapshot": unlock_snapshot,
        "describe_locked_snapshots": describe_locked_snapshots,
    }
    for name, method in added.items():
        hooks.add(ElasticBlockStore, name, method)
        # EC2Response mixes in every EC2 response class: one that came to define the action
        # ahead of ElasticBlockStore would answer it instead, silently.
        if getattr(EC2Response, name) is not method:
            raise MotoChangedError(
                f"moto changed: EC2Response.{name} is not the local cloud's; check whether "
                "moto now implements it"
            )
    return state


def set_snapshot_start_time(core: Core, region: str, snapshot_id: str, started: datetime) -> None:
    """A snapshot made earlier: it started at `started` and has completed (moto stamps "now",
    and a snapshot made in a test's setup would otherwise still be pending). EC2 sent its
    completion notification back then, so none is sent now."""
    ec2: Ec2Snapshots = core.service(SERVICE)
    ec2.date_back(region, snapshot_id, started)


def set_snapshot_archived(core: Core, region: str, snapshot_id: str, archived: datetime) -> None:
    """A snapshot archived earlier: in the archive tier since `archived`."""
    ec2: Ec2Snapshots = core.service(SERVICE)
    ec2.archived_back(region, snapshot_id, archived)


def timings(
    core: Core,
    *,
    create_seconds: float | None = None,
    copy_seconds: float | None = None,
    restore_seconds: float | None = None,
) -> None:
    ec2: Ec2Snapshots = core.service(SERVICE)
    if create_seconds is not None:
        ec2.create_seconds = float(create_seconds)
    if copy_seconds is not None:
        ec2.copy_seconds = float(copy_seconds)
    if restore_seconds is not None:
        ec2.restore_seconds = float(restore_seconds)
