"""SnapshotNotifyFunction: publishes a failed snapshot run to the AlertTopic."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from ebs_snapshots.alert import failure_message
from steward_common import aws
from steward_common.alerts import publish_alert
from steward_common.inputs import parse_event
from steward_common.settings import env_str

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class NotifyRequest(BaseModel):
    stage: str
    item: dict[str, Any]
    execution_id: str


@logger.inject_lambda_context(correlation_id_path="execution_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    request = parse_event(event, NotifyRequest, "notification request")
    subject, body = failure_message(request.item, request.stage, request.execution_id)
    message_id = publish_alert(aws.client("sns"), env_str("ALERT_TOPIC_ARN"), subject, body)
    metrics.add_metric(name="SnapshotFailuresReported", unit=MetricUnit.Count, value=1)
    logger.warning("snapshot run failed", extra={"alert": body})
    return {"message_id": message_id}
