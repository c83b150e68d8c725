"""Step Functions semantics as AWS runs them: an inline Map fails fast, the 25,000-event history
quota, StartExecution's name reuse, the 256 KiB payload quota, the machine's own TimeoutSeconds
on the local clock, and definitions AWS refuses at creation."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud, testing
from tests.support.roles import machine_role

PAYLOAD_BYTES = 262_144


def _machine(cloud: LocalCloud, name: str, definition: dict[str, Any], *allow: str) -> str:
    """A Standard state machine whose role Step Functions may assume and that may `allow`
    lambda:InvokeFunction on these function ARNs."""
    statements = (
        [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": list(allow)}]
        if allow
        else []
    )
    role = machine_role(cloud, f"{name}-role", *statements)
    return str(
        cloud.client("stepfunctions").create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=role
        )["stateMachineArn"]
    )


def _finished(cloud: LocalCloud, execution_arn: str, timeout: float = 60.0) -> dict[str, Any]:
    """The execution once it is no longer running (`wait_idle` watches the template's machines
    only), with its whole history."""
    sfn = cloud.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"{execution_arn} still running after {timeout}s"
        time.sleep(0.02)
    return cloud.describe_execution(execution_arn)


def _run(cloud: LocalCloud, machine_arn: str, payload: Any = None) -> dict[str, Any]:
    started = cloud.client("stepfunctions").start_execution(
        stateMachineArn=machine_arn,
        input=json.dumps({} if payload is None else payload, ensure_ascii=False),
    )
    return _finished(cloud, started["executionArn"])


def _types(execution: dict[str, Any]) -> list[str]:
    return [event["type"] for event in execution["history"]]


def _iterations(execution: dict[str, Any], event_type: str) -> list[int]:
    """The indexes of the Map iterations with an event of this type, in history order."""
    key = event_type[0].lower() + event_type[1:] + "EventDetails"
    return [e[key]["index"] for e in execution["history"] if e["type"] == event_type]


def _wait(seconds: int, then: str | None = None) -> dict[str, Any]:
    return {"Type": "Wait", "Seconds": seconds, **({"Next": then} if then else {"End": True})}


# ------------------------------------------------------------------ inline Map fails fast

# Item 1 fails after 100 s; item 0 is then still in its 2,000 s Wait. At time scale 0.001 that
# is 0.1 s and 2 s of real time: item 0 is surely running when item 1 fails.
FAIL_FAST_MAP = {
    "StartAt": "Each",
    "States": {
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "MaxConcurrency": 2,
            "ItemProcessor": {
                "StartAt": "Which",
                "States": {
                    "Which": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$", "NumericEquals": 1, "Next": "Shortly"}],
                        "Default": "Slowly",
                    },
                    "Shortly": _wait(100, "Fails"),
                    "Fails": {"Type": "Fail", "Error": "Bad", "Cause": "item one"},
                    "Slowly": _wait(2000),
                },
            },
            "Catch": [{"ErrorEquals": ["Bad"], "ResultPath": "$.error", "Next": "Caught"}],
            "End": True,
        },
        "Caught": {"Type": "Pass", "End": True},
    },
}


def test_an_inline_map_aborts_its_running_iterations_and_starts_no_more_when_one_fails(
    cloud_factory: Any,
) -> None:
    # AWS Step Functions Developer Guide, "Map" (ItemsPath): "If any iteration fails, entire
    # Map state fails, and all iterations are terminated." "Using Map state in Inline mode":
    # "Step Functions adds the execution history of these iterations to the parent workflow's
    # execution history." API reference, HistoryEvent: mapIterationAbortedEventDetails
    # "Contains details about an iteration of a Map state that was aborted."
    cloud: LocalCloud = cloud_factory(time_scale=0.001)
    execution = _run(cloud, _machine(cloud, "fail-fast", FAIL_FAST_MAP), {"items": [0, 1, 2, 3]})
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    # The failing iteration's error is the Map state's, for its Catch.
    assert execution["output"]["error"] == {"Error": "Bad", "Cause": "item one"}
    assert _iterations(execution, "MapIterationStarted") == [0, 1]  # 2 and 3 never start
    assert _iterations(execution, "MapIterationFailed") == [1]
    assert _iterations(execution, "MapIterationAborted") == [0]
    assert _iterations(execution, "MapIterationSucceeded") == []
    types = _types(execution)
    # Item 0 is stopped before the Map state fails, not left running behind the Catch.
    assert types.index("MapIterationAborted") < types.index("MapStateFailed")
    assert types.count("WaitStateExited") == 1  # item 1's short wait only


def test_an_iteration_that_catches_its_own_error_leaves_its_siblings_running(
    cloud: LocalCloud,
) -> None:
    # "Map": "If any iteration fails, entire Map state fails" — an error the iteration catches
    # itself does not fail the iteration.
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "StartAt": "Try",
                    "States": {
                        "Try": {
                            "Type": "Parallel",
                            "Branches": [
                                {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}
                            ],
                            "Catch": [{"ErrorEquals": ["E"], "Next": "Recovered"}],
                            "End": True,
                        },
                        "Recovered": {"Type": "Pass", "Result": "recovered", "End": True},
                    },
                },
                "End": True,
            }
        },
    }
    execution = _run(cloud, _machine(cloud, "own-catch", definition), {"items": [0, 1, 2]})
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    assert execution["output"] == ["recovered"] * 3
    assert sorted(_iterations(execution, "MapIterationSucceeded")) == [0, 1, 2]
    assert _iterations(execution, "MapIterationAborted") == []


def test_max_concurrency_one_runs_the_iterations_one_after_another(cloud: LocalCloud) -> None:
    # Amazon States Language, Map State: "The MaxConcurrency field's value is an integer that
    # provides an upper bound on how many invocations of the Iterator may run in parallel."
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 1,
                "ItemProcessor": {"StartAt": "Hold", "States": {"Hold": _wait(10)}},
                "End": True,
            }
        },
    }
    execution = _run(cloud, _machine(cloud, "one-by-one", definition), {"items": [0, 1, 2]})
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    assert execution["output"] == [0, 1, 2]
    sequence = [
        (e["type"], e[e["type"][0].lower() + e["type"][1:] + "EventDetails"]["index"])
        for e in execution["history"]
        if e["type"] in ("MapIterationStarted", "MapIterationSucceeded")
    ]
    assert sequence == [
        (kind, index)
        for index in range(3)
        for kind in ("MapIterationStarted", "MapIterationSucceeded")
    ]


# ------------------------------------------------------------------ 25,000 history events


def _counter_loop(rounds: int) -> dict[str, Any]:
    """1 + 2 + 4 × rounds + 3 events: ExecutionStarted, Init, each round's Inc and Check, and
    Done's two events with ExecutionSucceeded."""
    return {
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Result": {"n": 0}, "Next": "Inc"},
            "Inc": {
                "Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.n, 1)"},
                "Next": "Check",
            },
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericLessThan": rounds, "Next": "Inc"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }


