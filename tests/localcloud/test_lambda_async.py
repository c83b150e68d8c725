"""Asynchronous invocations after Lambda's retries: destinations and dead-letter queues; and a
function that runs past its timeout, on the local cloud's clock. Each test quotes the AWS
documentation it models."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.testing import drain, metric_series
from tests.support.paths import LOCALCLOUD_TEMPLATES as TEMPLATES

ASYNC_RETAIN = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"
ASYNC_ERRORS = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html"


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(template=TEMPLATES / "lambda_async.yaml") as started:
        yield started


def invoke_event(cloud: LocalCloud, logical_id: str, event: dict[str, Any]) -> None:
    response = cloud.client("lambda").invoke(
        FunctionName=cloud.attribute(logical_id, "Arn"),
        InvocationType="Event",
        Payload=json.dumps(event).encode(),
    )
    assert response["StatusCode"] == 202


def bodies(cloud: LocalCloud, queue: str) -> list[Any]:
    return drain(cloud, cloud.physical_id(queue))


def attempts(cloud: LocalCloud) -> list[dict[str, Any]]:
    return [b for b in bodies(cloud, "Attempts") if b["stage"] == "started"]


def test_a_failed_event_goes_to_the_on_failure_destination_after_its_retries(
    cloud: LocalCloud,
) -> None:
    """invocation-async-error-handling.html: "If the function returns an error, by default
    Lambda attempts to run it two more times, with a one-minute wait between the first two
    attempts" (here MaximumRetryAttempts is 1, so two attempts in all).

    invocation-async-retain-records.html, "Example invocation record": "The following example
    shows an invocation record for an event that failed three processing attempts due to a
    function error." {"version": "1.0", "timestamp": "2019-11-14T18:16:05.568Z",
    "requestContext": {"requestId": ..., "functionArn": "...:function:my-function:$LATEST",
    "condition": "RetriesExhausted", "approximateInvokeCount": 3}, "requestPayload": {...},
    "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError":
    "Unhandled"}, "responsePayload": {"errorMessage": ...}}; and for an SQS destination "Lambda
    passes the invocation record as the Message to the destination." (with the URLs above)
    """
    invoke_event(cloud, "WithDestinations", {"fail": "no good", "order": 7})
    cloud.wait_idle()
    tried = attempts(cloud)
    assert len(tried) == 2
    [record] = bodies(cloud, "Failures")
    assert set(record) == {
        "version",
        "timestamp",
        "requestContext",
        "requestPayload",
        "responseContext",
        "responsePayload",
    }
    assert record["version"] == "1.0"
    datetime.strptime(record["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert record["requestContext"] == {
        "requestId": tried[-1]["request"],  # the last attempt's
        "functionArn": f"{cloud.attribute('WithDestinations', 'Arn')}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 2,
    }
    assert record["requestPayload"] == {"fail": "no good", "order": 7}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "DeliberateError"
    assert record["responsePayload"]["errorMessage"] == "no good"
    assert bodies(cloud, "Successes") == []
    [failure] = cloud.async_failures  # still recorded for tests, as before
    assert failure.error_type == "DeliberateError"


def test_a_successful_event_goes_to_the_on_success_destination(cloud: LocalCloud) -> None:
    """invocation-async-retain-records.html: "On success – Send a record when the function
    successfully processes an asynchronous invocation." (URL above)"""
    invoke_event(cloud, "WithDestinations", {"order": 8})
    cloud.wait_idle()
    [record] = bodies(cloud, "Successes")
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"done": {"order": 8}}
    assert bodies(cloud, "Failures") == [] and cloud.async_failures == []


def test_without_a_destination_the_event_goes_to_the_dead_letter_queue_as_is(
    cloud: LocalCloud,
) -> None:
    """invocation-async-retain-records.html, "Adding a dead-letter queue": "Lambda sends the
    event to the dead-letter queue as-is, with additional information in attributes."
    "RequestID (String) – The ID of the invocation request." "ErrorCode (Number) – The HTTP
    status code." "ErrorMessage (String) – The first 1 KB of the error message." (URL above)
    """
    long_message = "x" * 3000
    invoke_event(cloud, "WithDeadLetterQueue", {"fail": long_message})
    cloud.wait_idle()
    [tried] = attempts(cloud)  # MaximumRetryAttempts 0
    [message] = cloud.client("sqs").receive_message(
        QueueUrl=cloud.physical_id("DeadLetters"), MessageAttributeNames=["All"]
    )["Messages"]
    assert json.loads(message["Body"]) == {"fail": long_message}
    attributes = message["MessageAttributes"]
    assert attributes["RequestID"] == {"DataType": "String", "StringValue": tried["request"]}
    assert attributes["ErrorCode"]["DataType"] == "Number"
    assert attributes["ErrorCode"]["StringValue"] == "200"
    assert attributes["ErrorMessage"]["DataType"] == "String"
    assert attributes["ErrorMessage"]["StringValue"] == long_message[:1024]


