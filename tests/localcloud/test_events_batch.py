"""AWS Batch sends a Batch Job State Change event for each state a job moves to, at the time it
moves on the local cloud's clock, with the detail DescribeJobs gives."""

from __future__ import annotations

import time
from typing import Any

from localcloud import LocalCloud, testing
from steward_cli.scenarios.batch_jobs import batch_infrastructure

# https://docs.aws.amazon.com/batch/latest/userguide/batch_job_events.html
# "Anytime that an existing (previously submitted) job changes states, an event is created."
# "Events aren't created for the initial job submission." "The detail section resembles the
# JobDetail object that's returned from a DescribeJobs API operation". The example event:
# "detail-type": "Batch Job State Change", "source": "aws.batch", "resources": [<the job's
# ARN>], "detail": {"jobArn", "jobName", "jobId", "jobQueue", "status": "RUNNABLE",
# "attempts": [], "createdAt", "retryStrategy", "dependsOn", "jobDefinition", "parameters",
# "container", ...}.
# https://docs.aws.amazon.com/batch/latest/userguide/job_states.html: a job without
# dependencies moves from SUBMITTED to RUNNABLE, STARTING, RUNNING, then SUCCEEDED or FAILED.
DETAIL_KEYS = {"jobArn", "jobName", "jobId", "jobQueue", "status", "attempts", "createdAt"}
DETAIL_KEYS |= {"dependsOn", "jobDefinition", "parameters", "container"}


def _events(cloud: LocalCloud, job_id: str) -> list[dict[str, Any]]:
    return [
        e
        for e in testing.service_events(cloud, "Batch Job State Change")
        if e["detail"]["jobId"] == job_id
    ]


def _submit(cloud: LocalCloud, definition: str) -> str:
    batch_infrastructure(cloud.client("iam"), cloud.client("batch"), [definition])
    submitted = cloud.client("batch").submit_job(
        jobName="event-test", jobQueue="highPriority-myenv", jobDefinition=definition
    )
    return str(submitted["jobId"])


def test_a_job_sends_each_state_it_moves_to_with_its_job_detail(cloud: LocalCloud) -> None:
    testing.batch_job_behaviour(cloud, "long-run", seconds=600)
    job_id = _submit(cloud, "long-run")
    cloud.wait_idle(timeout=30)
    sent = _events(cloud, job_id)
    assert [e["detail"]["status"] for e in sent] == ["RUNNABLE", "STARTING", "RUNNING"]
    runnable = sent[0]
    assert (runnable["source"], runnable["detail-type"]) == ("aws.batch", "Batch Job State Change")
    assert runnable["resources"] == [runnable["detail"]["jobArn"]]
    assert set(runnable["detail"]) >= DETAIL_KEYS
    assert runnable["detail"]["attempts"] == [] and "startedAt" not in runnable["detail"]
    assert "startedAt" in sent[2]["detail"] and "stoppedAt" not in sent[2]["detail"]

    # Nothing asks about the job; ten minutes on the clock end it all the same.
    cloud.clock.sleep(600)
    deadline = time.monotonic() + 30
    while len(_events(cloud, job_id)) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    cloud.wait_idle(timeout=30)
    [*_, ended] = _events(cloud, job_id)
    assert ended["detail"]["status"] == "SUCCEEDED" and "stoppedAt" in ended["detail"]
    assert len(_events(cloud, job_id)) == 4
    described = cloud.client("batch").describe_jobs(jobs=[job_id])["jobs"][0]
    assert described["status"] == "SUCCEEDED"
    assert len(_events(cloud, job_id)) == 4  # DescribeJobs after the end sends nothing more


def test_a_failing_job_sends_failed_with_its_reason(cloud: LocalCloud) -> None:
    testing.batch_job_behaviour(cloud, "bad-run", seconds=60, outcome="FAILED", reason="oom")
    job_id = _submit(cloud, "bad-run")
    cloud.clock.sleep(60)
    # DescribeJobs may ask before the timer fires: the job ends there, once.
    assert cloud.client("batch").describe_jobs(jobs=[job_id])["jobs"][0]["status"] == "FAILED"
    time.sleep(0.1)
    cloud.wait_idle(timeout=30)
    statuses = [e["detail"]["status"] for e in _events(cloud, job_id)]
    assert statuses == ["RUNNABLE", "STARTING", "RUNNING", "FAILED"]
    assert _events(cloud, job_id)[-1]["detail"]["statusReason"] == "oom"


def test_a_terminated_job_sends_failed(cloud: LocalCloud) -> None:
    testing.batch_job_behaviour(cloud, "stopped-run", seconds=3600)
    job_id = _submit(cloud, "stopped-run")
    cloud.client("batch").terminate_job(jobId=job_id, reason="operator stop")
    cloud.wait_idle(timeout=30)
    [*_, ended] = _events(cloud, job_id)
    assert (ended["detail"]["status"], ended["detail"]["statusReason"]) == (
        "FAILED",
        "operator stop",
    )


def test_a_job_without_a_behaviour_goes_through_every_state_at_submission(
    cloud: LocalCloud,
) -> None:
    job_id = _submit(cloud, "instant")
    cloud.wait_idle(timeout=30)
    statuses = [e["detail"]["status"] for e in _events(cloud, job_id)]
    assert statuses == ["RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"]
