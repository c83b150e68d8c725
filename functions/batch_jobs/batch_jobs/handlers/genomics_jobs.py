"""GenomicsJobsFunction: the genomics workflow's job descriptions, one per tool, from its input."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from batch_jobs.genomics_plan import InvalidWorkflowInputError, plan_jobs
from steward_common.observability import Powertools

ops = Powertools()
logger, metrics = ops.logger, ops.metrics


@ops.handler()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if not isinstance(event, dict):
        raise InvalidWorkflowInputError("the workflow input must be a JSON object")
    jobs = plan_jobs(event)
    metrics.add_metric(name="GenomicsWorkflowsPlanned", unit=MetricUnit.Count, value=1)
    logger.info("jobs planned", extra={"sample": event.get("sampleId"), "tools": sorted(jobs)})
    return jobs
