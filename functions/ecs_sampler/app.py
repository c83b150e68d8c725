"""EcsMetricsSampleFunction: one sample of the clusters, at its offset within the minute."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricResolution, MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel, Field
from aws_lambda_powertools.utilities.typing import LambdaContext
from ecs_sampling import SamplerSettings, sample_time, take_sample

from steward_common import aws
from steward_common.ecs_metrics import CLUSTER_METRICS, SERVICE_METRICS
from steward_common.inputs import parse_event

logger = Logger()
tracer = Tracer()


class SampleRequest(BaseModel):
    minute: str
    offset: int = Field(ge=0, lt=60)


def emit_emf(sample: dict[str, Any], namespace: str) -> int:
    """One EMF document per cluster (and per service), high resolution, at the sample's time."""
    documents = 0
    rows = [(CLUSTER_METRICS, {"ClusterName": c}, values) for c, *values in sample["c"]]
    rows += [
        (SERVICE_METRICS, {"ClusterName": c, "ServiceName": s}, values)
        for c, s, *values in sample["s"]
    ]
    for names, dimensions, values in rows:
        emf = EphemeralMetrics(namespace=namespace)
        # Without this Powertools adds a `service` dimension, and these metrics would not be the
        # ClusterName (+ ServiceName) series that put-metric-data mode and dashboards use.
        emf.service = None
        for key, value in dimensions.items():
            emf.add_dimension(name=key, value=value)
        for name, value in zip(names, values, strict=True):
            emf.add_metric(
                name=name, unit=MetricUnit.Count, value=value, resolution=MetricResolution.High
            )
        emf.set_timestamp(sample["t"])
        emf.flush_metrics()
        documents += 1
    return documents


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, SampleRequest, "sample request")
    settings = SamplerSettings.from_env()
    sample = take_sample(aws.client("ecs"), settings, sample_time(request.minute, request.offset))
    if settings.mode == "emf":
        published = emit_emf(sample, settings.namespace)
        # The data is in the logs already; only the count and the missing clusters travel on.
        return {
            "t": sample["t"],
            "c": [],
            "s": [],
            "missing": sample["missing"],
            "emf_documents": published,
        }
    return sample