def test_an_sns_delivery_is_asynchronous_and_dead_letters_the_sns_event(cloud: LocalCloud) -> None:
    """Invoking Lambda with SNS: "Amazon SNS invokes your function asynchronously with an event
    that contains a message and metadata."
    (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html) So its failures follow the
    function's asynchronous configuration: here, the dead-letter queue gets the SNS event."""
    cloud.client("sns").publish(TopicArn=cloud.physical_id("Trigger"), Message="hello")
    cloud.wait_idle()
    [dead] = drain(cloud, cloud.physical_id("DeadLetters"))
    [record] = dead["Records"]
    assert record["EventSource"] == "aws:sns"
    assert record["Sns"]["Message"] == "hello"


def test_a_dead_letter_topic_gets_the_event_with_the_same_attributes(cloud: LocalCloud) -> None:
    """invocation-async-retain-records.html: "You can choose an Amazon SQS standard queue or
    Amazon SNS standard topic for your dead-letter queue." (URL above)"""
    from localcloud.testing import TopicTap

    tap = TopicTap(cloud, "DeadLetterTopic")
    invoke_event(cloud, "WithDeadLetterTopic", {"fail": "topic"})
    cloud.wait_idle()
    [notification] = tap.messages()
    assert json.loads(notification["Message"]) == {"fail": "topic"}
    assert notification["MessageAttributes"]["ErrorMessage"]["Value"] == "topic"
    assert notification["MessageAttributes"]["ErrorCode"]["Type"] == "Number"


def test_an_event_older_than_its_maximum_age_is_not_retried(cloud: LocalCloud) -> None:
    """invocation-async-error-handling.html: "When an event expires or fails all processing
    attempts, Lambda discards it." The on-failure destination is used "when the event fails
    all processing attempts or exceeds the maximum age" (invocation-async-retain-records.html,
    "On failure"); its record's condition is then "EventAgeExceeded" (the documentation's
    DestinationConfig conditions: RetriesExhausted, EventAgeExceeded)."""
    invoke_event(cloud, "AgeLimited", {"fail": "old"})  # MaximumEventAgeInSeconds: 60
    cloud.wait_idle()
    # The first retry would come after a minute: the event is then older than 60 seconds.
    assert len(attempts(cloud)) == 1
    [record] = bodies(cloud, "Failures")
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 1


def test_eventbridge_and_lambda_destinations_get_the_record_as_documented(
    cloud: LocalCloud,
) -> None:
    """invocation-async-retain-records.html, the destinations table: for a Lambda function
    "Lambda passes the invocation record as the payload to the function"; for EventBridge
    "Lambda passes the invocation record as the detail in the PutEvents call. The value for the
    source event field is aws.lambda. The value for the detail-type event field is either
    "Lambda Function Invocation Result - Success" or "Lambda Function Invocation Result -
    Failure". The resource event field contains the function and destination Amazon Resource
    Names (ARNs)." (URL above)"""
    function_arn = cloud.attribute("ToEventBridgeAndLambda", "Arn")
    invoke_event(cloud, "ToEventBridgeAndLambda", {"order": 1})
    cloud.wait_idle()
    [event] = bodies(cloud, "Caught")
    assert event["source"] == "aws.lambda"
    assert event["detail-type"] == "Lambda Function Invocation Result - Success"
    bus = f"arn:aws:events:{cloud.stacks[0].region}:{cloud.account_id}:event-bus/default"
    assert event["resources"] == [function_arn, bus]
    assert event["detail"]["requestContext"]["condition"] == "Success"
    assert event["detail"]["responsePayload"] == {"done": {"order": 1}}

    invoke_event(cloud, "ToEventBridgeAndLambda", {"fail": "to lambda"})
    cloud.wait_idle()
    [record] = bodies(cloud, "Caught")  # the Catcher function's payload, kept as it came
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"] == {"fail": "to lambda"}


