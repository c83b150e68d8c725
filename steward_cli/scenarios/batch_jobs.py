"""Demo: the classic genomics input through both workflow variants, jobs taking simulated hours."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from localcloud.testing import batch_job_behaviour
from steward_cli.report import Reporter
from steward_cli.scenarios import Scenario, expect

EVENTS = Path(__file__).resolve().parents[2] / "events" / "batch_jobs"
RUNTIMES = {
    "isaac-myenv": 3 * 3600,
    "strelka-myenv": 2 * 3600,
    "snpeff-myenv": 600,
    "samtools_stats-myenv": 1200,
}


def batch_infrastructure(iam: Any, batch: Any, definitions: list[str]) -> None:
    """What the classic input refers to: an environment, its two queues, the job definitions."""
    role = iam.create_role(RoleName="batch-service", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    environment = batch.create_compute_environment(
        computeEnvironmentName="genomics", type="UNMANAGED", state="ENABLED", serviceRole=role
    )["computeEnvironmentArn"]
    for queue in ("highPriority-myenv", "lowPriority-myenv"):
        batch.create_job_queue(
            jobQueueName=queue,
            state="ENABLED",
            priority=1,
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
        )
    for definition in definitions:
        batch.register_job_definition(
            jobDefinitionName=definition,
            type="container",
            containerProperties={"image": "busybox", "vcpus": 1, "memory": 128},
        )


def _transitions(execution: dict[str, Any]) -> int:
    return sum(e["type"].endswith("StateEntered") for e in execution["history"])


def run(cloud: Any, report: Reporter, services: Any) -> None:
    batch_infrastructure(cloud.client("iam"), cloud.client("batch"), list(RUNTIMES))
    for definition, seconds in RUNTIMES.items():
        batch_job_behaviour(cloud, definition, seconds=seconds)
    workflow_input = json.loads((EVENTS / "genomics_test_input.json").read_text())
    report.step("the classic test.input.json: shared fields plus one object per tool")
    report.detail(", ".join(k for k in workflow_input if isinstance(workflow_input[k], dict)))
    report.detail(
        "simulated runtimes: isaac 3 h, strelka 2 h, samtools stats 20 min, snpEff 10 min"
    )
    for logical_id, label in (
        ("GenomicsWorkflowSyncStateMachine", "native batch:submitJob.sync"),
        ("GenomicsWorkflowStateMachine", "the poller as a nested state machine"),
    ):
        cloud.start_execution(logical_id, workflow_input)
        cloud.wait_idle(timeout=120)
        [execution] = cloud.executions(logical_id)
        report.step(f"{logical_id} ({label})")
        report.execution(execution)
        expect(
            execution["status"] == "SUCCEEDED",
            f"{logical_id} {execution['status']}: {execution['cause']}",
        )
        results = execution["output"]["results"]
        for tool, result in results.items():
            report.detail(f"{tool}: job {result['jobId'][:8]}… {result['status']}")
        own = _transitions(execution)
        nested = sum(_transitions(e) for e in cloud.executions("BatchJobPollerStateMachine"))
        report.detail(
            f"state transitions: {own} in the workflow"
            + (f", {nested} in the nested pollers" if nested else "")
        )


SCENARIO = Scenario(
    name="batch_jobs",
    title="Batch jobs: a genomics workflow with .sync and with the poller",
    run=run,
    enables=("EnableBatchJobs",),
    order=50,
)
