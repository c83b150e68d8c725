"""SnapshotTagFunction: the Tag step of the primary and DR snapshot state machines."""

from __future__ import annotations

import os
from typing import Any, Literal

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from ebs_snapshots import ebs
from ebs_snapshots.ownership import OwnershipTable
from ebs_snapshots.tagging import TagSettings, tag_dr_copy, tag_new_snapshot
from steward_common import aws
from steward_common.inputs import parse_event
from steward_common.observability import Powertools

ops = Powertools()
logger, metrics = ops.logger, ops.metrics


class TagRequest(BaseModel):
    mode: Literal["primary", "dr"]
    snapshot_arn: str
    volume_arn: str = ""
    execution_id: str | None = None


@ops.handler(correlation_id_path="execution_id")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, TagRequest, "snapshot tag request")
    region = ebs.arn_region(request.snapshot_arn, os.environ["AWS_REGION"])
    ec2 = aws.client("ec2", region)
    settings = TagSettings.from_env()
    table = OwnershipTable.from_env(aws.client("dynamodb"))
    snapshot_id = ebs.resource_id(request.snapshot_arn)
    if request.mode == "primary":
        result = tag_new_snapshot(
            ec2,
            table,
            settings,
            snapshot_id,
            ebs.resource_id(request.volume_arn),
            region,
            recorded_by=request.execution_id or "",
        )
    else:
        result = tag_dr_copy(ec2, table, snapshot_id, region)
    metrics.add_metric(
        name="SnapshotsManaged" if result["managed"] else "SnapshotsSkipped",
        unit=MetricUnit.Count,
        value=1,
    )
    logger.info(
        "snapshot tagged" if result["managed"] else "snapshot left alone",
        extra={"snapshot": snapshot_id, "reason": result.get("reason")},
    )
    return result
