"""What Step Functions leaves behind: status change events on the default bus, and execution logs.

Sources, quoted in each test:
- Step Functions Developer Guide, "Automating Step Functions event delivery with EventBridge"
  (formerly "EventBridge (CloudWatch Events) for Step Functions execution status changes"),
  its event examples and "EventBridge payloads".
- Step Functions Developer Guide, "Using CloudWatch Logs to log execution history in Step
  Functions" and "Log levels".
- Step Functions API Reference, LoggingConfiguration / CloudWatchLogsLogGroup, and the answers
  CreateStateMachine gives.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from localcloud.testing import drain
from tests.support.queues import rule_queue
from tests.support.roles import machine_role

DETAIL_TYPE = "Step Functions Execution Status Change"
# "IAM Policies for logging to CloudWatch Logs" (Using CloudWatch Logs to log execution
# history): the example policy the machine's role needs, on "*".
LOG_DELIVERY = {
    "Effect": "Allow",
    "Action": [
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    ],
    "Resource": "*",
}
# The page's "Execution Started" example, as AWS's own aws-lambda-dotnet event fixtures copy it
# (Libraries/test/EventsTests.Shared/cloudwatchevents-stepfunctionsexecutionstatuschange-
# started.json, "Field shapes follow the Step Functions EventBridge integration docs").
DOCUMENTED_RUNNING_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "315c1398-40ff-a850-213b-158f73e60175",
    "detail-type": "Step Functions Execution Status Change",
    "source": "aws.states",
    "account": "123456789012",
    "time": "2019-02-26T19:42:21Z",
    "region": "us-east-2",
    "resources": [
        "arn:aws:states:us-east-2:123456789012:execution:state-machine-name:execution-name"
    ],
    "detail": {
        "executionArn": "arn:aws:states:us-east-2:123456789012:execution:state-machine-name:execution-name",
        "stateMachineArn": "arn:aws:states:us-east-2:123456789012:stateMachine:state-machine",
        "name": "execution-name",
        "status": "RUNNING",
        "startDate": 1551225271984,
        "stopDate": None,
        "input": "{}",
        "inputDetails": {"included": True},
        "output": None,
        "outputDetails": None,
        "stateMachineVersionArn": None,
        "stateMachineAliasArn": None,
        "redriveCount": 0,
        "redriveDate": None,
        "redriveStatus": "NOT_REDRIVABLE",
        "redriveStatusReason": "Execution is RUNNING and cannot be redriven",
        "error": None,
        "cause": None,
    },
}
SUCCEEDS = {"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": True}}}
FAILS = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Next": "Boom"},
        "Boom": {"Type": "Fail", "Error": "ErrorCode", "Cause": "An error occurred."},
    },
}
LONG_WAIT = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 600, "End": True}}}


# ------------------------------------------------------------------------------ helpers


def _machine(
    cloud: LocalCloud,
    name: str,
    definition: dict[str, Any],
    *,
    kind: str = "STANDARD",
    logging: dict[str, Any] | None = None,
) -> str:
    role = machine_role(cloud, f"{name}-role", LOG_DELIVERY)
    extra = {"loggingConfiguration": logging} if logging else {}
    created = cloud.client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=role, type=kind, **extra
    )
    return str(created["stateMachineArn"])


def _status_queue(cloud: LocalCloud, name: str, pattern: dict[str, Any] | None = None) -> str:
    """A queue that a default-bus rule sends Step Functions' status change events to."""
    # The pattern the EventBridge events reference gives for Step Functions' events.
    rule = pattern or {"source": ["aws.states"], "detail-type": [DETAIL_TYPE]}
    return rule_queue(cloud, name, pattern=rule)[0]


def _events_of(cloud: LocalCloud, url: str, machine_arn: str) -> list[dict[str, Any]]:
    return [e for e in drain(cloud, url) if e["detail"]["stateMachineArn"] == machine_arn]