def test_the_execution_role_must_allow_sending_to_the_destination(cloud: LocalCloud) -> None:
    """invocation-async-retain-records.html: "For Lambda to successfully send records to your
    chosen destination, ensure that your function's execution role also contains the relevant
    permissions." (sqs:SendMessage for an SQS queue) "If Lambda can't send a record to a
    destination you have configured, it sends a DestinationDeliveryFailures metric to Amazon
    CloudWatch. ... Delivery errors can also occur due to permissions errors" (URL above)."""
    invoke_event(cloud, "Unpermitted", {"fail": "nowhere"})
    cloud.wait_idle()
    assert len(attempts(cloud)) == 1
    assert bodies(cloud, "Failures") == []
    [denial] = [d for d in cloud.iam.denials if d.action == "sqs:SendMessage"]
    assert denial.resource == cloud.attribute("Failures", "Arn")
    name = cloud.physical_id("Unpermitted")
    series = metric_series(
        cloud, "AWS/Lambda", "DestinationDeliveryFailures", {"FunctionName": name}, stat="Sum"
    )
    assert sum(series.values()) == 1


def test_put_function_event_invoke_config_changes_what_happens_next(cloud: LocalCloud) -> None:
    """PutFunctionEventInvokeConfig: "Configures options for asynchronous invocation on a
    function, version, or alias." MaximumRetryAttempts: "The maximum number of times to retry
    when the function returns an error." Valid Range: Minimum value of 0. Maximum value of 2.
    (https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html)"""
    arn = cloud.attribute("WithDestinations", "Arn")
    lambda_ = cloud.client("lambda")
    with pytest.raises(lambda_.exceptions.ClientError, match="less than or equal to 2"):
        lambda_.put_function_event_invoke_config(FunctionName=arn, MaximumRetryAttempts=3)
    lambda_.put_function_event_invoke_config(
        FunctionName=arn,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": cloud.attribute("Failures", "Arn")}},
    )
    invoke_event(cloud, "WithDestinations", {"fail": "once"})
    cloud.wait_idle()
    assert len(attempts(cloud)) == 1
    [record] = bodies(cloud, "Failures")
    assert record["requestContext"]["approximateInvokeCount"] == 1


def test_update_function_configuration_sets_the_dead_letter_queue_and_the_timeout(
    cloud: LocalCloud,
) -> None:
    """UpdateFunctionConfiguration: "DeadLetterConfig - A dead-letter queue configuration that
    specifies the queue or topic where Lambda sends asynchronous events when they fail
    processing." "Timeout - The amount of time (in seconds) that Lambda allows a function to run
    before stopping it."
    (https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html)"""
    lambda_ = cloud.client("lambda")
    name = cloud.physical_id("WithDeadLetterQueue")
    queue = cloud.attribute("DeadLetters", "Arn")
    assert lambda_.get_function_configuration(FunctionName=name)["DeadLetterConfig"] == {
        "TargetArn": queue
    }
    lambda_.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": ""})
    assert "DeadLetterConfig" not in lambda_.get_function_configuration(FunctionName=name)
    invoke_event(cloud, "WithDeadLetterQueue", {"fail": "nowhere to go"})
    cloud.wait_idle()
    assert drain(cloud, cloud.physical_id("DeadLetters")) == []
    assert len(cloud.async_failures) == 1  # discarded, as without a dead-letter queue

    lambda_.update_function_configuration(FunctionName=name, Timeout=1)
    response = lambda_.invoke(FunctionName=name, Payload=json.dumps({"hold": 2}).encode())
    assert json.loads(response["Payload"].read())["errorMessage"].endswith(
        "Task timed out after 1.00 seconds"
    )


# ------------------------------------------------------------------ timeouts

TIMEOUT_DOCS = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html"


