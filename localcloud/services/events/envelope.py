"""The events EventBridge delivers: the envelope, and what a schedule sends its targets."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = ["Timestamp", "build_envelope", "iso", "scheduled_event"]


Timestamp = datetime | str | int | float


def _utc(moment: Timestamp | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    if isinstance(moment, datetime):
        parsed = moment
    elif isinstance(moment, str):
        try:
            parsed = datetime.fromisoformat(moment)
        except ValueError:
            raise ValueError(f"time {moment!r} is not an ISO-8601 timestamp") from None
    elif isinstance(moment, int | float) and not isinstance(moment, bool):
        parsed = datetime.fromtimestamp(moment, UTC)
    else:
        raise TypeError(f"time must be a datetime, ISO-8601 string or epoch seconds: {moment!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # naive times are taken as UTC
    return parsed.astimezone(UTC)


def iso(moment: Timestamp | None) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_envelope(
    *,
    source: str,
    detail_type: str,
    detail: Mapping[str, Any],
    account: str,
    region: str,
    resources: Sequence[str] | None = None,
    time: Timestamp | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """The event as EventBridge delivers it (field order as AWS prints it)."""
    if not isinstance(detail, Mapping):
        raise TypeError(f"detail must be a JSON object, got {type(detail).__name__}")
    if isinstance(resources, str):
        raise TypeError("resources must be a list of ARNs, not a single string")
    return {
        "version": "0",
        "id": event_id if event_id is not None else str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": iso(time),
        "region": region,
        "resources": list(resources or []),
        "detail": copy.deepcopy(dict(detail)),
    }


def scheduled_event(
    *, rule_arn: str, account: str, region: str, time: Timestamp | None = None
) -> dict[str, Any]:
    """The event a schedule rule (rate/cron) sends its targets."""
    return build_envelope(
        source="aws.events",
        detail_type="Scheduled Event",
        detail={},
        account=account,
        region=region,
        resources=[rule_arn],
        time=time,
    )
