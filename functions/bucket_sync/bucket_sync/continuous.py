"""Continuous sync: each S3 "Object Created" / "Object Deleted" event of a configured pair makes
the destination's key what the source's key is *now*.

EventBridge delivers at least once and in no promised order, so an event is never trusted for
what it says happened: the key is reconciled from the source's current state (a HEAD). A
duplicate finds nothing to do; a stale "Object Created" for a key deleted since finds the source
gone and deletes (or leaves deleted) the destination's copy; a stale "Object Deleted" for a key
created again finds it and copies it. Copies are made as the full sync makes them
(`copying.copy_object`: storage class, headers, redirect, identity record), and the same
comparison skips a copy the destination already has. Objects above the multipart threshold are
handed to `BucketSyncStateMachine` (a sync of that one key), whose pages copy in parts across
invocations. The scheduled full sync stays the reconciliation for anything missed.

Pairs are `source[/prefix]=destination[/prefix]`, comma-separated (`BucketSyncContinuousPairs`);
the options of a full sync's request that apply to one key (include, exclude, storage_class,
sse, sse_kms_key_id, copy_tags) come from `BucketSyncContinuousOptions`.

Object keys in S3's EventBridge events are the keys themselves (the S3 User Guide's examples,
"EventBridge event message structure"), not URL-encoded as in S3's own event notifications.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from bucket_sync.compare import ObjectInfo, same_content
from bucket_sync.config import SyncConfig
from bucket_sync.copying import CopySettings, copy_object, is_archived
from bucket_sync.s3_errors import error_code, is_transient
from steward_common.errors import ConfigurationError, InvalidInputError, TransientError

Outcome = Literal[
    "copied", "deleted", "unchanged", "excluded", "ignored", "archived", "handed_to_sync"
]
_MISSING = ("404", "NoSuchKey", "NotFound")


class InvalidContinuousEventError(InvalidInputError):
    """The message is not an S3 Object Created / Object Deleted event from EventBridge."""


class ContinuousSyncThrottledError(TransientError):
    """S3 answered SlowDown / 5xx beyond the SDK's retries: the message is retried by SQS."""


@dataclass(frozen=True)
class Pair:
    source: str
    source_prefix: str
    destination: str
    destination_prefix: str

    def config(self, options: dict[str, Any]) -> SyncConfig:
        return SyncConfig(
            source=self.source,
            destination=self.destination,
            source_prefix=self.source_prefix,
            destination_prefix=self.destination_prefix,
            include=tuple(options.get("include") or ()),
            exclude=tuple(options.get("exclude") or ()),
            storage_class=options.get("storage_class"),
            sse=options.get("sse"),
            sse_kms_key_id=options.get("sse_kms_key_id"),
            copy_tags=bool(options.get("copy_tags", False)),
        )


def _bucket_and_prefix(text: str) -> tuple[str, str]:
    bucket, _, prefix = text.strip().partition("/")
    return bucket, prefix


def parse_pairs(
    text: str, allowed_sources: tuple[str, ...], allowed_destinations: tuple[str, ...]
) -> tuple[Pair, ...]:
    """`source[/prefix]=destination[/prefix],...`; each bucket one the stack may use, and no
    pair syncing into its own source."""
    pairs = []
    for item in (part for part in text.split(",") if part.strip()):
        if item.count("=") != 1:
            raise ConfigurationError(
                f"continuous pair {item!r} is not source[/prefix]=destination[/prefix]"
            )
        left, right = item.split("=")
        source, source_prefix = _bucket_and_prefix(left)
        destination, destination_prefix = _bucket_and_prefix(right)
        if not source or not destination:
            raise ConfigurationError(f"continuous pair {item!r} names no bucket")
        for bucket, allowed, role in (
            (source, allowed_sources, "source"),
            (destination, allowed_destinations, "destination"),
        ):
            if bucket not in allowed:
                raise ConfigurationError(
                    f"continuous pair {item!r}: {bucket} is not one of BucketSync{role.capitalize()}Buckets"
                )
        if source == destination and (
            source_prefix.startswith(destination_prefix)
            or destination_prefix.startswith(source_prefix)
        ):
            raise ConfigurationError(f"continuous pair {item!r} overlaps itself")
        pairs.append(Pair(source, source_prefix, destination, destination_prefix))
    return tuple(pairs)


@dataclass(frozen=True)
class S3Change:
    bucket: str
    key: str
    detail_type: str


def parse_event(body: str) -> S3Change:
    try:
        event = json.loads(body)
        detail = event["detail"]
        change = S3Change(
            str(detail["bucket"]["name"]), str(detail["object"]["key"]), str(event["detail-type"])
        )
    except (ValueError, KeyError, TypeError):
        raise InvalidContinuousEventError(
            "the message is not an EventBridge S3 event (detail.bucket.name, detail.object.key)"
        ) from None
    if event.get("source") != "aws.s3" or change.detail_type not in (
        "Object Created",
        "Object Deleted",
    ):
        raise InvalidContinuousEventError(
            f"not an S3 Object Created or Object Deleted event: {change.detail_type!r}"
        )
    return change


