"""BucketSyncEventFunction: S3 object events from BucketSyncEventQueue, each key reconciled."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from bucket_sync.continuous import ContinuousSettings, parse_event, reconcile
from steward_common import aws
from steward_common.observability import Powertools

ops = Powertools()
logger, metrics = ops.logger, ops.metrics
processor = BatchProcessor(event_type=EventType.SQS)
settings = ContinuousSettings.from_env()  # at cold start: a bad pair fails every invocation


def record_handler(record: SQSRecord) -> None:
    # A message that is no S3 event raises InvalidContinuousEventError: it fails, is received
    # again, and ends on the dead-letter queue having changed nothing.
    change = parse_event(record.body)
    outcomes = reconcile(
        aws.client("s3"),
        aws.client("stepfunctions"),
        change,
        settings.pairs,
        settings.options,
        settings.copy,
        settings.sync_machine_arn,
    )
    for outcome in outcomes:
        metrics.add_metric(name=f"BucketSyncEvent_{outcome}", unit=MetricUnit.Count, value=1)
    logger.info(
        "key reconciled",
        extra={
            "bucket": change.bucket,
            "key": change.key,
            "event": change.detail_type,
            "outcomes": outcomes,
        },
    )


@ops.handler()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
