"""BatchSubmitJobFunction: submits one AWS Batch job from its description; returns it with jobId."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from batch_jobs.job_spec import InvalidJobSpecError, JobSpec, submit, submit_request
from steward_common import aws
from steward_common.inputs import parse_event
from steward_common.observability import Powertools

ops = Powertools()
logger, metrics = ops.logger, ops.metrics


@ops.handler()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if not isinstance(event, dict) or not isinstance(event.get("job"), dict):
        raise InvalidJobSpecError('the input needs a "job" object')
    spec = parse_event(event["job"], JobSpec, "job description", InvalidJobSpecError)
    job_context = event.get("context") or {}
    submitted = submit(aws.client("batch"), submit_request(spec, job_context))
    metrics.add_metric(name="BatchJobsSubmitted", unit=MetricUnit.Count, value=1)
    logger.info(
        "job submitted",
        extra={"job": submitted, "queue": spec.queue, "definition": spec.definition},
    )
    return {**event, **submitted}