def test_a_looping_execution_fails_with_its_quota_th_event_as_execution_failed(
    cloud: LocalCloud,
) -> None:
    # Quotas for Standard Workflows: "Maximum execution history size: 25,000 events. If the
    # execution history reaches this quota, the execution will fail." "Avoid reaching the
    # history quota": "If the event number 25,000 isn't ExecutionSucceeded, the ExecutionFailed
    # event is logged and the state machine execution fails because of reaching the history
    # limit". The documentation names no error; AWS reports States.Runtime, "The execution
    # reached the maximum number of history events (25000)." (as its users quote it). The
    # quota is lowered to 60 here, with the same behaviour, to keep the test short.
    machine = _machine(cloud, "loop", _counter_loop(1000))
    with testing.history_quota(cloud, 60):
        execution = _run(cloud, machine)
    assert (execution["status"], execution["error"], execution["cause"]) == (
        "FAILED",
        "States.Runtime",
        "The execution reached the maximum number of history events (60).",
    )
    history = execution["history"]
    assert [e["id"] for e in history] == list(range(1, 61))  # nothing after event 60
    assert history[-1]["type"] == "ExecutionFailed"
    assert history[-1]["executionFailedEventDetails"]["error"] == "States.Runtime"
    assert history[-2]["type"].endswith(("StateEntered", "StateExited"))


