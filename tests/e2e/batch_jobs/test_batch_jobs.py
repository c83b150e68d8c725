"""Batch jobs end to end: the poller, and both genomics workflow variants on the classic input."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.testing import batch_job_behaviour
from steward_cli.scenarios.batch_jobs import batch_infrastructure
from tests.support.events import load_event

TOOLS = {
    "isaac": "isaac-myenv",
    "samtoolsStats": "samtools_stats-myenv",
    "strelka": "strelka-myenv",
    "snpEff": "snpeff-myenv",
}


@pytest.fixture
def cloud(stack: Any) -> Any:
    def start(**parameters: str) -> LocalCloud:
        started: LocalCloud = stack("EnableBatchJobs", **parameters)
        batch_infrastructure(started.client("iam"), started.client("batch"), list(TOOLS.values()))
        return started

    return start


def one_job(definition: str = "isaac-myenv", queue: str = "highPriority-myenv") -> dict[str, Any]:
    return {
        "job": {
            "name": "demo-job",
            "queue": queue,
            "definition": definition,
            "command": ["echo", "hi"],
        }
    }


def job(cloud: LocalCloud, job_id: str) -> dict[str, Any]:
    described: dict[str, Any] = cloud.client("batch").describe_jobs(jobs=[job_id])["jobs"][0]
    return described


def assert_terminated_for_its_timeout(local: LocalCloud) -> None:
    """The one job submitted was terminated by the poller, with the poller's reason."""
    [submitted] = local.client("batch").list_jobs(
        jobQueue="highPriority-myenv", jobStatus="FAILED"
    )["jobSummaryList"]
    assert (
        job(local, submitted["jobId"])["statusReason"]
        == "Steward poller: the job ran past its timeout"
    )


def test_the_poller_waits_for_a_running_job_and_returns_its_status(cloud: Any) -> None:
    local = cloud()
    batch_job_behaviour(local, "isaac-myenv", seconds=600)
    local.start_execution("BatchJobPollerStateMachine", one_job())
    local.wait_idle(timeout=60)
    [execution] = local.executions("BatchJobPollerStateMachine")
    assert execution["status"] == "SUCCEEDED"
    output = execution["output"]
    assert output["status"]["status"] == "SUCCEEDED" and output["polls"]["n"] == 20  # 600 s / 30 s
    assert output["status"]["attempts"] == 1 and output["status"]["logStream"]
    assert job(local, output["jobId"])["status"] == "SUCCEEDED"


def test_a_failed_job_fails_the_execution_with_the_jobs_reason(cloud: Any) -> None:
    local = cloud()
    batch_job_behaviour(
        local,
        "isaac-myenv",
        seconds=90,
        outcome="FAILED",
        reason="Essential container in task exited (exit code 137)",
    )
    local.start_execution("BatchJobPollerStateMachine", one_job())
    local.wait_idle(timeout=60)
    [execution] = local.executions("BatchJobPollerStateMachine")
    assert (execution["status"], execution["error"]) == ("FAILED", "BatchJobFailed")
    assert execution["cause"] == "Essential container in task exited (exit code 137)"


