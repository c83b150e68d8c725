"""Step Functions APIs moto lacks: StartSyncExecution for Express machines, and
GetExecutionHistory in pages (maxResults, reverseOrder, nextToken, includeExecutionData)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from tests.support.paths import LOCALCLOUD_TEMPLATES as TEMPLATES

TEMPLATE = TEMPLATES / "sfn_apis.yaml"


@pytest.fixture
def cloud(cloud_factory: Any) -> LocalCloud:
    cloud: LocalCloud = cloud_factory(template=TEMPLATE)
    return cloud


def _sync(cloud: LocalCloud, machine: str, **kwargs: Any) -> dict[str, Any]:
    response: dict[str, Any] = cloud.client("stepfunctions").start_sync_execution(
        stateMachineArn=cloud.physical_id(machine), **kwargs
    )
    response.pop("ResponseMetadata")
    return response


# ------------------------------------------------------------------ StartSyncExecution


def test_start_sync_execution_runs_an_express_machine_to_its_end_and_returns_its_output(
    cloud: LocalCloud,
) -> None:
    # AWS Step Functions API Reference, StartSyncExecution: "Starts a Synchronous Express
    # state machine execution."; output "The JSON output data of the execution ... This field
    # is set only if the execution succeeds."; the response names the execution, the state
    # machine, the input, the dates and the status.
    machine = cloud.physical_id("ExpressGreeter")
    response = _sync(cloud, "ExpressGreeter", name="first", input='{"name": "Ada"}')
    assert response["status"] == "SUCCEEDED"
    assert json.loads(response["output"]) == {"greeting": "hello Ada"}
    assert response["outputDetails"] == {"included": True}
    assert response["input"] == '{"name": "Ada"}'
    assert response["inputDetails"] == {"included": True}
    assert (response["name"], response["stateMachineArn"]) == ("first", machine)
    # The Service Authorization Reference's resource type `express`:
    # arn:${Partition}:states:${Region}:${Account}:express:${StateMachineName}:${ExecutionId}:${ExpressId}
    prefix, express_id = response["executionArn"].rsplit(":", 1)
    assert prefix == machine.replace(":stateMachine:", ":express:") + ":first"
    assert len(express_id) == 36
    assert response["startDate"] <= response["stopDate"]
    assert "error" not in response and "cause" not in response


def test_a_failed_sync_execution_is_answered_200_with_its_error_and_cause_and_no_output(
    cloud: LocalCloud,
) -> None:
    # StartSyncExecution: "StartSyncExecution will return a 200 OK response, even if your
    # execution fails, because the status code in the API response doesn't reflect function
    # errors."; error "The error code of the failure."; cause "A more detailed explanation of
    # the cause of the failure."
    response = cloud.client("stepfunctions").start_sync_execution(
        stateMachineArn=cloud.physical_id("ExpressFailure")
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert (response["status"], response["error"], response["cause"]) == (
        "FAILED",
        "Boom",
        "it broke",
    )
    assert "output" not in response


def test_a_sync_execution_that_outlasts_its_timeout_is_timed_out(cloud_factory: Any) -> None:
    # StartSyncExecution: status "Valid Values: SUCCEEDED | FAILED | TIMED_OUT"; the
    # machine's TimeoutSeconds, "If the execution runs longer than the specified time, the
    # execution fails with a States.Timeout Error Name." (Amazon States Language). Here a
    # 3-second Wait under a 1-second timeout, in real time.
    cloud: LocalCloud = cloud_factory(template=TEMPLATE, time_scale=1.0)
    response = _sync(cloud, "ExpressTimeout")
    assert response["status"] == "TIMED_OUT"
    assert "output" not in response


def test_billing_details_round_the_duration_up_to_100_ms_and_memory_to_64_mb_chunks(
    cloud: LocalCloud,
) -> None:
    # StartSyncExecution: billingDetails "An object that describes workflow billing details,
    # including billed duration and memory use." AWS Step Functions pricing: "Duration is
    # calculated from the time your workflow begins executing until it completes or otherwise
    # terminates, rounded up to the nearest 100ms, and the amount of memory used in the
    # execution of your workflow, billed in 64-MB chunks", with "Workflow memory utilized =
    # 50 MB + state machine definition size + execution data size". The Wait's two seconds
    # count on the local cloud's clock (here at time scale 0) as on AWS's.
    billing = _sync(cloud, "ExpressWaiter")["billingDetails"]
    assert billing["billedMemoryUsedInMB"] == 64
    duration = billing["billedDurationInMilliseconds"]
    assert duration % 100 == 0
    assert 2100 <= duration <= 3000  # 2 s waited plus the real time taken, rounded up


def test_start_sync_execution_refuses_a_standard_machine(cloud: LocalCloud) -> None:
    # StartSyncExecution: "StartSyncExecution is not available for STANDARD workflows.";
    # error StateMachineTypeNotSupported, "State machine type is not supported."
    with pytest.raises(ClientError) as caught:
        _sync(cloud, "StandardSteps")
    assert caught.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_start_sync_execution_refuses_input_that_is_not_json(cloud: LocalCloud) -> None:
    # StartSyncExecution: error InvalidExecutionInput, "The provided JSON input data is not
    # valid." (HTTP Status Code: 400)
    with pytest.raises(ClientError) as caught:
        _sync(cloud, "ExpressGreeter", input="{not json")
    assert caught.value.response["Error"]["Code"] == "InvalidExecutionInput"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_start_sync_execution_is_answered_on_the_sync_host_the_sdk_calls(
    cloud: LocalCloud,
) -> None:
    # The Step Functions API model gives StartSyncExecution the endpoint host prefix "sync-"
    # (botocore: "endpoint": {"hostPrefix": "sync-"}), so the SDK calls
    # sync-states.<region>.amazonaws.com; moto routed only states.<region>.amazonaws.com.
    sfn = cloud.client("stepfunctions")
    hosts: list[str] = []
    sfn.meta.events.register(
        "before-send.sfn.StartSyncExecution",
        lambda request, **_: hosts.append(request.url.split("/")[2]),
    )
    response = sfn.start_sync_execution(
        stateMachineArn=cloud.physical_id("ExpressGreeter"), input='{"name": "Bo"}'
    )
    assert hosts == [f"sync-states.{sfn.meta.region_name}.amazonaws.com"]
    assert response["status"] == "SUCCEEDED"


# ------------------------------------------------------------------ GetExecutionHistory


def _finished(cloud: LocalCloud, machine: str, input: Any = None) -> str:
    arn = cloud.start_execution(machine, input)
    cloud.wait_idle(timeout=30)
    return arn


def _all_events(cloud: LocalCloud, arn: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every page of the history, by following nextToken."""
    sfn = cloud.client("stepfunctions")
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = sfn.get_execution_history(
            executionArn=arn, **kwargs, **({"nextToken": token} if token else {})
        )
        events += page["events"]
        token = page.get("nextToken")
        if token is None:
            return events


