"""Faults injected into named operations answer as the service would, so botocore retries them."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud import FunctionError, LocalCloud
from localcloud.testing import drain, inject_fault
from tests.support.roles import machine_role

# A client of the code under test (cloud.client(...) clients are the local cloud's own, which
# faults spare). total_max_attempts=1: no retry, to see each answer as it comes.
NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
STANDARD = Config(retries={"mode": "standard", "max_attempts": 3})


def _client(cloud: LocalCloud, service: str, config: Config) -> Any:
    return boto3.client(service, region_name=cloud.stack().region, config=config)  # type: ignore[call-overload]


# boto3 guide "Retries" (docs.aws.amazon.com/boto3/latest/guide/retries.html), Standard retry
# mode: "Retry attempts for an expanded list of errors/exceptions: ... # Service-side
# throttling/limit errors and exceptions Throttling ThrottlingException ... SlowDown ..." and
# "Retry attempts on nondescriptive, transient error codes. Specifically, these HTTP status
# codes: 500, 502, 503, 504." The same guide: "Config object with max_attempts: 3: 1 initial
# request + 3 retries = 4 total attempts", and the response's "RetryAttempts" key counts them.
def test_standard_mode_retries_an_injected_throttling_and_then_succeeds(cloud: LocalCloud) -> None:
    sfn = _client(cloud, "stepfunctions", STANDARD)
    with inject_fault(cloud, "stepfunctions", "ListStateMachines", count=2) as fault:
        answer = sfn.list_state_machines()
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2
    assert (fault.calls, fault.injected) == (3, 2)


def test_a_throttling_that_outlasts_the_retries_surfaces_as_the_services_error(
    cloud: LocalCloud,
) -> None:
    sfn = _client(cloud, "stepfunctions", STANDARD)
    throttled = inject_fault(cloud, "stepfunctions", "ListStateMachines", message="Rate exceeded")
    with throttled, pytest.raises(ClientError) as raised:
        sfn.list_state_machines()
    error = raised.value.response
    assert error["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["ResponseMetadata"]["RetryAttempts"] == 3  # 1 initial request + 3 retries


# Amazon S3 (knowledge center "s3-503-within-request-rate-prefix", quoted on re:Post): "If there
# is a fast spike in the request rate for objects in a prefix, Amazon S3 might return 503 Slow
# Down errors ... you can configure your application to ... retry failed requests using an
# exponential backoff algorithm". S3 user guide "Amazon S3 error best practices": "SlowDown
# errors can occur when a high request rate triggers one of these mechanisms."
def test_s3_slowdown_503_is_retried_and_the_failed_attempt_stores_nothing(
    cloud: LocalCloud,
) -> None:
    s3 = _client(cloud, "s3", STANDARD)
    s3.create_bucket(Bucket="faulty")
    with inject_fault(cloud, "s3", "PutObject", code="SlowDown", status=503, count=1) as fault:
        answer = s3.put_object(Bucket="faulty", Key="k", Body=b"v")
    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
    assert fault.injected == 1
    assert s3.get_object(Bucket="faulty", Key="k")["Body"].read() == b"v"


def test_a_failed_call_never_reaches_the_service(cloud: LocalCloud) -> None:
    s3 = _client(cloud, "s3", NO_RETRY)
    slow = inject_fault(cloud, "s3", "CreateBucket", code="SlowDown", status=503)
    with slow, pytest.raises(ClientError) as raised:
        s3.create_bucket(Bucket="never-made")
    assert raised.value.response["Error"]["Code"] == "SlowDown"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "never-made" not in names


# Each protocol's error shape (JSON "__type", query <ErrorResponse>, EC2 <Response><Errors>,
# S3 <Error>), parsed by botocore's own parsers into the Code, Message and status the caller
# chose. Which code and status a service answers for a fault is the caller's choice (AWS's API
# references differ per service: ThrottlingException is 400 in some, 429 in others).
@pytest.mark.parametrize(
    ("service", "operation", "call"),
    [
        ("stepfunctions", "ListActivities", lambda c: c.list_activities()),  # json
        ("lambda", "ListFunctions", lambda c: c.list_functions()),  # rest-json
        ("sns", "ListTopics", lambda c: c.list_topics()),  # query
        ("ec2", "DescribeVpcs", lambda c: c.describe_vpcs()),  # ec2
        ("s3", "ListBuckets", lambda c: c.list_buckets()),  # rest-xml
    ],
)
def test_the_error_is_answered_in_the_services_own_format(
    cloud: LocalCloud, service: str, operation: str, call: Any
) -> None:
    client = _client(cloud, service, NO_RETRY)
    with (
        inject_fault(cloud, service, operation, code="InternalFailure", status=500, message="boom"),
        pytest.raises(ClientError) as raised,
    ):
        call(client)
    assert raised.value.response["Error"]["Code"] == "InternalFailure"
    assert raised.value.response["Error"]["Message"] == "boom"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    call(client)  # the block is over: the call goes through again


def test_a_share_fails_the_same_calls_every_run(cloud: LocalCloud) -> None:
    sfn = _client(cloud, "stepfunctions", NO_RETRY)
    failed: list[int] = []
    with inject_fault(cloud, "stepfunctions", "ListActivities", share=0.5) as fault:
        for n in range(1, 7):
            try:
                sfn.list_activities()
            except ClientError:
                failed.append(n)
    assert failed == [2, 4, 6]
    assert (fault.calls, fault.injected) == (6, 3)


def test_a_share_with_a_count_stops_after_count_failures(cloud: LocalCloud) -> None:
    sfn = _client(cloud, "stepfunctions", NO_RETRY)
    failed: list[int] = []
    with inject_fault(cloud, "stepfunctions", "ListActivities", share=0.5, count=1):
        for n in range(1, 5):
            try:
                sfn.list_activities()
            except ClientError:
                failed.append(n)
    assert failed == [2]


def test_callers_limits_the_fault_to_one_functions_invocations(cloud: LocalCloud) -> None:
    # InvalidParameterValue: a code no retry mode retries, so the function fails at once.
    url = cloud.physical_id("RecordQueue")  # a queue's physical id is its URL, as its Ref
    with inject_fault(
        cloud,
        "sqs",
        "SendMessage",
        code="InvalidParameterValue",
        callers=cloud.physical_id("RecorderA"),
    ) as fault:
        with pytest.raises(FunctionError) as raised:
            cloud.invoke("RecorderA", {"n": 1})
        cloud.invoke("RecorderB", {"n": 2})  # another function: not failed
        _client(cloud, "sqs", NO_RETRY).send_message(QueueUrl=url, MessageBody='{"n": 3}')
    assert raised.value.error_type == "ClientError"
    assert fault.injected == 1
    bodies = drain(cloud, url)
    assert {b.get("event", b).get("n") for b in bodies} == {2, 3}


def test_the_cloud_local_clients_are_spared(cloud: LocalCloud) -> None:
    with inject_fault(cloud, "stepfunctions", "ListActivities") as fault:
        cloud.client("stepfunctions").list_activities()
    assert fault.calls == 0


def test_a_stopped_handle_and_a_stopped_cloud_fail_nothing(cloud_factory: Any) -> None:
    first = cloud_factory()
    fault = inject_fault(first, "stepfunctions", "ListActivities")
    fault.stop()
    _client(first, "stepfunctions", NO_RETRY).list_activities()
    inject_fault(first, "stepfunctions", "ListActivities")
    first.stop()
    second = cloud_factory()
    _client(second, "stepfunctions", NO_RETRY).list_activities()


def test_an_unknown_operation_is_refused(cloud: LocalCloud) -> None:
    with pytest.raises(ValueError, match="no operation"):
        inject_fault(cloud, "stepfunctions", "ListStateMachine")


def _sqs_machine(cloud: LocalCloud, queue_arn: str, retry: list[dict[str, Any]]) -> str:
    allow = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue_arn}
    role = machine_role(cloud, "sender", allow)
    send: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {
            "QueueUrl": cloud.physical_id("RecordQueue"),
            "MessageBody": '{"sent": true}',
        },
        "End": True,
        "Retry": retry,
    }
    definition = {"StartAt": "Send", "States": {"Send": send}}
    created = cloud.client("stepfunctions").create_state_machine(
        name="sender", definition=json.dumps(definition), roleArn=role
    )
    return str(created["stateMachineArn"])


def test_a_step_functions_integration_call_is_failed_and_retried_by_the_machine(
    cloud: LocalCloud,
) -> None:
    # The integration's call is made by Step Functions, not by the test: it fails all the
    # same, and the Task's Retry (not botocore: moto's integration client does not retry)
    # rides it out.
    queue_arn = cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.physical_id("RecordQueue"), AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    retry = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 1}]
    machine = _sqs_machine(cloud, queue_arn, retry)
    with inject_fault(cloud, "sqs", "SendMessage", count=1) as fault:
        execution = cloud.client("stepfunctions").start_execution(stateMachineArn=machine)
        cloud.wait_idle(timeout=30)
    assert fault.injected == 1
    assert cloud.describe_execution(execution["executionArn"])["status"] == "SUCCEEDED"
    assert drain(cloud, cloud.physical_id("RecordQueue")) == [{"sent": True}]