def _log_group(cloud: LocalCloud, name: str) -> str:
    logs = cloud.client("logs")
    logs.create_log_group(logGroupName=name)
    return str(logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["arn"])


def _logging(group_arn: str, level: str = "ALL", data: bool = True) -> dict[str, Any]:
    return {
        "level": level,
        "includeExecutionData": data,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group_arn}}],
    }


def _logged(cloud: LocalCloud, group: str) -> list[dict[str, Any]]:
    """Every log event of the group in each stream's order: its stream, its timestamp, and its
    message parsed."""
    logs = cloud.client("logs")
    found: list[dict[str, Any]] = []
    for stream in logs.describe_log_streams(logGroupName=group)["logStreams"]:
        name = stream["logStreamName"]
        for event in logs.get_log_events(
            logGroupName=group, logStreamName=name, startFromHead=True
        )["events"]:
            message = json.loads(event["message"])
            found.append({"stream": name, "timestamp": event["timestamp"], "message": message})
    return found


def _messages(cloud: LocalCloud, group: str) -> list[dict[str, Any]]:
    return [e["message"] for e in _logged(cloud, group)]


def _history(cloud: LocalCloud, execution_arn: str) -> list[dict[str, Any]]:
    sfn = cloud.client("stepfunctions")
    return list(sfn.get_execution_history(executionArn=execution_arn)["events"])


def _finish(cloud: LocalCloud, *machines: str, timeout: float = 30.0) -> None:
    """Wait until no execution of these machines runs, then for what they handed on.
    (cloud.wait_idle watches the template's machines, not those a test creates.)"""
    sfn = cloud.client("stepfunctions")
    deadline = time.monotonic() + timeout
    for machine in machines:
        while sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
            assert time.monotonic() < deadline, f"{machine} still has running executions"
            time.sleep(0.02)
    cloud.wait_idle(timeout=timeout)


def _await_state(cloud: LocalCloud, execution_arn: str, event_type: str) -> None:
    deadline = time.monotonic() + 10
    while not any(e["type"] == event_type for e in _history(cloud, execution_arn)):
        assert time.monotonic() < deadline, f"{execution_arn} never reached {event_type}"
        time.sleep(0.02)


# ------------------------------------------------------------------------------ status events


def test_a_standard_execution_sends_running_then_succeeded_with_the_documented_keys(
    cloud: LocalCloud,
) -> None:
    # "Step Functions generates and sends events to the default EventBridge event bus", and
    # "the status field indicates the status of the execution at the time the event was sent,
    # one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, or ABORTED". The detail "provides the same
    # information as the DescribeExecution API", in the keys of the page's examples.
    url = _status_queue(cloud, "status-events")
    machine = _machine(cloud, "hello", SUCCEEDS)
    sfn = cloud.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=machine, name="run-1", input='{"a":1}')
    _finish(cloud, machine)

    running, succeeded = _events_of(cloud, url, machine)
    for event in (running, succeeded):
        assert list(event) == list(DOCUMENTED_RUNNING_EVENT)
        assert list(event["detail"]) == list(DOCUMENTED_RUNNING_EVENT["detail"])
        assert event["source"] == "aws.states"
        assert event["detail-type"] == DETAIL_TYPE
        assert event["account"] == cloud.account_id
        assert event["region"] == "us-east-1"
        assert event["resources"] == [execution["executionArn"]]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert running["detail"] == {
        **DOCUMENTED_RUNNING_EVENT["detail"],
        "executionArn": execution["executionArn"],
        "stateMachineArn": machine,
        "name": "run-1",
        "startDate": int(described["startDate"].timestamp() * 1000),
        "input": described["input"],
    }
    assert succeeded["detail"]["status"] == "SUCCEEDED"
    assert succeeded["detail"]["stopDate"] == int(described["stopDate"].timestamp() * 1000)
    assert succeeded["detail"]["output"] == described["output"]
    assert succeeded["detail"]["outputDetails"] == {"included": True}
    assert succeeded["detail"]["redriveStatus"] == "NOT_REDRIVABLE"
    # DescribeExecution's reasons: "Execution is SUCCEEDED and cannot be redriven."
    assert succeeded["detail"]["redriveStatusReason"] == (
        "Execution is SUCCEEDED and cannot be redriven"
    )