def test_moto_failing_every_job_fails_the_execution(
    cloud: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_SIMPLE_BATCH_FAIL_AFTER", "0")
    local = cloud()
    local.start_execution("BatchJobPollerStateMachine", one_job())
    local.wait_idle(timeout=60)
    [execution] = local.executions("BatchJobPollerStateMachine")
    assert (execution["status"], execution["error"]) == ("FAILED", "BatchJobFailed")


def test_a_job_running_past_the_timeout_is_terminated_and_the_execution_fails(cloud: Any) -> None:
    local = cloud(BatchPollMaxAttempts="4")
    batch_job_behaviour(local, "isaac-myenv", seconds=6 * 3600)
    local.start_execution("BatchJobPollerStateMachine", one_job())
    local.wait_idle(timeout=60)
    [execution] = local.executions("BatchJobPollerStateMachine")
    assert (execution["status"], execution["error"]) == ("FAILED", "BatchJobTimedOut")
    assert_terminated_for_its_timeout(local)


@pytest.mark.parametrize(
    ("job_input", "error"),
    [
        (one_job(queue="no-such-queue"), "UnknownJobQueueError"),
        (one_job(definition="no-such-definition"), "UnknownJobDefinitionError"),
        ({"job": {"name": "bad name!", "queue": "q", "definition": "d"}}, "InvalidJobSpecError"),
    ],
)
def test_unknown_queues_definitions_and_bad_descriptions_are_clear_errors(
    cloud: Any, job_input: dict[str, Any], error: str
) -> None:
    local = cloud()
    local.start_execution("BatchJobPollerStateMachine", job_input)
    local.wait_idle(timeout=60)
    [execution] = local.executions("BatchJobPollerStateMachine")
    assert (execution["status"], execution["error"]) == ("FAILED", error)


@pytest.mark.parametrize(
    "workflow", ["GenomicsWorkflowStateMachine", "GenomicsWorkflowSyncStateMachine"]
)
def test_both_variants_run_the_classic_input_unchanged(cloud: Any, workflow: str) -> None:
    local = cloud()
    for definition in TOOLS.values():
        batch_job_behaviour(local, definition, seconds=120)
    local.start_execution(workflow, load_event("batch_jobs/genomics_test_input.json"))
    local.wait_idle(timeout=120)
    [execution] = local.executions(workflow)
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    results = execution["output"]["results"]
    assert sorted(results) == sorted(TOOLS)
    assert {r["status"] for r in results.values()} == {"SUCCEEDED"}
    jobs = {tool: job(local, results[tool]["jobId"]) for tool in TOOLS}
    # Strelka then snpEff, beside samtools stats, all after Isaac:
    assert jobs["snpEff"]["createdAt"] >= jobs["strelka"]["stoppedAt"]
    assert jobs["strelka"]["createdAt"] >= jobs["isaac"]["stoppedAt"]
    assert jobs["samtoolsStats"]["createdAt"] >= jobs["isaac"]["stoppedAt"]
    assert jobs["strelka"]["container"]["command"][-2:] == ["--cmd_args", "--exome"]


@pytest.mark.parametrize(
    "workflow", ["GenomicsWorkflowStateMachine", "GenomicsWorkflowSyncStateMachine"]
)
def test_a_failing_tool_fails_the_workflow(cloud: Any, workflow: str) -> None:
    local = cloud()
    batch_job_behaviour(
        local, "strelka-myenv", seconds=60, outcome="FAILED", reason="out of memory"
    )
    local.start_execution(workflow, load_event("batch_jobs/genomics_test_input.json"))
    local.wait_idle(timeout=120)
    [execution] = local.executions(workflow)
    assert execution["status"] == "FAILED"
    assert "out of memory" in (execution["cause"] or "")


def test_a_thirty_hour_job_is_polled_through_fresh_executions_and_succeeds(cloud: Any) -> None:
    """11 history events a poll: at 30-second polls the default 2,880 polls (24 h) outgrow the
    25,000-event history quota at about 19 hours. The poller continues in a fresh execution
    every BatchPollsPerExecution polls (here 40, with 10-minute polls to keep the test short)
    and the first execution ends with the job."""
    local = cloud(
        BatchPollIntervalSeconds="600", BatchPollMaxAttempts="1000", BatchPollsPerExecution="40"
    )
    batch_job_behaviour(local, "isaac-myenv", seconds=30 * 3600)
    first = local.start_execution("BatchJobPollerStateMachine", one_job())
    local.wait_idle(timeout=120)
    runs = local.executions("BatchJobPollerStateMachine")
    assert {r["status"] for r in runs} == {"SUCCEEDED"}
    [top] = [r for r in runs if r["arn"] == first]
    assert top["output"]["status"]["status"] == "SUCCEEDED"
    # About 180 polls of 10 minutes (the local clock also counts the waits of the executions
    # waiting on each other, so the job's 30 hours pass in somewhat fewer): 40 an execution.
    polls = top["output"]["polls"]["n"]
    assert polls > 3 * 40 and len(runs) == polls // 40 + 1
    assert job(local, top["output"]["jobId"])["status"] == "SUCCEEDED"
    assert (
        len(
            local.client("batch").list_jobs(jobQueue="highPriority-myenv", jobStatus="SUCCEEDED")[
                "jobSummaryList"
            ]
        )
        == 1
    )


def test_the_timeout_carries_over_to_the_continuations_and_terminates_the_job(cloud: Any) -> None:
    local = cloud(BatchPollMaxAttempts="10", BatchPollsPerExecution="4")
    batch_job_behaviour(local, "isaac-myenv", seconds=6 * 3600)
    first = local.start_execution("BatchJobPollerStateMachine", one_job())
    local.wait_idle(timeout=120)
    top = local.describe_execution(first)
    assert (top["status"], top["error"]) == ("FAILED", "BatchJobTimedOut")
    assert_terminated_for_its_timeout(local)
