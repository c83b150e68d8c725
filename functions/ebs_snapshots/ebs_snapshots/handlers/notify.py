"""SnapshotNotifyFunction: publishes a failed snapshot run, or a failed DR copy, to the AlertTopic."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from pydantic import model_validator

from ebs_snapshots import ebs
from ebs_snapshots.alert import copy_failed_message, failure_message, failures_message
from steward_common import aws
from steward_common.alerts import publish_alert
from steward_common.inputs import parse_event
from steward_common.observability import Powertools
from steward_common.settings import env_str

ops = Powertools()
logger, metrics = ops.logger, ops.metrics


class NotifyRequest(BaseModel):
    """One failed item (the DR machine), or every item's result of a run (the primary
    machine's Map, whose failed items carry their `failure`)."""

    stage: str
    execution_id: str
    item: dict[str, Any] | None = None
    results: list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _one_of_them(self) -> NotifyRequest:
        if (self.item is None) == (self.results is None):
            raise ValueError('a notification request has "item" or "results", not both')
        return self


def _copy_tags(detail: dict[str, Any]) -> dict[str, str] | None:
    """The failed copy's tags, or None if it is not a copy Steward made (its tags at creation
    name its source snapshot): a copy someone else made is not Steward's to report."""
    copy_id = ebs.resource_id(str(detail.get("snapshot_id", "")))
    try:
        found = aws.client("ec2").describe_snapshots(SnapshotIds=[copy_id])["Snapshots"]
    except ClientError as error:
        if "NotFound" in str(error.response.get("Error", {}).get("Code", "")):
            return None
        raise
    tags = ebs.tags_of(found[0]) if found else {}
    return tags if tags.get(ebs.SOURCE_SNAPSHOT) else None


@ops.handler(correlation_id_path="execution_id")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, NotifyRequest, "notification request")
    if request.stage == "dr-copy":  # EC2's failed copySnapshot event, from SnapshotCopyFailedRule
        detail = (request.item or {}).get("detail") or {}
        tags = _copy_tags(detail)
        if tags is None:
            logger.info(
                "a failed copy Steward did not make", extra={"copy": detail.get("snapshot_id")}
            )
            return {"failed": 0, "total": 1}
        subject, body = copy_failed_message(detail, tags)
    elif request.results is not None:
        made = failures_message(request.results, request.stage, request.execution_id)
        if made is None:
            return {"failed": 0, "total": len(request.results)}
        subject, body = made
    else:
        subject, body = failure_message(request.item or {}, request.stage, request.execution_id)
    message_id = publish_alert(aws.client("sns"), env_str("ALERT_TOPIC_ARN"), subject, body)
    failed = int(body.get("failed", 1))
    metrics.add_metric(name="SnapshotFailuresReported", unit=MetricUnit.Count, value=failed)
    logger.warning("snapshot run failed", extra={"alert": body})
    return {"message_id": message_id, "failed": failed, "total": int(body.get("total", 1))}
