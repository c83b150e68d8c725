"""AlertFormatterFunction: one readable AlertTopic message per failed execution or rotation."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ConfigDict, Field

from alerts import format as alert_format
from steward_common import aws
from steward_common.inputs import parse_event
from steward_common.observability import Powertools

ops = Powertools()
logger, metrics = ops.logger, ops.metrics


class AlertEvent(BaseModel):
    """EventBridge's envelope of the two events the formatter's rules send it."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    source: str
    detail_type: str = Field(alias="detail-type")
    detail: dict[str, Any]


@ops.handler(correlation_id_path="id")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    parsed = parse_event(event, AlertEvent, "alert event", alert_format.UnknownAlertEventError)
    settings = alert_format.Settings.from_env()
    message_id = alert_format.report(
        {"detail-type": parsed.detail_type, "detail": parsed.detail},
        settings,
        aws.client("stepfunctions"),
        aws.client("sns"),
    )
    if message_id is None:
        # Only the ARN: an execution's input is logged nowhere by the formatter.
        logger.info(
            "not reported: a nested execution, its parent reports",
            extra={"execution": parsed.detail.get("executionArn")},
        )
        metrics.add_metric(name="NestedFailuresLeftToTheirParent", unit=MetricUnit.Count, value=1)
        return {"published": False}
    metrics.add_metric(name="FailuresReported", unit=MetricUnit.Count, value=1)
    return {"published": True, "message_id": message_id}
