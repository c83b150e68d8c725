"""SnapshotRetainFunction: the Retain step of the primary and DR snapshot state machines."""

from __future__ import annotations

import os
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel, Field
from aws_lambda_powertools.utilities.typing import LambdaContext

from ebs_snapshots.ownership import OwnershipTable
from ebs_snapshots.retention import retain_snapshots
from steward_common import aws
from steward_common.inputs import parse_event
from steward_common.observability import Powertools
from steward_common.settings import env_bool

ops = Powertools()
logger, metrics = ops.logger, ops.metrics


class RetainRequest(BaseModel):
    snapshot_id: str = Field(pattern=r"^snap-[0-9a-f]+$")
    volume_id: str = Field(pattern=r"^vol-[0-9a-f]+$")
    region: str | None = None
    retain: int = Field(ge=1)
    retain_days: int = Field(default=0, ge=0)
    execution_id: str | None = None


@ops.handler(correlation_id_path="execution_id")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, RetainRequest, "retention request")
    ec2 = aws.client("ec2", request.region or os.environ["AWS_REGION"])
    table = OwnershipTable.from_env(aws.client("dynamodb"))
    result = retain_snapshots(
        ec2,
        table,
        volume_id=request.volume_id,
        trigger=request.snapshot_id,
        retain=request.retain,
        retain_days=request.retain_days,
        now=datetime.now(UTC),
        dry_run=env_bool("DRY_RUN"),
        delete_archived_by_age=env_bool("DELETE_ARCHIVED_BY_AGE"),
    )
    metrics.add_metric(name="SnapshotsDeleted", unit=MetricUnit.Count, value=len(result.deleted))
    metrics.add_metric(name="SnapshotsInUse", unit=MetricUnit.Count, value=len(result.in_use))
    metrics.add_metric(name="SnapshotsLocked", unit=MetricUnit.Count, value=len(result.locked))
    metrics.add_metric(name="SnapshotsArchived", unit=MetricUnit.Count, value=len(result.archived))
    logger.info("retention applied", extra={"retention": asdict(result)})
    return asdict(result)
