"""EcsMetricsSampleFunction: one hop of the minute's chain of samples, per SQS message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any, ParamSpec, cast

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.idempotency.serialization.dataclass import (
    DataclassSerializer,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecs_metrics.minute import Clients, HopResult, MinutePlan, hop
from ecs_metrics.sampling import SERVICE_CALLS_AT_ONCE, SamplerSettings
from ecs_metrics.watch import ClusterWatch
from steward_common import aws
from steward_common.inputs import parse_event
from steward_common.observability import Powertools
from steward_common.settings import env_str

ops = Powertools()
logger, metrics = ops.logger, ops.metrics
processor = BatchProcessor(event_type=EventType.SQS)


def _replayed(response: HopResult, idempotent_data: DataRecord) -> HopResult:
    logger.info(
        "hop already taken; this delivery is a duplicate", extra={"offset": response.offset}
    )
    return replace(response, replayed=True)


# SQS (and EventBridge, for the execution that starts a minute) deliver at least once. A
# duplicate of a hop would fork the rest of the minute's chain, so each (minute, offset) is
# taken once: the first delivery records its result, later ones return it and send nothing.
idempotency = IdempotencyConfig(
    event_key_jmespath="[minute, next]",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=900,  # longer than a plan lives on the queue (600 s)
    response_hook=_replayed,
)
persistence = DynamoDBPersistenceLayer(
    table_name=env_str("IDEMPOTENCY_TABLE"), boto3_client=aws.client("dynamodb")
)

_P = ParamSpec("_P")


def _idempotent(function: Callable[_P, HopResult]) -> Callable[_P, HopResult]:
    """`function`, taken once per idempotency key (its `plan` argument's [minute, next])."""
    wrapped = idempotent_function(
        function,
        data_keyword_argument="plan",
        config=idempotency,
        persistence_store=persistence,
        output_serializer=DataclassSerializer(HopResult),
    )
    # Powertools annotates idempotent_function as returning Any. What it returns is
    # functools.wraps(function) around a call that takes function's arguments and returns
    # function's result, or (for a duplicate) the stored one through output_serializer and
    # response_hook: a HopResult either way.
    return cast("Callable[_P, HopResult]", wrapped)


@_idempotent
def take_hop(plan: MinutePlan) -> HopResult:
    settings = SamplerSettings.from_env()
    clients = Clients(
        ecs=aws.client("ecs", max_pool_connections=SERVICE_CALLS_AT_ONCE),
        cloudwatch=aws.client("cloudwatch"),
        sqs=aws.client("sqs"),
        sns=aws.client("sns"),
        watch=ClusterWatch(aws.client("dynamodb"), env_str("IDEMPOTENCY_TABLE")),
    )
    return hop(plan, clients, settings)


def record_handler(record: SQSRecord) -> None:
    try:
        # A bad plan raises InvalidInputError: the record fails, is received again, and ends
        # on the dead-letter queue having changed nothing.
        plan = parse_event(record.json_body, MinutePlan, "minute plan")
        result = take_hop(plan=plan)
    except Exception:
        logger.exception(
            "hop failed; SQS delivers it again", extra={"message_id": record.message_id}
        )
        raise
    if result.replayed or not result.last:
        logger.debug("sampled", extra=asdict(result))
        return
    logger.info("minute published", extra=asdict(result))
    # The automation's own health, once a minute (hops in between add nothing).
    metrics.add_metric(name="EcsSamples", unit=MetricUnit.Count, value=result.samples)
    metrics.add_metric(name="EcsClustersMissing", unit=MetricUnit.Count, value=len(result.missing))
    metrics.flush_metrics()


@ops.handler(flush_metrics=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