def test_a_failed_execution_sends_its_error_and_cause_to_a_rule_matching_failures(
    cloud: LocalCloud,
) -> None:
    # The page's "Execution Failed" example: "status": "FAILED", "output": null,
    # "redriveStatus": "REDRIVABLE", "redriveStatusReason": "Execution is FAILED and is
    # redrivable", "error": "ErrorCode", "cause": "An error occurred.". The rule's pattern
    # decides, as for any event: one matching FAILED gets only that one.
    url = _status_queue(
        cloud, "failures", {"source": ["aws.states"], "detail": {"status": ["FAILED"]}}
    )
    machine = _machine(cloud, "fails", FAILS)
    cloud.client("stepfunctions").start_execution(stateMachineArn=machine)
    _finish(cloud, machine)

    [failed] = _events_of(cloud, url, machine)
    detail = failed["detail"]
    assert detail["status"] == "FAILED"
    assert (detail["error"], detail["cause"]) == ("ErrorCode", "An error occurred.")
    assert (detail["output"], detail["outputDetails"]) == (None, None)
    assert detail["redriveStatus"] == "REDRIVABLE"
    assert detail["redriveStatusReason"] == "Execution is FAILED and is redrivable"
    assert detail["stopDate"] >= detail["startDate"]


def test_stop_execution_sends_an_aborted_event(cloud_factory: Any) -> None:
    # The page's "Execution Aborted" example: "status": "ABORTED", with its stopDate.
    cloud = cloud_factory(time_scale=1.0)
    url = _status_queue(cloud, "aborted")
    machine = _machine(cloud, "holds", LONG_WAIT)
    sfn = cloud.client("stepfunctions")
    execution_arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    _await_state(cloud, execution_arn, "WaitStateEntered")
    sfn.stop_execution(executionArn=execution_arn)
    _finish(cloud, machine)

    statuses = [e["detail"]["status"] for e in _events_of(cloud, url, machine)]
    assert statuses == ["RUNNING", "ABORTED"]


def test_a_redriven_execution_is_running_again_with_its_redrive_count(cloud_factory: Any) -> None:
    # The page's "Execution Redriven" example: "status": "RUNNING", "redriveCount": 1, with its
    # "redriveDate"; the detail is what DescribeExecution says of the redrive.
    cloud = cloud_factory(time_scale=1.0)
    url = _status_queue(cloud, "redriven")
    machine = _machine(cloud, "holds-again", LONG_WAIT)
    sfn = cloud.client("stepfunctions")
    execution_arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    _await_state(cloud, execution_arn, "WaitStateEntered")
    sfn.stop_execution(executionArn=execution_arn)
    _finish(cloud, machine)
    sfn.redrive_execution(executionArn=execution_arn)
    _await_state(cloud, execution_arn, "ExecutionRedriven")
    sfn.stop_execution(executionArn=execution_arn)
    _finish(cloud, machine)

    events = [e["detail"] for e in _events_of(cloud, url, machine)]
    assert [(e["status"], e["redriveCount"]) for e in events] == [
        ("RUNNING", 0),
        ("ABORTED", 0),
        ("RUNNING", 1),
        ("ABORTED", 1),
    ]
    described = sfn.describe_execution(executionArn=execution_arn)
    assert events[2]["redriveDate"] == int(described["redriveDate"].timestamp() * 1000)
    assert events[2]["redriveStatus"] == "NOT_REDRIVABLE"  # as DescribeExecution says: RUNNING


