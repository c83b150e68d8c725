"""TestState as the Step Functions API Reference ("TestState") and the Developer Guide
("Testing state machines with TestState API") describe it: "Accepts the definition of a single
state and executes it. You can test a state without creating a state machine or updating an
existing state machine."
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from tests.support.paths import LOCALCLOUD_TEMPLATES


@pytest.fixture
def cloud(cloud_factory: Any) -> LocalCloud:
    made: LocalCloud = cloud_factory(template=LOCALCLOUD_TEMPLATES / "sfn_redrive.yaml")
    return made


def _test(cloud: LocalCloud, state: dict[str, Any], **options: Any) -> dict[str, Any]:
    options.setdefault("roleArn", cloud.attribute("MachineRole", "Arn"))
    if options["roleArn"] is None:  # no role at all
        del options["roleArn"]
    answer = cloud.client("stepfunctions").test_state(definition=json.dumps(state), **options)
    answer.pop("ResponseMetadata")
    return dict(answer)


def _refused(cloud: LocalCloud, state: dict[str, Any], **options: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        _test(cloud, state, **options)
    return dict(caught.value.response["Error"])


def _send_to_work(cloud: LocalCloud, **fields: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": cloud.physical_id("Work"), "MessageBody": "tested"},
        **fields,
    }


def _grant_work(cloud: LocalCloud) -> None:
    cloud.client("iam").put_role_policy(
        RoleName=cloud.physical_id("MachineRole"),
        PolicyName="Work",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sqs:SendMessage",
                        "Resource": cloud.attribute("Work", "Arn"),
                    }
                ],
            }
        ),
    )


def test_a_choice_state_answers_its_output_and_next_state(cloud: LocalCloud) -> None:
    # Developer Guide, "Example 1: Using INFO inspectionLevel to test a Choice state": the
    # answer is {"output": "{\"number\": 2}", "nextState": "Equals 2", "status": "SUCCEEDED"}.
    choice = {
        "Type": "Choice",
        "Choices": [
            {"Variable": "$.number", "NumericEquals": 1, "Next": "Equals 1"},
            {"Variable": "$.number", "NumericEquals": 2, "Next": "Equals 2"},
        ],
        "Default": "No Match",
    }
    answer = _test(cloud, choice, input='{"number": 2}')
    assert json.loads(answer.pop("output")) == {"number": 2}
    assert answer == {"nextState": "Equals 2", "status": "SUCCEEDED"}


def test_debug_shows_each_step_of_input_and_output_processing(cloud: LocalCloud) -> None:
    # "Example 2: Using DEBUG inspectionLevel to debug input and output data processing in a
    # Pass state" answers output "1", nextState "Another State", status SUCCEEDED and
    # inspectionData {"input": "{\"payload\": {\"foo\": \"bar\"}}", "afterInputPath":
    # "{\"foo\":\"bar\"}", "afterParameters": "{\"data\":1}", "afterResultSelector":
    # "{\"data\":1}", "afterResultPath": "{\"payload\":{\"foo\":\"bar\"},\"result\":{\"data\":1}}"}.
    passing = {
        "Type": "Pass",
        "InputPath": "$.payload",
        "Parameters": {"data": 1},
        "ResultPath": "$.result",
        "OutputPath": "$.result.data",
        "Next": "Another State",
    }
    answer = _test(cloud, passing, input='{"payload": {"foo": "bar"}}', inspectionLevel="DEBUG")
    assert answer == {
        "output": "1",
        "inspectionData": {
            "input": '{"payload": {"foo": "bar"}}',
            "afterInputPath": '{"foo":"bar"}',
            "afterParameters": '{"data":1}',
            "afterResultSelector": '{"data":1}',
            "afterResultPath": '{"payload":{"foo":"bar"},"result":{"data":1}}',
        },
        "nextState": "Another State",
        "status": "SUCCEEDED",
    }
    # INFO, the default: "Shows the final state output."
    assert "inspectionData" not in _test(cloud, passing, input='{"payload": {"foo": "bar"}}')


def test_a_task_calls_with_the_role_it_is_given(cloud: LocalCloud) -> None:
    # "The TestState API assumes an IAM role which must contain the required IAM permissions
    # for the resources your state is accessing."
    denied = _test(cloud, _send_to_work(cloud, End=True))
    assert denied["status"] == "FAILED"
    assert "is not authorized to perform: sqs:SendMessage" in denied["cause"]
    _grant_work(cloud)
    sent = _test(cloud, _send_to_work(cloud, End=True))
    assert sent["status"] == "SUCCEEDED"
    assert "MessageId" in json.loads(sent["output"])
    got = cloud.client("sqs").receive_message(QueueUrl=cloud.physical_id("Work"))
    assert [m["Body"] for m in got["Messages"]] == ["tested"]
    # "When you are not using mocks, you must provide an execution role that contains the
    # required permissions for the resources your state accesses."
    assert _refused(cloud, _send_to_work(cloud, End=True), roleArn=None)["Code"] == (
        "ValidationException"
    )


def test_a_failure_a_retrier_would_retry_is_retriable_and_runs_once(cloud: LocalCloud) -> None:
    # "Testing retry and error handling": with IntervalSeconds 2, BackoffRate 2.0 and
    # stateConfiguration {"retrierRetryCount": 1}, "The error is retriable (status:
    # RETRIABLE)", "The backoff duration is 4 seconds (2 × 2.0^1)", "The first Retry (index 0)
    # applies" (here the second Retrier, the first not matching).
    retrying = _send_to_work(
        cloud,
        Retry=[
            {"ErrorEquals": ["Some.OtherError"], "MaxAttempts": 5},
            {
                "ErrorEquals": ["States.ALL"],
                "IntervalSeconds": 2,
                "MaxAttempts": 3,
                "BackoffRate": 2.0,
            },
        ],
        End=True,
    )
    denials = len(cloud.iam.denials)
    answer = _test(
        cloud, retrying, inspectionLevel="DEBUG", stateConfiguration={"retrierRetryCount": 1}
    )
    assert answer["status"] == "RETRIABLE"
    assert answer["inspectionData"]["errorDetails"] == {
        "retryIndex": 1,
        "retryBackoffIntervalSeconds": 4,
    }
    assert len(cloud.iam.denials) == denials + 1  # one attempt: TestState does not retry
    # "You can also test what happens when all retry attempts are exhausted": MaxAttempts 3
    # after 3 attempts, and nothing catches it.
    exhausted = _test(cloud, retrying, stateConfiguration={"retrierRetryCount": 3})
    assert exhausted["status"] == "FAILED"


def test_a_caught_failure_names_the_catcher_and_its_next_state(cloud: LocalCloud) -> None:
    # "Testing catch handlers": "the error is caught (status: CAUGHT_ERROR)", "the next state
    # is HandleThrottling", "the error information is added to the output via ResultPath",
    # "the first Catch handler (index 0) caught the error".
    catching = _send_to_work(
        cloud,
        Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handle"}],
        Next="Success",
    )
    answer = _test(cloud, catching, input='{"data": "value"}', inspectionLevel="DEBUG")
    assert (answer["status"], answer["nextState"]) == ("CAUGHT_ERROR", "Handle")
    assert answer["inspectionData"]["errorDetails"] == {"catchIndex": 0}
    output = json.loads(answer["output"])
    assert output["data"] == "value"
    assert output["error"] == {"Error": answer["error"], "Cause": answer["cause"]}


def test_a_state_of_a_whole_state_machine_is_tested_by_name(cloud: LocalCloud) -> None:
    # stateName: "Denotes the particular state within a state machine definition to be
    # tested. If this field is specified, the definition must contain a fully-formed state
    # machine definition."
    machine = {
        "StartAt": "First",
        "States": {
            "First": {"Type": "Pass", "Next": "Second"},
            "Second": {"Type": "Pass", "Result": {"second": True}, "Next": "Third"},
            "Third": {"Type": "Succeed"},
        },
    }
    answer = _test(cloud, machine, stateName="Second")
    assert (json.loads(answer["output"]), answer["nextState"]) == ({"second": True}, "Third")
    assert _refused(cloud, machine, stateName="Fourth")["Code"] == "ValidationException"


def test_a_fail_state_answers_its_error_and_cause(cloud: LocalCloud) -> None:
    # TestStateOutput: "error: The error returned when the execution of a state fails.
    # cause: A detailed explanation of the cause for the error".
    answer = _test(cloud, {"Type": "Fail", "Error": "Broken", "Cause": "it broke"})
    assert answer == {"status": "FAILED", "error": "Broken", "cause": "it broke"}


def test_variables_given_are_used_and_reported(cloud: LocalCloud) -> None:
    # variables: "JSON object literal that sets variables used in the state under test."
    # inspectionData.variables: "The set will include variables assigned in the state and
    # variables set up as test state input."
    state = {
        "Type": "Pass",
        "Parameters": {"doubled.$": "States.MathAdd($x, $x)"},
        "Assign": {"y": 1},
        "End": True,
    }
    answer = _test(cloud, state, variables='{"x": 21}', inspectionLevel="DEBUG")
    assert json.loads(answer["output"]) == {"doubled": 42}
    assert json.loads(answer["inspectionData"]["variables"]) == {"x": 21, "y": 1}


def test_states_that_need_a_mock_and_trace_without_an_http_task_are_refused(
    cloud: LocalCloud,
) -> None:
    # "TestState only supports the following when a mock is specified: Activity tasks, .sync
    # or .waitForTaskToken service integration patterns, Parallel, or Map states." ("Without
    # a mock, invoking these states via TestState API will return a validation exception.")
    # TRACE: "This level is only applicable for HTTP Task. Step Functions throws an error if
    # you use this level for other state types."
    mapping = {
        "Type": "Map",
        "ItemProcessor": {"StartAt": "Each", "States": {"Each": {"Type": "Pass", "End": True}}},
        "End": True,
    }
    activity = cloud.physical_id("Sequence").replace(":stateMachine:", ":activity:")
    for state in (
        mapping,
        {"Type": "Task", "Resource": activity, "End": True},
        {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "End": True},
        {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "End": True,
        },
    ):
        assert _refused(cloud, state)["Code"] == "ValidationException", state
    passing = {"Type": "Pass", "End": True}
    assert _refused(cloud, passing, inspectionLevel="TRACE")["Code"] == "ValidationException"


def test_a_mock_fails_loudly_as_not_modelled(cloud: LocalCloud) -> None:
    # The local cloud does not model TestState's mocks ("mock: Defines a mocked result or
    # error for the state under test"): it says so rather than run the real service.
    with pytest.raises(NotImplementedError, match="mock"):
        _test(cloud, _send_to_work(cloud, End=True), mock={"result": '{"MessageId": "m"}'})
