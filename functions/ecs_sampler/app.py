"""EcsMetricsSampleFunction: one hop of the minute's chain of samples, per SQS message."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from ecs_minute import Clients, MinutePlan, hop
from ecs_sampling import SamplerSettings

from steward_common import aws
from steward_common.inputs import parse_event

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    settings = SamplerSettings.from_env()
    clients = Clients(
        ecs=aws.client("ecs"),
        cloudwatch=aws.client("cloudwatch"),
        sqs=aws.client("sqs"),
        sns=aws.client("sns"),
    )
    try:
        # A bad plan raises InvalidInputError: the record fails, is received again, and ends
        # on the dead-letter queue having changed nothing.
        plan = parse_event(record.json_body, MinutePlan, "minute plan")
        result = hop(plan, clients, settings)
    except Exception:
        logger.exception(
            "hop failed; SQS delivers it again", extra={"message_id": record.message_id}
        )
        raise
    if not result.last:
        logger.debug("sampled", extra=asdict(result))
        return
    logger.info("minute published", extra=asdict(result))
    # The automation's own health, once a minute (hops in between add nothing).
    metrics.add_metric(name="EcsSamples", unit=MetricUnit.Count, value=result.samples)
    metrics.add_metric(name="EcsClustersMissing", unit=MetricUnit.Count, value=len(result.missing))
    metrics.flush_metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
