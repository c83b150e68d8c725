"""BatchJobStatusFunction: status, reason, exit code, attempts and log stream of one job."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from batch_jobs.job_status import job_status
from steward_common import aws
from steward_common.errors import InvalidInputError
from steward_common.observability import Powertools

ops = Powertools()
logger, metrics = ops.logger, ops.metrics


@ops.handler()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job_id = event.get("jobId") if isinstance(event, dict) else None
    if not isinstance(job_id, str) or not job_id:
        raise InvalidInputError('the input needs the "jobId" the submit step returned')
    status = job_status(aws.client("batch"), job_id)
    logger.info("job status", extra={"jobId": job_id, "status": status["status"]})
    metrics.add_metric(name="BatchStatusChecks", unit=MetricUnit.Count, value=1)
    return status