def _head(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        head: dict[str, Any] = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except ClientError as error:
        if error_code(error) in _MISSING:
            return None
        raise
    return head


def _hand_to_sync(sfn: Any, machine_arn: str, config: SyncConfig, rel: str, etag: str) -> None:
    """A sync of this one key (its own prefix, nothing else included, no deletes), named by the
    key and the source's ETag so a duplicate event starts nothing twice."""
    digest = hashlib.sha256(
        f"{config.source}/{config.source_key(rel)}\0{etag}".encode()
    ).hexdigest()
    request = {
        "source": config.source,
        "destination": config.destination,
        "prefix": config.source_key(rel),
        "destination_prefix": config.destination_key(rel),
        "include": [""],  # the key itself (relative key "") and not the keys it prefixes
        "delete": False,
        "storage_class": config.storage_class,
        "copy_tags": config.copy_tags,
    }
    try:
        sfn.start_execution(
            stateMachineArn=machine_arn,
            name=f"continuous-{digest[:64]}",
            input=json.dumps({k: v for k, v in request.items() if v is not None}),
        )
    except ClientError as error:
        if error_code(error) != "ExecutionAlreadyExists":
            raise


def reconcile(
    s3: Any,
    sfn: Any,
    change: S3Change,
    pairs: tuple[Pair, ...],
    options: dict[str, Any],
    settings: CopySettings,
    sync_machine_arn: str,
) -> list[Outcome]:
    """Make each pair's destination key what the source key is now; one outcome per pair the
    key falls in (none: `ignored`)."""
    outcomes: list[Outcome] = []
    for pair in pairs:
        if pair.source != change.bucket or not change.key.startswith(pair.source_prefix):
            continue
        try:
            outcomes.append(
                _reconcile_one(s3, sfn, change, pair.config(options), settings, sync_machine_arn)
            )
        except ClientError as error:
            if is_transient(error):
                raise ContinuousSyncThrottledError(f"S3 answered {error_code(error)}") from error
            raise
    return outcomes or ["ignored"]


def _reconcile_one(
    s3: Any,
    sfn: Any,
    change: S3Change,
    config: SyncConfig,
    settings: CopySettings,
    sync_machine_arn: str,
) -> Outcome:
    rel = change.key[len(config.source_prefix) :]
    if not config.selected(rel):
        return "excluded"
    destination_key = config.destination_key(rel)
    source = _head(s3, config.source, change.key)
    if source is None:
        return _delete(s3, config, destination_key)
    obj = ObjectInfo(
        rel,
        int(source["ContentLength"]),
        str(source["ETag"]).strip('"'),
        source["LastModified"],
        str(source.get("StorageClass") or "STANDARD"),
    )
    if is_archived(source):
        return "archived"  # the full sync lists it; a restore's own event copies it later
    destination = _head(s3, config.destination, destination_key)
    if destination is not None and int(destination["ContentLength"]) == obj.size:
        copy = ObjectInfo(
            rel, obj.size, str(destination["ETag"]).strip('"'), destination["LastModified"]
        )
        if same_content(obj, copy, destination.get("Metadata") or {}):
            return "unchanged"
    if obj.size > settings.multipart_threshold:
        _hand_to_sync(sfn, sync_machine_arn, config, rel, obj.etag)
        return "handed_to_sync"
    try:
        copy_object(s3, config, obj, source, settings)
    except ClientError as error:
        if error_code(error) in _MISSING:  # deleted since the HEAD: mirror that
            return _delete(s3, config, destination_key)
        raise
    return "copied"


def _delete(s3: Any, config: SyncConfig, destination_key: str) -> Outcome:
    # Only if it is there: on a versioned destination each DeleteObject adds a delete marker,
    # and a duplicate event must change nothing.
    if _head(s3, config.destination, destination_key) is None:
        return "unchanged"
    s3.delete_object(Bucket=config.destination, Key=destination_key)
    return "deleted"


@dataclass(frozen=True)
class ContinuousSettings:
    pairs: tuple[Pair, ...]
    options: dict[str, Any]
    copy: CopySettings
    sync_machine_arn: str

    @classmethod
    def from_env(cls) -> ContinuousSettings:
        """Fail fast on a pair or option the stack was deployed with wrong."""
        from bucket_sync.copying import MAX_SINGLE_COPY
        from bucket_sync.request import SyncRequest
        from steward_common.settings import env_int, env_list, env_str

        pairs = parse_pairs(
            env_str("CONTINUOUS_PAIRS", ""),
            env_list("SOURCE_BUCKETS"),
            env_list("DESTINATION_BUCKETS"),
        )
        try:
            options = json.loads(env_str("CONTINUOUS_OPTIONS", "{}") or "{}")
            known = {k: options[k] for k in _OPTIONS if k in options}
            unknown = sorted(set(options) - set(_OPTIONS))
            # The same checks as a full sync's request (the buckets here are placeholders).
            SyncRequest.model_validate({"source": "aaa", "destination": "bbb", **known})
        except (ValueError, TypeError) as error:  # JSON or the request model (pydantic)
            raise ConfigurationError(f"BucketSyncContinuousOptions: {error}") from None
        if unknown:
            raise ConfigurationError(
                f"BucketSyncContinuousOptions: {unknown} do not apply to one key ({_OPTIONS})"
            )
        return cls(
            pairs=pairs,
            options=known,
            copy=CopySettings(
                multipart_threshold=env_int(
                    "MULTIPART_THRESHOLD_BYTES", MAX_SINGLE_COPY, minimum=5 * 1024**2
                )
            ),
            sync_machine_arn=env_str("SYNC_STATE_MACHINE_ARN"),
        )


_OPTIONS = ("include", "exclude", "storage_class", "sse", "sse_kms_key_id", "copy_tags")
