"""The submit and status functions on moto's Docker-free Batch, driven by events/ samples."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from steward_cli.scenarios.batch_jobs import batch_infrastructure
from steward_common import aws
from steward_common.errors import InvalidInputError
from tests.support.events import load_event
from tests.support.handlers import lambda_context, load_handler


@pytest.fixture
def batch(aws_env: None) -> Iterator[Any]:
    aws.clear_clients()
    with mock_aws(config={"batch": {"use_docker": False}}):
        client = boto3.client("batch")
        batch_infrastructure(boto3.client("iam"), client, ["samtools_stats-myenv"])
        yield client
    aws.clear_clients()


def test_submit_returns_the_input_with_the_job_id_and_batch_gets_the_rendered_job(
    batch: Any,
) -> None:
    event = load_event("batch_jobs/submit_job.json")
    result = load_handler("batch_jobs", "submit").lambda_handler(event, lambda_context())
    assert {k: result[k] for k in event} == event
    [job] = batch.describe_jobs(jobs=[result["jobId"]])["jobs"]
    assert job["jobName"] == "samtools-stats-NA12878"
    assert job["container"]["command"][1].endswith("/NA12878_states_1/bam/sorted.bam")
    status = load_handler("batch_jobs", "status").lambda_handler(
        {"jobId": result["jobId"]}, lambda_context()
    )
    assert status["status"] == "SUCCEEDED" and status["attempts"] == 1 and status["done"] is True


def test_an_unknown_queue_is_a_named_error(batch: Any) -> None:
    event = load_event("batch_jobs/submit_job.json")
    event["job"]["queue"] = "no-such-queue"
    with pytest.raises(InvalidInputError, match="job queue no-such-queue does not exist") as raised:
        load_handler("batch_jobs", "submit").lambda_handler(event, lambda_context())
    assert type(raised.value).__name__ == "UnknownJobQueueError"


def test_the_status_of_an_unknown_job_is_a_named_error(batch: Any) -> None:
    with pytest.raises(InvalidInputError, match="does not exist") as raised:
        load_handler("batch_jobs", "status").lambda_handler(
            load_event("batch_jobs/job_status.json"), lambda_context()
        )
    assert type(raised.value).__name__ == "JobNotFoundError"
