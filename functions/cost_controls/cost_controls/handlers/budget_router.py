"""BudgetRouterFunction: an AWS Budgets notification on SNS starts the cost-control machine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser.models import SnsNotificationModel, SnsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from cost_controls.notification import parse_notification
from cost_controls.routing import RouterSettings, route
from steward_common import aws
from steward_common.inputs import parse_event
from steward_common.observability import Powertools

ops = Powertools()
logger, metrics = ops.logger, ops.metrics


# Powertools types an SNS message as `str | type[BaseModel]` (so a subclass can declare a model
# for it); a Budgets notification's message is the plain text of its e-mail.
class BudgetNotification(SnsNotificationModel):
    Message: str


class BudgetRecord(SnsRecordModel):
    Sns: BudgetNotification


class BudgetEvent(BaseModel):  # Powertools' SnsModel, with these records
    Records: list[BudgetRecord]


@ops.handler(correlation_id_path="Records[0].Sns.MessageId")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = parse_event(event, BudgetEvent, "SNS event").Records
    settings = RouterSettings.from_env()
    results = []
    for record in records:
        alert = parse_notification(record.Sns.Message, record.Sns.Subject)
        result = route(
            alert,
            sfn=aws.client("stepfunctions"),
            settings=settings,
            now=datetime.now(UTC),
            message_id=record.Sns.MessageId,
        )
        metrics.add_metric(name="BudgetAlertsReceived", unit=MetricUnit.Count, value=1)
        metrics.add_metric(
            name="BudgetAlertsDuplicate" if result.duplicate else "CostControlsStarted",
            unit=MetricUnit.Count,
            value=1,
        )
        logger.info(
            "budget alert routed",
            extra={
                "alert": alert.as_dict(),
                "execution_name": result.execution_name,
                "execution_arn": result.execution_arn,
                "duplicate": result.duplicate,
            },
        )
        results.append(
            {
                "execution_name": result.execution_name,
                "execution_arn": result.execution_arn,
                "duplicate": result.duplicate,
                "parsed": alert.parsed,
            }
        )
    return {"routed": results}