def test_a_handler_past_its_timeout_fails_with_sandbox_timedout(cloud: LocalCloud) -> None:
    """configuration-timeout.html: "Lambda runs your code for a set amount of time before
    timing out. Timeout is the maximum amount of time in seconds that a Lambda function can
    run." The Invoke API reference, FunctionError: "Unhandled - The runtime didn't handle the
    error. For example, the function ran out of memory or timed out."
    (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). The error document is the
    runtime's `{"errorType": "Sandbox.Timedout", "errorMessage": "RequestId: ... Error: Task
    timed out after 1.00 seconds"}` (Lambda's troubleshooting guide names the error
    Sandbox.Timedout, https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html;
    the message is as Lambda answers it; the documentation quotes no full example)."""
    response = cloud.client("lambda").invoke(
        FunctionName=cloud.attribute("QuickTimeout", "Arn"),
        Payload=json.dumps({"hold": 3}).encode(),
    )
    # Lambda answered at its 1 s timeout, while the handler was still holding: what it noted
    # before the hold is there, and nothing after it.
    assert [b["stage"] for b in bodies(cloud, "Attempts")] == ["started"]
    assert response["FunctionError"] == "Unhandled"
    payload = json.loads(response["Payload"].read())
    request_id = response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert payload == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
    }
    log = cloud.function_log("QuickTimeout")
    assert any("Task timed out after 1.00 seconds" in line for line in log)
    # What it would have done after the timeout, it never does (the hold's 3 s are over).
    time.sleep(3)
    assert bodies(cloud, "Attempts") == []


def test_the_timeout_runs_on_the_local_clock_and_step_functions_see_sandbox_timedout(
    cloud: LocalCloud,
) -> None:
    """A 900-second timeout, reached by the clock skipping fifteen minutes (the test's
    `cloud.clock.sleep`, the local cloud's driver) while the handler is busy: no real fifteen
    minutes pass. (What other work's waits skip meanwhile does not count for the handler.) Asynchronously, "Function errors include errors
    returned by the function's code and errors returned by the function's runtime, such as
    timeouts." (invocation-async-error-handling.html): the record goes to OnFailure."""
    outcome: dict[str, Any] = {}

    def call() -> None:
        response = cloud.client("lambda").invoke(
            FunctionName=cloud.attribute("LongTimeout", "Arn"),
            Payload=json.dumps({"hold": 2}).encode(),
        )
        outcome["payload"] = json.loads(response["Payload"].read())

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.3)  # the handler is holding
    cloud.clock.sleep(901)
    caller.join(timeout=1.5)
    assert not caller.is_alive(), "Lambda waited for the handler past its timeout"
    assert outcome["payload"]["errorType"] == "Sandbox.Timedout"
    assert outcome["payload"]["errorMessage"].endswith("Task timed out after 900.00 seconds")

    # A Step Functions task on the function sees the error by its errorType.
    sfn = cloud.client("stepfunctions")
    role = cloud.client("iam").create_role(
        RoleName="timeout-machine",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "states.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]
    cloud.client("iam").put_role_policy(
        RoleName="timeout-machine",
        PolicyName="invoke",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "lambda:InvokeFunction",
                        "Resource": cloud.attribute("LongTimeout", "Arn"),
                    }
                ],
            }
        ),
    )
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": cloud.attribute("LongTimeout", "Arn"),
                    "Payload": {"hold": 2},
                },
                "End": True,
            }
        },
    }
    machine = sfn.create_state_machine(
        name="timeout", definition=json.dumps(definition), roleArn=role["Arn"]
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    time.sleep(0.5)
    cloud.clock.sleep(901)
    cloud.wait_idle()
    described = cloud.describe_execution(execution)
    assert described["status"] == "FAILED"
    assert described["error"] == "Sandbox.Timedout"


def test_function_url_config_creates_the_url_getatt_returns(cloud: LocalCloud) -> None:
    """SAM FunctionUrlConfig: "Creates an AWS::Lambda::Url resource"; AWS::Lambda::Url's
    Fn::GetAtt FunctionUrl is "The HTTP URL endpoint for your function."
    (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-functionurlconfig.html,
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-url.html)
    The URL is created and reported; the local cloud does not serve requests on it."""
    url = cloud.stacks[0].outputs["LongTimeoutUrl"]
    config = cloud.client("lambda").get_function_url_config(
        FunctionName=cloud.physical_id("LongTimeout")
    )
    assert config["FunctionUrl"] == url and config["AuthType"] == "NONE"
    assert ".lambda-url." in url


def test_the_timestamp_is_the_local_clock(cloud: LocalCloud) -> None:
    """The record's timestamp is when Lambda sent it, on the local cloud's clock."""
    cloud.clock.sleep(3 * 86400)
    invoke_event(cloud, "WithDestinations", {"order": 9})
    cloud.wait_idle()
    [record] = bodies(cloud, "Successes")
    sent = datetime.strptime(record["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(sent - datetime.fromtimestamp(cloud.clock.wall(), UTC)) < timedelta(minutes=1)
