"""SnapshotCopyFunction: the Copy-to-DR step of the primary snapshot state machine."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel, Field
from aws_lambda_powertools.utilities.typing import LambdaContext

from ebs_snapshots.dr_copy import CopySettings, copy_to_dr
from ebs_snapshots.ownership import OwnershipTable
from steward_common import aws
from steward_common.inputs import parse_event
from steward_common.observability import Powertools

ops = Powertools()
logger, metrics = ops.logger, ops.metrics


class CopyRequest(BaseModel):
    snapshot_id: str = Field(pattern=r"^snap-[0-9a-f]+$")
    volume_id: str
    region: str
    tags: dict[str, str] = {}
    owned: bool = False
    execution_id: str | None = None


@ops.handler(correlation_id_path="execution_id")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, CopyRequest, "DR copy request")
    settings = CopySettings.from_env()
    dr_ec2 = aws.client("ec2", settings.dr_region) if settings.dr_region else None
    table = OwnershipTable.from_env(aws.client("dynamodb"))
    dr_table = (
        OwnershipTable(aws.client("dynamodb", settings.dr_region), settings.dr_table)
        if settings.dr_region and settings.dr_table
        else None
    )
    result = copy_to_dr(
        dr_ec2,
        settings,
        snapshot_id=request.snapshot_id,
        volume_id=request.volume_id,
        source_region=request.region,
        tags=request.tags,
        owned=request.owned,
        table=table,
        dr_table=dr_table,
        execution_id=request.execution_id or "",
    )
    if result["copied"]:
        metrics.add_metric(name="SnapshotsCopied", unit=MetricUnit.Count, value=1)
    logger.info("dr copy", extra={"snapshot": request.snapshot_id, **result})
    return result
