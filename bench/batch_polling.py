"""Benchmark: what one AWS Batch job costs in Step Functions and Lambda, poller against .sync.

Steward's poller (`BatchJobPollerStateMachine` in template.yaml) submits a job with a Lambda
function, then loops GetJobStatus (Lambda) -> JobDone (Choice) -> WaitBeforePolling (Wait, 30 s
by default) -> CountPoll (Pass) until the job ends. Its peer is one Task state with the native
`arn:aws:states:::batch:submitJob.sync` integration (bench/batch_sync/), where Step Functions
waits for the job itself.

For each job duration (60 s, 10 min, 1 h, 6 h) one job runs through each design on the local
cloud. Batch jobs run for a nominal time on the local cloud's virtual clock
(`localcloud.testing.batch_job_behaviour`), which Wait states and .sync polls advance, so a 6-hour job
takes seconds. Counted from each execution's history:

- state transitions: events whose type ends in "StateEntered". Step Functions bills Standard
  workflows "a state transition each time a step of your workflow is executed" (retries
  included), and every step executed enters a state once;
- Lambda invocations: "TaskScheduled" events with resourceType "lambda"
  (arn:aws:states:::lambda:invoke), plus "LambdaFunctionScheduled" (a function ARN as Resource).

Prices (us-east-1, as of 2026-11):
- Step Functions Standard: $0.025 per 1,000 state transitions
  (https://aws.amazon.com/step-functions/pricing/);
- Lambda: $0.20 per 1M requests, plus $0.0000133334 per GB-second on arm64
  (https://aws.amazon.com/lambda/pricing/); assumed 128 MB (the functions' MemorySize) and
  100 ms per invocation (not measured on the local cloud). Free tiers are ignored.
The .sync integration's own Batch DescribeJobs calls are not billed by Step Functions.

Self-checks (exit 1 if one fails): every execution SUCCEEDED with the job SUCCEEDED; the virtual
clock moved on by at least the job's duration during each run; the poller's transitions grow
with the duration while .sync's transitions and Lambda invocations stay the same.

    .venv/bin/python bench/batch_polling.py [--durations 60 600 3600 21600]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

STEWARD_TEMPLATE = REPO / "template.yaml"
SYNC_TEMPLATE = REPO / "bench" / "batch_sync" / "template.yaml"
POLLER = "BatchJobPollerStateMachine"
SYNC = "OneJobSyncStateMachine"

QUEUE = "bench-queue"
DEFINITION = "bench-job"
JOB_INPUT = {
    "job": {"name": "bench", "queue": QUEUE, "definition": DEFINITION, "command": ["true"]}
}
DEFAULT_DURATIONS = (60, 600, 3600, 21600)
POLL_INTERVAL_S = 30  # BatchPollIntervalSeconds' default in template.yaml

# ------------------------------------------------------------------ prices (us-east-1, 2026-11)
PRICES_AS_OF = "2026-11, us-east-1"
SFN_PRICING = "https://aws.amazon.com/step-functions/pricing/"
LAMBDA_PRICING = "https://aws.amazon.com/lambda/pricing/"
USD_PER_TRANSITION = 0.025 / 1_000  # Standard workflows
USD_PER_LAMBDA_REQUEST = 0.20 / 1_000_000
USD_PER_GB_SECOND_ARM64 = 0.0000133334
LAMBDA_MEMORY_GB = 128 / 1024  # MemorySize of BatchSubmitJobFunction and BatchJobStatusFunction
LAMBDA_SECONDS = 0.100  # assumed billed duration of one invocation
USD_PER_INVOCATION = USD_PER_LAMBDA_REQUEST + LAMBDA_MEMORY_GB * LAMBDA_SECONDS * (
    USD_PER_GB_SECOND_ARM64
)
JOBS = 1_000


@dataclass(frozen=True)
class Run:
    design: str
    seconds: int
    status: str
    job_status: str | None
    transitions: int
    invocations: int
    virtual_seconds: float
    real_seconds: float

    @property
    def usd_per_1000_jobs(self) -> float:
        return JOBS * (
            self.transitions * USD_PER_TRANSITION + self.invocations * USD_PER_INVOCATION
        )


def transitions(history: list[dict[str, Any]]) -> int:
    """Billed state transitions of a Standard workflow: states entered."""
    return sum(1 for event in history if event["type"].endswith("StateEntered"))


def lambda_invocations(history: list[dict[str, Any]]) -> int:
    return sum(
        1
        for event in history
        if event["type"] == "LambdaFunctionScheduled"
        or (
            event["type"] == "TaskScheduled"
            and event["taskScheduledEventDetails"]["resourceType"] == "lambda"
        )
    )


def create_batch(cloud: Any) -> None:
    """An unmanaged compute environment, the bench queue and job definition (no Docker)."""
    iam, batch = cloud.client("iam"), cloud.client("batch")
    role = iam.create_role(
        RoleName="bench-batch-service",
        AssumeRolePolicyDocument=(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",'
            ' "Principal": {"Service": "batch.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
        ),
    )["Role"]["Arn"]
    env = batch.create_compute_environment(
        computeEnvironmentName="env", type="UNMANAGED", state="ENABLED", serviceRole=role
    )["computeEnvironmentArn"]
    batch.create_job_queue(
        jobQueueName=QUEUE,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}],
    )
    batch.register_job_definition(
        jobDefinitionName=DEFINITION,
        type="container",
        containerProperties={"image": "busybox", "vcpus": 1, "memory": 128},
    )


def measure(
    design: str,
    template: Path,
    parameters: dict[str, str],
    state_machine: str,
    durations: list[int],
) -> list[Run]:
    """One job of each duration through `state_machine`, one after the other, in one cloud."""
    from localcloud import LocalCloud
    from localcloud.testing import batch_job_behaviour

    runs: list[Run] = []
    with LocalCloud(template=template, parameters=parameters, time_scale=0.0) as cloud:
        create_batch(cloud)
        for seconds in durations:
            batch_job_behaviour(cloud, DEFINITION, seconds=seconds, outcome="SUCCEEDED")
            virtual, real = cloud.clock.now(), time.monotonic()
            arn = cloud.start_execution(state_machine, JOB_INPUT)
            cloud.wait_idle(timeout=max(120.0, seconds / 60))
            real = time.monotonic() - real
            virtual = cloud.clock.now() - virtual
            execution = cloud.describe_execution(arn)
            output = execution["output"] if isinstance(execution["output"], dict) else {}
            # The poller ends with its input and the job's status; .sync with {JobId, Status}.
            job_status = (output.get("status") or {}).get("status") or output.get("Status")
            runs.append(
                Run(
                    design=design,
                    seconds=seconds,
                    status=execution["status"],
                    job_status=job_status,
                    transitions=transitions(execution["history"]),
                    invocations=lambda_invocations(execution["history"]),
                    virtual_seconds=virtual,
                    real_seconds=real,
                )
            )
            if execution["status"] != "SUCCEEDED":
                print(
                    f"{design} {seconds}s: {execution['status']}"
                    f" {execution['error']}: {execution['cause']}",
                    file=sys.stderr,
                )
    return runs


def label(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0 and seconds >= 600:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def report(poller: list[Run], sync: list[Run]) -> str:
    head = (
        f"{'job':>7} | {'poller':>11} {'poller':>7} {'$/1000':>8} |"
        f" {'.sync':>11} {'.sync':>7} {'$/1000':>8} | {'poller/.sync':>12}"
    )
    sub = (
        f"{'':>7} | {'transitions':>11} {'Lambda':>7} {'jobs':>8} |"
        f" {'transitions':>11} {'Lambda':>7} {'jobs':>8} | {'cost':>12}"
    )
    lines = [head, sub, "-" * len(head)]
    for p, s in zip(poller, sync, strict=True):
        ratio = p.usd_per_1000_jobs / s.usd_per_1000_jobs if s.usd_per_1000_jobs else float("inf")
        lines.append(
            f"{label(p.seconds):>7} | {p.transitions:>11} {p.invocations:>7}"
            f" {p.usd_per_1000_jobs:>8.4f} | {s.transitions:>11} {s.invocations:>7}"
            f" {s.usd_per_1000_jobs:>8.4f} | {ratio:>11.0f}x"
        )
    lines += [
        "",
        f"Prices ({PRICES_AS_OF}): Step Functions Standard ${USD_PER_TRANSITION * 1000:.3f}"
        f" per 1,000 transitions ({SFN_PRICING});",
        f"Lambda ${USD_PER_LAMBDA_REQUEST * 1e6:.2f} per 1M requests"
        f" + ${USD_PER_GB_SECOND_ARM64:.10f} per GB-s arm64 ({LAMBDA_PRICING}),",
        f"assuming {LAMBDA_MEMORY_GB * 1024:.0f} MB and {LAMBDA_SECONDS * 1000:.0f} ms per"
        f" invocation = ${USD_PER_INVOCATION:.10f} per invocation. Free tiers ignored.",
        'Transitions = history events whose type ends in "StateEntered"; Lambda invocations ='
        ' TaskScheduled(resourceType "lambda") + LambdaFunctionScheduled.',
        "",
        "Runs (virtual seconds the local cloud's clock moved on; real seconds they took):",
    ]
    for run in (*poller, *sync):
        lines.append(
            f"  {run.design:6} {label(run.seconds):>7}: {run.status}, job {run.job_status},"
            f" virtual {run.virtual_seconds:8.0f} s, real {run.real_seconds:6.1f} s"
        )
    return "\n".join(lines)


def self_check(poller: list[Run], sync: list[Run]) -> list[str]:
    problems: list[str] = []
    for run in (*poller, *sync):
        if run.status != "SUCCEEDED" or run.job_status != "SUCCEEDED":
            problems.append(
                f"{run.design} {label(run.seconds)}: execution {run.status}, job {run.job_status}"
            )
        if run.virtual_seconds < run.seconds:
            problems.append(
                f"{run.design} {label(run.seconds)}: ended after {run.virtual_seconds:.0f} virtual"
                f" seconds, before the job's {run.seconds}"
            )
    if len(poller) >= 2:
        counts = [r.transitions for r in poller]
        if any(b <= a for a, b in pairwise(counts)):
            problems.append(f"poller transitions do not grow with the duration: {counts}")
        if len({(r.transitions, r.invocations) for r in sync}) != 1:
            problems.append(
                ".sync is not flat: "
                f"{[(r.transitions, r.invocations) for r in sync]} (transitions, invocations)"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--durations",
        type=int,
        nargs="+",
        default=list(DEFAULT_DURATIONS),
        help="job durations in seconds (default: 60 600 3600 21600)",
    )
    from localcloud.testing import only

    args = parser.parse_args(argv)
    durations = sorted(set(args.durations))
    started = time.monotonic()
    poller = measure(
        "poller", STEWARD_TEMPLATE, only(STEWARD_TEMPLATE, "EnableBatchJobs"), POLLER, durations
    )
    sync = measure(".sync", SYNC_TEMPLATE, {}, SYNC, durations)
    print(report(poller, sync))
    print(f"\nTotal real time: {time.monotonic() - started:.1f} s")
    problems = self_check(poller, sync)
    if problems:
        print("\nFAIL:\n  " + "\n  ".join(problems))
        return 1
    span = (poller[-1].seconds - poller[0].seconds) / POLL_INTERVAL_S
    per_poll = (poller[-1].transitions - poller[0].transitions) / span if span else 0.0
    print(
        "\nOK: every execution SUCCEEDED; the poller's transitions grow with the job's duration"
        f" ({per_poll:.1f} per {POLL_INTERVAL_S} s poll) while .sync's stay flat"
        f" at {sync[0].transitions} transition(s) and {sync[0].invocations} Lambda invocation(s)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