def test_an_execution_whose_quota_th_event_is_execution_succeeded_succeeds(
    cloud: LocalCloud,
) -> None:
    # "Avoid reaching the history quota": "When an execution reaches 24,999 events, it waits
    # for the next event to happen. If the event number 25,000 is ExecutionSucceeded, the
    # execution finishes successfully." Ten rounds make 46 events.
    machine = _machine(cloud, "loop", _counter_loop(10))
    with testing.history_quota(cloud, 46):
        exact = _run(cloud, machine)
    with testing.history_quota(cloud, 45):
        short = _run(cloud, machine)
    assert exact["status"] == "SUCCEEDED", exact["cause"]
    assert (exact["history"][-1]["id"], exact["history"][-1]["type"]) == (46, "ExecutionSucceeded")
    assert (short["status"], short["error"]) == ("FAILED", "States.Runtime")
    assert (short["history"][-1]["id"], short["history"][-1]["type"]) == (45, "ExecutionFailed")


# ------------------------------------------------------------------ StartExecution names


def test_start_execution_with_the_name_and_input_of_a_running_execution_returns_it(
    cloud_factory: Any,
) -> None:
    # API reference, StartExecution: "StartExecution is idempotent for STANDARD workflows. For
    # a STANDARD workflow, if you call StartExecution with the same name and input as a running
    # execution, the call succeeds and return the same response as the original request. If
    # the execution is closed or if the input is different, it returns a 400
    # ExecutionAlreadyExists error."
    cloud: LocalCloud = cloud_factory(time_scale=1.0)  # the hour's Wait keeps it running
    sfn = cloud.client("stepfunctions")
    machine = _machine(cloud, "names", {"StartAt": "W", "States": {"W": _wait(3600)}})
    first = sfn.start_execution(stateMachineArn=machine, name="run", input='{"a": 1}')
    started = [first["executionArn"]]
    try:
        again = sfn.start_execution(stateMachineArn=machine, name="run", input='{"a": 1}')
        assert (again["executionArn"], again["startDate"]) == (
            first["executionArn"],
            first["startDate"],
        )
        with pytest.raises(ClientError) as different:
            sfn.start_execution(stateMachineArn=machine, name="run", input='{"a": 2}')
        assert different.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
        # No input at all, twice: the same request, so the same execution.
        bare = sfn.start_execution(stateMachineArn=machine, name="bare")["executionArn"]
        started.append(bare)
        assert sfn.start_execution(stateMachineArn=machine, name="bare")["executionArn"] == bare
    finally:
        for arn in started:
            sfn.stop_execution(executionArn=arn)
            _finished(cloud, arn)
    with pytest.raises(ClientError) as closed:
        sfn.start_execution(stateMachineArn=machine, name="run", input='{"a": 1}')
    assert closed.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 2


# ------------------------------------------------------------------ 256 KiB payloads


def _repeater(template: str) -> dict[str, Any]:
    """A Pass state whose output is {"x": <the template, $.s in each of its {}>}."""
    arguments = ", ".join(["$.s"] * template.count("{}"))
    return {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Pass",
                "Parameters": {"x.$": f"States.Format('{template}', {arguments})"},
                "End": True,
            }
        },
    }


def test_a_state_output_may_be_262144_utf8_bytes_and_not_one_more(cloud: LocalCloud) -> None:
    # Quotas for Standard Workflows: "Maximum input or output size for a task, state, or
    # execution: 262,144 bytes of data as a UTF-8 encoded string." "é" is two bytes in UTF-8:
    # {"x":"<4 × 65,534 bytes>"} is 8 + 262,136 = 262,144 bytes as Step Functions writes it.
    text = {"s": "é" * 65_534}
    exact = _run(cloud, _machine(cloud, "exact", _repeater("{}{}")), text)
    over = _run(cloud, _machine(cloud, "over", _repeater("{}{}!")), text)
    assert exact["status"] == "SUCCEEDED", exact["cause"]
    assert len(json.dumps(exact["output"], separators=(",", ":"), ensure_ascii=False).encode()) == (
        PAYLOAD_BYTES
    )
    assert (over["status"], over["error"], over["cause"]) == (
        "FAILED",
        "States.DataLimitExceeded",
        "The state/task 'P' returned a result with a size exceeding the maximum number of "
        "bytes service limit.",
    )


