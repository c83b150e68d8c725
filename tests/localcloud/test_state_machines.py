"""State machines run for real: Retry, Catch, Parallel, Map and Wait on the scaled clock."""

from __future__ import annotations

import itertools
import json
from typing import Any

from localcloud import LocalCloud


def test_retry_then_catch_on_a_handler_exception_uses_its_class_name(cloud: LocalCloud) -> None:
    cloud.start_execution("RetryCatchStateMachine", {"fail": "transient"})
    cloud.wait_idle(timeout=30)
    [execution] = cloud.executions("RetryCatchStateMachine")
    types = [e["type"] for e in execution["history"]]
    assert types.count("LambdaFunctionFailed") == 3  # the first try and MaxAttempts 2 retries
    failures = [
        e["lambdaFunctionFailedEventDetails"]
        for e in execution["history"]
        if e["type"] == "LambdaFunctionFailed"
    ]
    assert {f["error"] for f in failures} == {"TransientError"}
    assert "PassStateEntered" in types  # caught, then on to Recovered
    assert execution["status"] == "SUCCEEDED"
    assert execution["output"]["error"]["Error"] == "TransientError"


def test_parallel_and_map_branches_run_concurrently_each_with_its_own_environment(
    cloud: LocalCloud,
) -> None:
    a, b = cloud.attribute("RecorderA", "Arn"), cloud.attribute("RecorderB", "Arn")
    items = [
        {"fn": a if i % 2 == 0 else b, "expected": "A" if i % 2 == 0 else "B"} for i in range(8)
    ]
    cloud.start_execution("FanStateMachine", {"items": items})
    cloud.wait_idle(timeout=60)
    [execution] = cloud.executions("FanStateMachine")
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    output = execution["output"]
    assert [r["tag"] for r in output["parallel"]] == ["A", "B"]
    results = output["map"]
    assert [r["tag"] for r in results] == [i["expected"] for i in items]
    assert all(r["tag_after_hold"] == r["tag"] for r in results + output["parallel"])
    # The invocations really overlapped, so isolation was put to the test.
    spans = sorted((r["started"], r["ended"]) for r in results + output["parallel"])
    assert any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))


def test_a_one_hour_wait_finishes_in_under_a_second_at_time_scale_zero(cloud: LocalCloud) -> None:
    cloud.start_execution("HourWaitStateMachine", {})
    cloud.wait_idle(timeout=30)
    [execution] = cloud.executions("HourWaitStateMachine")
    assert execution["status"] == "SUCCEEDED"
    stamps = {e["type"]: e["timestamp"] for e in execution["history"]}
    waited = stamps["WaitStateExited"] - stamps["WaitStateEntered"]
    assert waited.total_seconds() < 1.0


def test_wait_idle_waits_for_executions_of_machines_made_through_the_api(
    cloud_factory: Any,
) -> None:
    cloud = cloud_factory(time_scale=0.01, iam="off")
    sfn = cloud.client("stepfunctions")
    definition = {
        "StartAt": "Nap",
        "States": {"Nap": {"Type": "Wait", "Seconds": 100, "End": True}},
    }
    machine = sfn.create_state_machine(
        name="made-by-hand",
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{cloud.account_id}:role/any",
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    cloud.wait_idle(timeout=30)
    assert sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED"


def test_an_execution_stopped_right_after_it_starts_is_aborted(cloud_factory: Any) -> None:
    # StopExecution: "Stops an execution." — also one whose worker has not begun yet.
    cloud = cloud_factory(time_scale=1.0, iam="off")
    sfn = cloud.client("stepfunctions")
    definition = {
        "StartAt": "Nap",
        "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "End": True}},
    }
    machine = sfn.create_state_machine(
        name="stopped-at-once",
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{cloud.account_id}:role/any",
    )["stateMachineArn"]
    for n in range(20):
        execution = sfn.start_execution(stateMachineArn=machine, name=f"run-{n}")["executionArn"]
        sfn.stop_execution(executionArn=execution)
    cloud.wait_idle(timeout=30)
    statuses = {e["status"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]}
    assert statuses == {"ABORTED"}