def test_an_execution_past_its_timeout_sends_a_timed_out_event(cloud_factory: Any) -> None:
    # The page's "Execution Timed Out" example: "status": "TIMED_OUT".
    cloud = cloud_factory(time_scale=1.0)
    url = _status_queue(cloud, "timed-out")
    machine = _machine(cloud, "too-slow", {**LONG_WAIT, "TimeoutSeconds": 1})
    cloud.client("stepfunctions").start_execution(stateMachineArn=machine)
    _finish(cloud, machine)

    statuses = [e["detail"]["status"] for e in _events_of(cloud, url, machine)]
    assert statuses == ["RUNNING", "TIMED_OUT"]


def test_express_executions_send_no_status_change_events(cloud: LocalCloud) -> None:
    # "You can use AWS Step Functions Standard Workflows with EventBridge, while Express
    # Workflows do not emit events to EventBridge."
    url = _status_queue(cloud, "by-type")
    express = _machine(cloud, "express", SUCCEEDS, kind="EXPRESS")
    standard = _machine(cloud, "standard", SUCCEEDS)
    sfn = cloud.client("stepfunctions")
    sfn.start_execution(stateMachineArn=express)
    sfn.start_execution(stateMachineArn=standard)
    _finish(cloud, express, standard)

    machines = [e["detail"]["stateMachineArn"] for e in drain(cloud, url)]
    assert machines == [standard, standard]


def test_an_input_too_large_for_the_event_is_left_out_and_said_so(cloud: LocalCloud) -> None:
    # "If the combined escaped input and escaped output sent to EventBridge exceeds 248 KiB,
    # then the input will be excluded. [...] You can determine whether a payload has been
    # truncated with the inputDetails and outputDetails properties." An excluded input is
    # null (what consumers meet, cirrus-geo/cirrus-geo#355: "detail.input is null").
    url = _status_queue(cloud, "large")
    small_output = {
        "StartAt": "Summarise",
        "States": {"Summarise": {"Type": "Pass", "Result": {"ok": True}, "End": True}},
    }
    machine = _machine(cloud, "large-input", small_output)
    blob = json.dumps({"blob": "x" * 255_000})  # under StartExecution's 256 KiB
    cloud.client("stepfunctions").start_execution(stateMachineArn=machine, input=blob)
    _finish(cloud, machine)

    running, succeeded = _events_of(cloud, url, machine)
    for event in (running, succeeded):
        assert event["detail"]["input"] is None
        assert event["detail"]["inputDetails"] == {"included": False}
    assert json.loads(succeeded["detail"]["output"]) == {"ok": True}
    assert succeeded["detail"]["outputDetails"] == {"included": True}


# ------------------------------------------------------------------------------ execution logs


def test_level_all_logs_every_history_event_with_its_execution_data(cloud: LocalCloud) -> None:
    # Log levels: "all event types do [log] when set to ALL". Each log event is the history
    # event as Step Functions logs it (AWS-recorded in localstack's
    # tests/aws/services/stepfunctions/v2/logs/test_logs.snapshot.json): "id", "type",
    # "details", "previous_event_id", "event_timestamp", "execution_arn", "redrive_count",
    # strings but the details.
    group_arn = _log_group(cloud, "/sfn/all")
    machine = _machine(cloud, "logged", FAILS, logging=_logging(group_arn))
    sfn = cloud.client("stepfunctions")
    execution_arn = sfn.start_execution(stateMachineArn=machine, input='{"a": 1}')["executionArn"]
    _finish(cloud, machine)

    logged = _logged(cloud, "/sfn/all")
    history = _history(cloud, execution_arn)
    assert [e["message"]["type"] for e in logged] == [e["type"] for e in history]
    for entry, event in zip(logged, history, strict=True):
        log = entry["message"]
        assert list(log) == [
            "id",
            "type",
            "details",
            "previous_event_id",
            "event_timestamp",
            "execution_arn",
            "redrive_count",
        ]
        assert log["id"] == str(event["id"])
        assert log["previous_event_id"] == str(event["previousEventId"])
        assert log["event_timestamp"] == str(int(event["timestamp"].timestamp() * 1000))
        assert entry["timestamp"] == int(log["event_timestamp"])
        assert log["execution_arn"] == execution_arn
        assert log["redrive_count"] == "0"
        [details_key] = [k for k in event if k.endswith("EventDetails")]
        assert log["details"] == event[details_key]
    started = logged[0]["message"]["details"]
    assert started["input"] == '{"a": 1}'
    assert started["inputDetails"] == {"truncated": False}