def _oversized_branch(*catch: str) -> dict[str, Any]:
    """A Parallel state whose one branch's output exceeds the quota, retried and caught."""
    return {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [_repeater("{}{}{}")],
                "Retry": [{"ErrorEquals": list(catch), "MaxAttempts": 2, "IntervalSeconds": 1}],
                "Catch": [{"ErrorEquals": list(catch), "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }


def test_states_all_neither_retries_nor_catches_data_limit_exceeded(cloud: LocalCloud) -> None:
    # "Handling errors in Step Functions workflows": "The States.ALL error type must appear
    # alone in a Catcher and cannot catch the States.DataLimitExceeded terminal error or
    # Runtime error types." States.DataLimitExceeded: "A terminal error which cannot be caught
    # by the States.ALL error type." Naming the error is not excluded, and catches it.
    # The branch's output repeats $.s three times: 3 × 100,000 bytes.
    text = {"s": "x" * 100_000}
    wildcard = _run(cloud, _machine(cloud, "wildcard", _oversized_branch("States.ALL")), text)
    named = _run(
        cloud, _machine(cloud, "named", _oversized_branch("States.DataLimitExceeded")), text
    )
    assert (wildcard["status"], wildcard["error"]) == ("FAILED", "States.DataLimitExceeded")
    assert _types(wildcard).count("ParallelStateStarted") == 1  # not retried
    assert named["status"] == "SUCCEEDED", named["cause"]
    assert _types(named).count("ParallelStateStarted") == 3  # retried twice, then caught


def test_a_task_input_over_the_quota_after_parameters_fails_before_its_function_runs(
    cloud: LocalCloud,
) -> None:
    # States.DataLimitExceeded is "Reported due to the following conditions: ... After
    # Parameters processing, the input of a state is larger than the payload size quota."
    # (The documentation gives no cause text for this one.)
    function = cloud.attribute("RecorderA", "Arn")
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": function,
                    "Payload": {"x.$": "States.Format('{}{}{}', $.s, $.s, $.s)"},
                },
                "End": True,
            }
        },
    }
    execution = _run(cloud, _machine(cloud, "big-call", definition, function), {"s": "x" * 100_000})
    assert (execution["status"], execution["error"]) == ("FAILED", "States.DataLimitExceeded")
    assert "TaskScheduled" not in _types(execution)
    assert cloud.function_log("RecorderA") == []


def test_start_execution_refuses_an_input_over_262144_utf8_bytes(cloud: LocalCloud) -> None:
    # API reference, StartExecution, input: "Length constraints apply to the payload size, and
    # are expressed as bytes in UTF-8 encoding." Maximum length of 262144. ValidationException:
    # "The input does not satisfy the constraints specified by an AWS service."
    sfn = cloud.client("stepfunctions")
    machine = _machine(
        cloud, "inputs", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    )
    exact = '{"s":"' + "é" * 131_068 + '"}'  # 8 + 262,136 bytes
    assert len(exact.encode()) == PAYLOAD_BYTES
    started = sfn.start_execution(stateMachineArn=machine, input=exact)
    assert _finished(cloud, started["executionArn"])["status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as caught:
        sfn.start_execution(stateMachineArn=machine, input=exact[:-2] + 'a"}')
    assert caught.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value at 'input' failed to satisfy constraint: "
        "Member must have length less than or equal to 262144",
    }


# ------------------------------------------------------------------ TimeoutSeconds


def test_an_execution_times_out_at_its_timeout_seconds_on_the_local_clock(
    cloud: LocalCloud,
) -> None:
    # Amazon States Language, top-level fields: "TimeoutSeconds (Optional) The maximum number
    # of seconds an execution of the state machine can run. If it runs longer than the
    # specified time, the execution fails with a States.Timeout Error Name." At time scale 0
    # the hour's Wait takes no real time, but the local clock counts it: the execution's
    # minute is spent first.
    definition = {"StartAt": "W", "TimeoutSeconds": 60, "States": {"W": _wait(3600)}}
    before = cloud.clock.now()
    execution = _run(cloud, _machine(cloud, "minute", definition))
    assert execution["status"] == "TIMED_OUT"
    assert (execution["error"], execution["cause"]) == (None, None)  # States.Timeout: history
    assert _types(execution) == ["ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"]
    assert execution["history"][-1]["executionTimedOutEventDetails"] == {"error": "States.Timeout"}
    assert 60 <= cloud.clock.now() - before < 3600  # stopped at the budget, not at the hour