def test_history_pages_hold_max_results_events_and_next_token_continues(
    cloud: LocalCloud,
) -> None:
    # API Reference, GetExecutionHistory: maxResults "The maximum number of results that are
    # returned per call. You can use nextToken to obtain further pages of results." and "If
    # nextToken is returned, there are more results available. ... Make the call again using
    # the returned token to retrieve the next page." By default "the results are returned in
    # ascending order of the timeStamp of the events".
    arn = _finished(cloud, "StandardSteps")
    sfn = cloud.client("stepfunctions")
    whole = sfn.get_execution_history(executionArn=arn)
    assert "nextToken" not in whole
    ids = [e["id"] for e in whole["events"]]
    assert ids == list(range(1, 11))  # started, four Pass states entered and exited, succeeded
    first = sfn.get_execution_history(executionArn=arn, maxResults=4)
    assert [e["id"] for e in first["events"]] == [1, 2, 3, 4]
    second = sfn.get_execution_history(executionArn=arn, maxResults=4, nextToken=first["nextToken"])
    assert [e["id"] for e in second["events"]] == [5, 6, 7, 8]
    third = sfn.get_execution_history(executionArn=arn, maxResults=4, nextToken=second["nextToken"])
    assert [e["id"] for e in third["events"]] == [9, 10]
    assert "nextToken" not in third