def test_without_execution_data_the_log_leaves_input_and_output_out(cloud: LocalCloud) -> None:
    # includeExecutionData: "Determines whether execution data is included in your log. When
    # set to false, data is excluded." AWS-recorded: ExecutionStarted keeps only "roleArn",
    # PassStateEntered only "name", ExecutionSucceeded's details are {}.
    group_arn = _log_group(cloud, "/sfn/no-data")
    machine = _machine(cloud, "quiet", SUCCEEDS, logging=_logging(group_arn, data=False))
    cloud.client("stepfunctions").start_execution(stateMachineArn=machine, input='{"secret": 1}')
    _finish(cloud, machine)

    logged = {e["type"]: e["details"] for e in _messages(cloud, "/sfn/no-data")}
    assert list(logged) == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert list(logged["ExecutionStarted"]) == ["roleArn"]
    assert logged["PassStateEntered"] == {"name": "Hello"}
    assert logged["PassStateExited"] == {"name": "Hello"}
    assert logged["ExecutionSucceeded"] == {}


@pytest.mark.parametrize(
    ("level", "types"),
    [
        # "Log levels" table: ERROR marks the failure events (FailStateEntered,
        # ExecutionFailed among them), FATAL only ExecutionAborted, ExecutionFailed and
        # ExecutionTimedOut; "No event types log when set to OFF".
        ("ERROR", ["FailStateEntered", "ExecutionFailed"]),
        ("FATAL", ["ExecutionFailed"]),
        ("OFF", []),
    ],
)
def test_each_level_logs_only_the_event_types_its_table_marks(
    cloud: LocalCloud, level: str, types: list[str]
) -> None:
    group_arn = _log_group(cloud, "/sfn/levels")
    machine = _machine(cloud, f"level-{level.lower()}", FAILS, logging=_logging(group_arn, level))
    cloud.client("stepfunctions").start_execution(stateMachineArn=machine)
    _finish(cloud, machine)

    assert [e["type"] for e in _messages(cloud, "/sfn/levels")] == types


def test_an_express_execution_leaves_its_history_in_the_log_group(cloud: LocalCloud) -> None:
    # "Unlike Standard Workflows, Express Workflows don't record execution history in AWS Step
    # Functions. To see execution history and results for an Express Workflow, you must
    # configure logging to Amazon CloudWatch Logs."
    group_arn = _log_group(cloud, "/sfn/express")
    machine = _machine(cloud, "quick", SUCCEEDS, kind="EXPRESS", logging=_logging(group_arn))
    cloud.client("stepfunctions").start_execution(stateMachineArn=machine, input='{"n": 7}')
    _finish(cloud, machine)

    logged = _logged(cloud, "/sfn/express")
    assert [e["message"]["type"] for e in logged] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert json.loads(logged[-1]["message"]["details"]["output"]) == {"n": 7}
    # As observed on AWS (the documentation names no stream): states/<machine>/<minute>/00000000.
    assert re.fullmatch(r"states/quick/\d{4}-\d\d-\d\d-\d\d-\d0/00000000", logged[0]["stream"])