@pytest.mark.parametrize(
    ("name", "states", "status"),
    [
        # Two 40-minute branches side by side spend 40 minutes of the hour.
        (
            "side-by-side",
            {
                "Both": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "A", "States": {"A": _wait(2400)}},
                        {"StartAt": "B", "States": {"B": _wait(2400)}},
                    ],
                    "End": True,
                }
            },
            "SUCCEEDED",
        ),
        # The same two waits one after the other spend 80 minutes.
        ("in-turn", {"Both": _wait(2400, "Then"), "Then": _wait(2400)}, "TIMED_OUT"),
        # Retry intervals count too: 50 minutes, then 100 that the budget cuts short.
        (
            "retried",
            {
                "Both": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "no-such-function"},
                    "Retry": [
                        {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3000, "MaxAttempts": 2}
                    ],
                    "End": True,
                }
            },
            "TIMED_OUT",
        ),
    ],
)
def test_the_timeout_counts_what_the_local_clock_counts_along_each_path(
    cloud: LocalCloud, name: str, states: dict[str, Any], status: str
) -> None:
    # "TimeoutSeconds ... The maximum number of seconds an execution of the state machine can
    # run": Parallel branches run at the same time, so their waits overlap.
    definition = {"StartAt": "Both", "TimeoutSeconds": 3600, "States": states}
    execution = _run(cloud, _machine(cloud, name, definition, "*"))
    assert execution["status"] == status, _types(execution)


# ------------------------------------------------------------------ definitions AWS refuses


def _with_intrinsic(call: str) -> dict[str, Any]:
    """The call in a Pass state inside a Map's item processor."""
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "Parameters": {"v.$": call}, "End": True}},
                },
                "End": True,
            }
        },
    }


@pytest.mark.parametrize(
    "call",
    [
        "States.Format('a\\qb')",  # \q: not an escape intrinsic functions define
        "States.Format('line\\nbreak')",  # nor \n
        "States.Format('it's {}', $.name)",  # the ' not escaped: the literal never closes
    ],
)
def test_create_state_machine_refuses_a_string_argument_with_an_escape_aws_does_not_define(
    cloud: LocalCloud, call: str
) -> None:
    # "Intrinsic functions", "Reserved characters in intrinsic functions": "The following
    # characters are reserved for intrinsic functions, and must be escaped with a backslash
    # ('\') if you want them to appear in the Value: ' { } and \. If the character \ needs to
    # appear as part of the value without serving as an escape character, it must first be
    # escaped with a backslash." The message is the API's, as CloudFormation passes it on:
    # "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for the field
    # 'Variable.$' must be a valid JSONPath or a valid intrinsic function call at
    # /States/Pass/Assign'".
    with pytest.raises(ClientError) as caught:
        _machine(cloud, "escapes", _with_intrinsic(call))
    assert caught.value.response["Error"] == {
        "Code": "InvalidDefinition",
        "Message": "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for "
        "the field 'v.$' must be a valid JSONPath or a valid intrinsic function call at "
        "/States/Each/ItemProcessor/States/P/Parameters'",
    }


def test_the_four_escapes_intrinsic_functions_define_are_accepted_and_checked_on_update(
    cloud: LocalCloud,
) -> None:
    # "Reserved characters for intrinsic invocations are escaped as follows: The literal string
    # \' represents '. The literal string \{ represents {. The literal string \} represents }.
    # The literal string \\ represents \." UpdateStateMachine validates the definition it is
    # given as CreateStateMachine does.
    sfn = cloud.client("stepfunctions")
    machine = _machine(
        cloud, "escapes", _with_intrinsic("States.Format('it\\'s \\{\\} \\\\ {}', $)")
    )
    with pytest.raises(ClientError) as caught:
        sfn.update_state_machine(
            stateMachineArn=machine, definition=json.dumps(_with_intrinsic("States.Format('\\x')"))
        )
    assert caught.value.response["Error"]["Code"] == "InvalidDefinition"