def test_a_history_page_holds_100_events_by_default_and_up_to_1000(cloud: LocalCloud) -> None:
    # GetExecutionHistory, maxResults: "The default is 100 and the maximum allowed page size
    # is 1000. A value of 0 uses the default."
    arn = _finished(cloud, "StandardMap", {"items": list(range(60))})
    sfn = cloud.client("stepfunctions")
    everything = sfn.get_execution_history(executionArn=arn, maxResults=1000)
    assert "nextToken" not in everything
    total = len(everything["events"])
    assert total > 200
    for kwargs in ({}, {"maxResults": 0}):
        page = sfn.get_execution_history(executionArn=arn, **kwargs)
        assert len(page["events"]) == 100 and "nextToken" in page
    assert _all_events(cloud, arn) == everything["events"]
    # The facade pages through it too.
    assert cloud.describe_execution(arn)["history"] == everything["events"]


def test_max_results_above_1000_is_refused(cloud: LocalCloud) -> None:
    # GetExecutionHistory, maxResults: "Valid Range: Minimum value of 0. Maximum value of
    # 1000."; AWS refuses a value outside it as every API does, with a ValidationException
    # naming the constraint.
    arn = _finished(cloud, "StandardSteps")
    with pytest.raises(ClientError) as caught:
        cloud.client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1001)
    assert caught.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value '1001' at 'maxResults' failed to "
        "satisfy constraint: Member must have value less than or equal to 1000",
    }


def test_reverse_order_lists_the_latest_events_first(cloud: LocalCloud) -> None:
    # GetExecutionHistory: reverseOrder "Lists events in descending order of their
    # timeStamp." and "Use the reverseOrder parameter to get the latest events first."
    arn = _finished(cloud, "StandardSteps")
    forward = _all_events(cloud, arn)
    backward = _all_events(cloud, arn, reverseOrder=True, maxResults=3)
    assert [e["id"] for e in backward] == list(range(10, 0, -1))
    assert backward == forward[::-1]


def test_an_invalid_or_expired_next_token_is_invalid_token(cloud: LocalCloud) -> None:
    # GetExecutionHistory, nextToken: "Keep all other arguments unchanged. Each pagination
    # token expires after 24 hours. Using an expired pagination token will return an HTTP
    # 400 InvalidToken error."; error InvalidToken, "The provided token is not valid."
    arn = _finished(cloud, "StandardSteps")
    sfn = cloud.client("stepfunctions")
    token = sfn.get_execution_history(executionArn=arn, maxResults=2)["nextToken"]

    def refused(**kwargs: Any) -> None:
        with pytest.raises(ClientError) as caught:
            sfn.get_execution_history(executionArn=arn, maxResults=2, **kwargs)
        assert caught.value.response["Error"]["Code"] == "InvalidToken"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    refused(nextToken="not-a-token")
    refused(nextToken=token, reverseOrder=True)  # another argument than the token's call
    other = _finished(cloud, "StandardSteps")
    with pytest.raises(ClientError) as caught:  # another execution's token
        sfn.get_execution_history(executionArn=other, maxResults=2, nextToken=token)
    assert caught.value.response["Error"]["Code"] == "InvalidToken"
    assert sfn.get_execution_history(executionArn=arn, maxResults=2, nextToken=token)["events"]
    cloud.clock.sleep(24 * 3600 + 1)
    refused(nextToken=token)


def test_include_execution_data_false_leaves_out_events_input_and_output(
    cloud: LocalCloud,
) -> None:
    # GetExecutionHistory: includeExecutionData "You can select whether execution data
    # (input or output of a history event) is returned. The default is true."
    arn = _finished(cloud, "StandardSteps", {"secret": "s3cr3t"})
    sfn = cloud.client("stepfunctions")

    def data(events: list[dict[str, Any]]) -> list[str]:
        return [
            key
            for event in events
            for name, details in event.items()
            if name.endswith("EventDetails")
            for key in details
            if key in ("input", "output")
        ]

    full = sfn.get_execution_history(executionArn=arn)["events"]
    assert "input" in full[0]["executionStartedEventDetails"]
    assert data(full)  # by default the data is there
    bare = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    assert data(bare) == []
    assert "s3cr3t" not in json.dumps(bare, default=str)
    assert [e["type"] for e in bare] == [e["type"] for e in full]