def test_executions_of_a_machine_share_its_log_stream(cloud: LocalCloud) -> None:
    # AWS-recorded (localstack's test_log_group_with_multiple_runs): three executions of one
    # machine log into one stream beside the validation stream. Its name, as observed on AWS
    # for a Standard machine (the documentation names none): states/<machine>/<hour>/<8 hex>.
    group_arn = _log_group(cloud, "/sfn/shared")
    machine = _machine(cloud, "twice", SUCCEEDS, logging=_logging(group_arn))
    sfn = cloud.client("stepfunctions")
    first = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    second = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    _finish(cloud, machine)

    logged = _logged(cloud, "/sfn/shared")
    assert {e["message"]["execution_arn"] for e in logged} == {first, second}
    [stream] = {e["stream"] for e in logged}
    assert re.fullmatch(r"states/twice/\d{4}-\d\d-\d\d-\d\d/[0-9a-f]{8}", stream)


def test_a_missing_log_group_loses_the_logs_not_the_execution(cloud: LocalCloud) -> None:
    # "Publishing logs doesn't block or slow down executions"; AWS-recorded (localstack's
    # test_deleted_log_group): with the group deleted, the execution succeeds all the same.
    group_arn = _log_group(cloud, "/sfn/deleted")
    machine = _machine(cloud, "orphan", SUCCEEDS, logging=_logging(group_arn))
    logs = cloud.client("logs")
    logs.delete_log_group(logGroupName="/sfn/deleted")
    sfn = cloud.client("stepfunctions")
    execution_arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    _finish(cloud, machine)

    assert sfn.describe_execution(executionArn=execution_arn)["status"] == "SUCCEEDED"
    assert logs.describe_log_groups(logGroupNamePrefix="/sfn/deleted")["logGroups"] == []
    assert cloud.async_failures == []


def test_an_input_too_large_for_the_log_is_truncated_and_marked(cloud: LocalCloud) -> None:
    # "If escaped input or escaped output sent to CloudWatch Logs exceeds 248 KB, it will be
    # truncated as a result of CloudWatch Logs quotas. You can determine whether a payload has
    # been truncated by reviewing the inputDetails and outputDetails properties."
    group_arn = _log_group(cloud, "/sfn/large")
    machine = _machine(cloud, "large-log", SUCCEEDS, logging=_logging(group_arn))
    blob = json.dumps({"blob": "x" * 255_000})
    cloud.client("stepfunctions").start_execution(stateMachineArn=machine, input=blob)
    _finish(cloud, machine)

    started = _messages(cloud, "/sfn/large")[0]["details"]
    assert started["inputDetails"] == {"truncated": True}
    assert blob.startswith(started["input"])
    assert 248 * 1024 - 8 <= len(json.dumps(started["input"]).encode()) <= 248 * 1024


# ------------------------------------------------------------------------------ CreateStateMachine


def test_a_log_group_arn_without_its_star_qualifier_is_refused(cloud: LocalCloud) -> None:
    # CloudWatchLogsLogGroup.LogGroupArn: "The ARN of the the CloudWatch log group to which
    # you want your logs emitted to. The ARN must end with :*"; Step Functions answers
    # "InvalidLoggingConfiguration: Invalid Logging Configuration: Log Group ARN must be
    # provided with '*' qualifier." (hashicorp/terraform-provider-aws#17682).
    group_arn = _log_group(cloud, "/sfn/qualifier").removesuffix(":*")
    with pytest.raises(ClientError) as caught:
        _machine(cloud, "unqualified", SUCCEEDS, logging=_logging(group_arn))
    assert caught.value.response["Error"] == {
        "Code": "InvalidLoggingConfiguration",
        "Message": "Invalid Logging Configuration: Log Group ARN must be provided with '*' "
        "qualifier.",
    }


