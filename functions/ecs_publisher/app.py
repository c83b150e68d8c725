"""EcsMetricsPublishFunction: publishes the minute's samples and reports missing clusters."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from ecs_publishing import missing_clusters, put_all

from steward_common import aws
from steward_common.alerts import publish_alert
from steward_common.inputs import parse_event
from steward_common.settings import env_str

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class PublishRequest(BaseModel):
    minute: str
    samples: list[dict[str, Any]]


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, PublishRequest, "publish request")
    mode = env_str("PUBLISH_MODE", "emf")
    points = requests = 0
    if mode == "put-metric-data":
        points, requests = put_all(
            aws.client("cloudwatch"), env_str("METRICS_NAMESPACE_ECS"), request.samples
        )
    missing = missing_clusters(request.samples)
    metrics.add_metric(name="EcsSamples", unit=MetricUnit.Count, value=len(request.samples))
    metrics.add_metric(name="EcsClustersMissing", unit=MetricUnit.Count, value=len(missing))
    if missing:  # once per minute, however many samples saw it
        logger.warning("clusters missing or inaccessible", extra={"clusters": missing})
        publish_alert(
            aws.client("sns"),
            env_str("ALERT_TOPIC_ARN"),
            f"Steward ECS metrics: {len(missing)} cluster(s) missing",
            {
                "automation": "ecs-metrics",
                "kind": "missing-clusters",
                "minute": request.minute,
                "clusters": missing,
            },
        )
    return {
        "minute": request.minute,
        "samples": len(request.samples),
        "datapoints": points,
        "requests": requests,
        "missing": missing,
    }
