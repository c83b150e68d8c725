"""SnapshotNotifyFunction: publishes a failed snapshot run to the AlertTopic."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from ebs_snapshots.alert import failure_message
from steward_common import aws
from steward_common.alerts import publish_alert
from steward_common.inputs import parse_event
from steward_common.observability import Powertools
from steward_common.settings import env_str

ops = Powertools()
logger, metrics = ops.logger, ops.metrics


class NotifyRequest(BaseModel):
    stage: str
    item: dict[str, Any]
    execution_id: str


@ops.handler(correlation_id_path="execution_id")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    request = parse_event(event, NotifyRequest, "notification request")
    subject, body = failure_message(request.item, request.stage, request.execution_id)
    message_id = publish_alert(aws.client("sns"), env_str("ALERT_TOPIC_ARN"), subject, body)
    metrics.add_metric(name="SnapshotFailuresReported", unit=MetricUnit.Count, value=1)
    logger.warning("snapshot run failed", extra={"alert": body})
    return {"message_id": message_id}