def test_logging_without_a_destination_is_refused(cloud: LocalCloud) -> None:
    # LoggingConfiguration.destinations: "An array of objects that describes where your
    # execution history events will be logged. Limited to size 1. Required, if your log level
    # is not set to OFF."
    with pytest.raises(ClientError) as caught:
        _machine(cloud, "nowhere", SUCCEEDS, logging={"level": "ALL", "destinations": []})
    assert caught.value.response["Error"]["Code"] == "InvalidLoggingConfiguration"
    assert "exactly one Log Destination" in caught.value.response["Error"]["Message"]


def test_the_role_must_allow_the_documented_log_delivery(cloud: LocalCloud) -> None:
    # "You will also need to configure your IAM role to have the proper permission to log to
    # CloudWatch Logs" (the policy in LOG_DELIVERY); without it CreateStateMachine answers
    # AccessDeniedException "The state machine IAM Role is not authorized to access the Log
    # Destination" (aws/aws-cdk#26432, aws-samples/serverless-patterns#102), as does
    # UpdateStateMachine turning logging on.
    group_arn = _log_group(cloud, "/sfn/denied")
    sfn = cloud.client("stepfunctions")
    bare = machine_role(cloud, "no-logs")
    with pytest.raises(ClientError) as caught:
        sfn.create_state_machine(
            name="denied",
            definition=json.dumps(SUCCEEDS),
            roleArn=bare,
            loggingConfiguration=_logging(group_arn),
        )
    assert caught.value.response["Error"] == {
        "Code": "AccessDeniedException",
        "Message": "The state machine IAM Role is not authorized to access the Log Destination",
    }
    assert cloud.iam.denials[-1].action == "logs:CreateLogDelivery"

    arn = sfn.create_state_machine(name="unlogged", definition=json.dumps(SUCCEEDS), roleArn=bare)[
        "stateMachineArn"
    ]
    with pytest.raises(ClientError) as caught:
        sfn.update_state_machine(stateMachineArn=arn, loggingConfiguration=_logging(group_arn))
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    allowed = machine_role(cloud, "with-logs", LOG_DELIVERY)
    sfn.update_state_machine(
        stateMachineArn=arn, roleArn=allowed, loggingConfiguration=_logging(group_arn)
    )
    assert sfn.describe_state_machine(stateMachineArn=arn)["loggingConfiguration"]["level"] == (
        "ALL"
    )


LOGGED_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  ExecutionLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /sfn/from-template
  Logged:
    Type: AWS::Serverless::StateMachine
    Properties:
      Type: EXPRESS
      Definition:
        StartAt: Done
        States:
          Done: {Type: Pass, End: true}
      Logging:
        Level: ALL
        IncludeExecutionData: true
        Destinations:
          - CloudWatchLogsLogGroup:
              LogGroupArn: !GetAtt ExecutionLogs.Arn
      Policies:
        - Statement:
            - Effect: Allow
              Action:
                - logs:CreateLogDelivery
                - logs:GetLogDelivery
                - logs:UpdateLogDelivery
                - logs:DeleteLogDelivery
                - logs:ListLogDeliveries
                - logs:PutResourcePolicy
                - logs:DescribeResourcePolicies
                - logs:DescribeLogGroups
              Resource: "*"
"""


def test_a_template_machines_logging_property_logs_its_executions(tmp_path: Any) -> None:
    # SAM's `Logging` (CloudFormation's LoggingConfiguration) is the machine's
    # loggingConfiguration: an Express execution's history lands in the template's log group.
    template = tmp_path / "template.yaml"
    template.write_text(LOGGED_TEMPLATE)
    with LocalCloud(template=template) as cloud:
        machine = cloud.physical_id("Logged")
        assert (
            cloud.client("stepfunctions").describe_state_machine(stateMachineArn=machine)[
                "loggingConfiguration"
            ]["level"]
            == "ALL"
        )
        cloud.client("stepfunctions").start_execution(stateMachineArn=machine, input="{}")
        _finish(cloud, machine)
        types = [e["message"]["type"] for e in _logged(cloud, "/sfn/from-template")]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
