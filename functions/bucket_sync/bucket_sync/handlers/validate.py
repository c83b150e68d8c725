"""BucketSyncValidateFunction: checks a sync request; the state machine's first step."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from bucket_sync.request import InvalidSyncRequestError, SyncRequest, validate
from steward_common import aws
from steward_common.inputs import parse_event
from steward_common.observability import Powertools
from steward_common.settings import env_list, env_str

ops = Powertools()
logger, metrics = ops.logger, ops.metrics


@ops.handler(correlation_id_path="run_id")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request_body = event.get("request") if isinstance(event, dict) else None
    request = parse_event(request_body, SyncRequest, "sync request", InvalidSyncRequestError)
    config = validate(
        aws.client("s3"),
        request,
        allowed_sources=env_list("SOURCE_BUCKETS"),
        allowed_destinations=env_list("DESTINATION_BUCKETS"),
        run_id=str(event.get("run_id", "")),
        continuous_sources=tuple(
            pair.split("=")[0].split("/")[0].strip()
            for pair in env_str("CONTINUOUS_PAIRS", "").split(",")
            if "=" in pair
        ),
    )
    if config.continuous_note:
        logger.warning("continuous mode gets no events", extra={"note": config.continuous_note})
    metrics.add_metric(name="BucketSyncsStarted", unit=MetricUnit.Count, value=1)
    logger.info(
        "sync validated",
        extra={
            "source": config.source,
            "destination": config.destination,
            "dry_run": config.dry_run,
        },
    )
    return config.to_dict()
