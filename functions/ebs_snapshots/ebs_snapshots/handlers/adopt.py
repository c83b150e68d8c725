"""SnapshotAdoptFunction: the adoption run, invoked by hand (dry run unless told otherwise).

    aws lambda invoke --function-name <SnapshotAdoptFunction output> \
        --cli-binary-format raw-in-base64-out --payload '{"dry_run": false}' report.json
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from ebs_snapshots.adoption import Region, adopt
from ebs_snapshots.dr_copy import CopySettings
from ebs_snapshots.ownership import OwnershipTable
from ebs_snapshots.tagging import TagSettings
from steward_common import aws
from steward_common.inputs import parse_event
from steward_common.observability import Powertools

ops = Powertools()
logger, metrics = ops.logger, ops.metrics


class AdoptRequest(BaseModel):
    dry_run: bool = True


@ops.handler()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event or {}, AdoptRequest, "adoption request")
    settings = TagSettings.from_env()
    copies = CopySettings.from_env()
    here = os.environ["AWS_REGION"]
    primary = Region(here, aws.client("ec2"), OwnershipTable.from_env(aws.client("dynamodb")))
    dr = (
        Region(
            copies.dr_region,
            aws.client("ec2", copies.dr_region),
            OwnershipTable(aws.client("dynamodb", copies.dr_region), copies.dr_table),
        )
        if copies.dr_region and copies.dr_table
        else None
    )
    report = adopt(
        primary,
        settings,
        dr=dr,
        dry_run=request.dry_run,
        recorded_by=f"adoption {context.aws_request_id}",
    )
    adopted = sum(c["adopted"] for c in report["counts"].values())
    if not request.dry_run:
        metrics.add_metric(name="SnapshotsAdopted", unit=MetricUnit.Count, value=adopted)
    logger.info("adoption run", extra={"counts": report["counts"], "dry_run": request.dry_run})
    return report
