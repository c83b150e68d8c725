"""SnapshotScheduleFunction: takes the scheduled snapshots (SnapshotSchedule)."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel, Field
from aws_lambda_powertools.utilities.typing import LambdaContext

from ebs_snapshots.ownership import OwnershipTable
from ebs_snapshots.scheduling import ScheduleSettings, take_scheduled_snapshots
from steward_common import aws
from steward_common.inputs import parse_event
from steward_common.observability import Powertools

ops = Powertools()
logger, metrics = ops.logger, ops.metrics

# Stop this long before the function's timeout; the retry resumes from there.
MARGIN_MS = 30_000


class ScheduledEvent(BaseModel):
    """EventBridge's "Scheduled Event": its `time` is the slot the run takes."""

    time: str = Field(min_length=1)
    detail_type: str = Field(alias="detail-type", default="Scheduled Event")


@ops.handler()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, ScheduledEvent, "scheduled event")
    settings = ScheduleSettings.from_env()
    result = take_scheduled_snapshots(
        aws.client("ec2"),
        OwnershipTable.from_env(aws.client("dynamodb")),
        settings,
        slot=request.time,
        region=os.environ["AWS_REGION"],
        out_of_time=lambda: context.get_remaining_time_in_millis() < MARGIN_MS,
    )
    metrics.add_metric(name="SnapshotsScheduled", unit=MetricUnit.Count, value=len(result["taken"]))
    logger.info(
        "scheduled snapshots taken",
        extra={k: v for k, v in result.items() if k != "taken"} | {"taken": len(result["taken"])},
    )
    return result
