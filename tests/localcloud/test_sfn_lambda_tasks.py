"""Lambda tasks as AWS returns them: the optimized integration's metadata, the direct ARN's
payload, a handler error's document as the cause, bytes results, string events, versions."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from tests.support.paths import LOCALCLOUD_TEMPLATES as TEMPLATES


@pytest.fixture
def cloud(cloud_factory: Any) -> LocalCloud:
    cloud: LocalCloud = cloud_factory(template=TEMPLATES / "lambda_tasks.yaml")
    return cloud


def _run(cloud: LocalCloud, machine: str, input: Any) -> dict[str, Any]:
    arn = cloud.start_execution(machine, input)
    cloud.wait_idle(timeout=30)
    return cloud.describe_execution(arn)


def _optimized(cloud: LocalCloud, function: str, payload: Any) -> dict[str, Any]:
    return _run(
        cloud, "OptimizedTask", {"function": cloud.attribute(function, "Arn"), "payload": payload}
    )


def _request_ids(cloud: LocalCloud, function: str) -> list[str]:
    """The request ID of each invocation, from the START line of its log."""
    return [
        line.split("RequestId: ")[1].split()[0]
        for line in cloud.function_log(function)
        if line.startswith("START RequestId: ")
    ]


def test_the_optimized_integration_nests_the_payload_in_invokes_metadata(
    cloud: LocalCloud,
) -> None:
    # Step Functions Developer Guide, "Invoke an AWS Lambda function with Step Functions":
    # "When the Task result is returned, the function output is nested inside a dictionary of
    # metadata. For example: { "ExecutedVersion":"$LATEST", "Payload":"FUNCTION OUTPUT",
    # "SdkHttpMetadata":{ "HttpHeaders":{ ... "X-Amz-Executed-Version":"$LATEST", ...
    # "x-amzn-RequestId":"...", ... }, "HttpStatusCode":200 }, "SdkResponseMetadata":{
    # "RequestId":"..." }, "StatusCode":200 }" and "The Payload field of the response is
    # parsed from escaped Json to Json." (Executions recorded on AWS also carry
    # SdkHttpMetadata.AllHttpHeaders, each header's values as a list.)
    execution = _optimized(cloud, "EchoFunction", {"a": 1})
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    output = execution["output"]
    assert list(output) == [
        "ExecutedVersion",
        "Payload",
        "SdkHttpMetadata",
        "SdkResponseMetadata",
        "StatusCode",
    ]
    assert output["ExecutedVersion"] == "$LATEST"
    assert output["Payload"] == {"event": {"a": 1}, "version": "$LATEST"}
    assert output["StatusCode"] == 200
    http = output["SdkHttpMetadata"]
    assert http["HttpStatusCode"] == 200
    headers = http["HttpHeaders"]
    assert headers["X-Amz-Executed-Version"] == "$LATEST"
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == str(len(json.dumps(output["Payload"]).encode()))
    assert http["AllHttpHeaders"] == {name: [value] for name, value in headers.items()}
    request_id = output["SdkResponseMetadata"]["RequestId"]
    assert headers["x-amzn-RequestId"] == request_id
    # The documentation does not say so, but the Invoke response's request ID is the one the
    # invocation ran under (its log's START RequestId), as every Lambda log shows.
    assert _request_ids(cloud, "EchoFunction") == [request_id]


def test_a_function_arn_as_resource_results_in_the_payload_alone(cloud: LocalCloud) -> None:
    # Same page: "When you invoke Lambda using an ARN directly from the "Resource" field, ...
    # the state input is passed to Lambda as the payload. The output of the Lambda function is
    # the result."
    execution = _run(cloud, "DirectEchoTask", {"payload": {"a": 1}})
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    assert execution["output"] == {"event": {"a": 1}, "version": "$LATEST"}


@pytest.mark.parametrize("form", ["optimized", "direct"])
def test_a_handler_exception_fails_the_task_with_lambdas_error_document_as_its_cause(
    cloud: LocalCloud, form: str
) -> None:
    # Lambda Developer Guide, "AWS Lambda function errors in Python": "When your code raises
    # an error, Lambda generates a JSON representation of the error. This error document
    # appears in the invocation log and, for synchronous invocations, in the output." The
    # Python runtime's document holds errorMessage, errorType, requestId and stackTrace.
    # Step Functions Developer Guide, "Handling errors in Step Functions workflows": the error
    # output "usually contains the field Cause. This field's value is a human-readable
    # description of the error". The guide does not spell the cause of a Lambda task out;
    # executions recorded on AWS show the error document itself, as Lambda returned it
    # (Python's separators, ", " and ": "), with its errorType as the error.
    if form == "optimized":
        execution = _optimized(cloud, "FailFunction", {})
        failed = "TaskFailed"
    else:
        execution = _run(cloud, "DirectFailTask", {})
        failed = "LambdaFunctionFailed"
    assert execution["status"] == "FAILED"
    assert execution["error"] == "CustomError"
    document = json.loads(execution["cause"])
    assert list(document) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert document["errorMessage"] == "This is a custom error!"
    assert document["errorType"] == "CustomError"
    assert [document["requestId"]] == _request_ids(cloud, "FailFunction")
    [frame] = document["stackTrace"]  # the handler's own frame, not the runtime's
    assert frame.startswith('  File "') and "fixtures/lambda_tasks/app.py" in frame
    assert frame.endswith(', in fail\n    raise CustomError("This is a custom error!")\n')
    assert execution["cause"] == json.dumps(document)
    [event] = [e for e in execution["history"] if e["type"] == failed]
    details = event[
        "taskFailedEventDetails" if form == "optimized" else "lambdaFunctionFailedEventDetails"
    ]
    assert (details["error"], details["cause"]) == ("CustomError", execution["cause"])


def test_invoke_reports_a_handler_exception_as_unhandled_with_the_error_document(
    cloud: LocalCloud,
) -> None:
    # "AWS Lambda function errors in Python" (AWS CLI): "If an error has occurred, the
    # response contains a FunctionError field", shown as { "StatusCode": 200,
    # "FunctionError": "Unhandled", "ExecutedVersion": "$LATEST" }, and the error document
    # is the payload.
    response = cloud.client("lambda").invoke(
        FunctionName=cloud.attribute("FailFunction", "Arn"), Payload=b"{}"
    )
    assert (response["StatusCode"], response["FunctionError"], response["ExecutedVersion"]) == (
        200,
        "Unhandled",
        "$LATEST",
    )
    document = json.loads(response["Payload"].read())
    assert document["errorType"] == "CustomError"
    assert document["requestId"] == response["ResponseMetadata"]["RequestId"]


def test_a_result_json_cannot_hold_is_a_marshal_error(cloud: LocalCloud) -> None:
    # "AWS Lambda function errors in Python", "JSON serialization error –
    # Runtime.MarshalError": { "errorMessage": "Unable to marshal response: Object of type
    # AttributeError is not JSON serializable", "errorType": "Runtime.MarshalError" }.
    response = cloud.client("lambda").invoke(
        FunctionName=cloud.attribute("MarshalFunction", "Arn"), Payload=b"{}"
    )
    assert response["FunctionError"] == "Unhandled"
    document = json.loads(response["Payload"].read())
    assert document["errorType"] == "Runtime.MarshalError"
    assert document["errorMessage"] == (
        "Unable to marshal response: Object of type set is not JSON serializable"
    )


def test_a_handler_may_return_bytes_which_lambda_returns_as_they_are(cloud: LocalCloud) -> None:
    # The Lambda guide is silent on bytes; AWS's Python runtime interface client
    # (awslambdaric, lambda_runtime_marshaller.py) sends a result of bytes as it is, without
    # serialising it: `if isinstance(response, bytes): return response, ...`. Step Functions
    # then parses the Payload "from escaped Json to Json" (executions recorded on AWS of a
    # handler returning b'"HelloWorld!"' have "Payload": "HelloWorld!").
    response = cloud.client("lambda").invoke(
        FunctionName=cloud.attribute("BytesFunction", "Arn"), Payload=b"{}"
    )
    assert "FunctionError" not in response
    assert response["Payload"].read() == b'"HelloWorld!"'
    optimized = _optimized(cloud, "BytesFunction", {})
    assert optimized["status"] == "SUCCEEDED", optimized["cause"]
    assert optimized["output"]["Payload"] == "HelloWorld!"
    direct = _run(cloud, "DirectBytesTask", {})
    assert direct["status"] == "SUCCEEDED", direct["cause"]
    assert direct["output"] == "HelloWorld!"


def test_an_event_that_is_a_json_string_reaches_the_handler_as_that_string(
    cloud: LocalCloud,
) -> None:
    # "AWS Lambda function errors in Python", How it works: Lambda "verifies that the event
    # document is a valid JSON document", and "The Lambda runtime environment converts the
    # event document into an object, and passes it to your function handler": the document
    # "hello world" (a JSON string) is decoded once, to that string.
    echo = cloud.attribute("EchoFunction", "Arn")
    response = cloud.client("lambda").invoke(FunctionName=echo, Payload=b'"hello world"')
    assert json.loads(response["Payload"].read())["event"] == "hello world"
    optimized = _optimized(cloud, "EchoFunction", "hello world")
    assert optimized["status"] == "SUCCEEDED", optimized["cause"]
    assert optimized["output"]["Payload"]["event"] == "hello world"
    direct = _run(cloud, "DirectEchoTask", {"payload": "hello world"})
    assert direct["status"] == "SUCCEEDED", direct["cause"]
    assert direct["output"]["event"] == "hello world"


def test_a_qualifier_names_the_version_invoked_and_the_error_names_a_missing_one(
    cloud: LocalCloud,
) -> None:
    # Lambda API Reference, Invoke: Qualifier "Specify a version or alias to invoke a
    # published version of the function."; ExecutedVersion "The version of the function
    # that executed."; ResourceNotFoundException "The resource specified in the request does
    # not exist." Lambda's message names the function's ARN with the qualifier asked for
    # ("Function not found: arn:aws:lambda:...:function:<name>:<qualifier>").
    arn = cloud.attribute("EchoFunction", "Arn")
    latest = _run(cloud, "QualifiedTask", {"qualifier": "$LATEST"})
    assert latest["status"] == "SUCCEEDED", latest["cause"]
    assert latest["output"]["ExecutedVersion"] == "$LATEST"
    missing = _run(cloud, "QualifiedTask", {"qualifier": "7"})
    assert missing["status"] == "FAILED"
    assert missing["error"] == "Lambda.ResourceNotFoundException"
    assert missing["cause"].startswith(
        f"Function not found: {arn}:7 (Service: AWSLambda; Status Code: 404; "
        "Error Code: ResourceNotFoundException; Request ID: "
    )
    with pytest.raises(ClientError) as caught:
        cloud.client("lambda").invoke(FunctionName=arn, Qualifier="7", Payload=b"{}")
    assert caught.value.response["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": f"Function not found: {arn}:7",
    }
    assert _request_ids(cloud, "EchoFunction") == [
        latest["output"]["SdkResponseMetadata"]["RequestId"]
    ]


def test_a_dry_run_validates_the_call_without_running_the_function(cloud: LocalCloud) -> None:
    # Lambda API Reference, Invoke: "DryRun – Validate parameter values and verify that the
    # user or role has permission to invoke the function." and "For the DryRun invocation
    # type, the status code is 204."
    response = cloud.client("lambda").invoke(
        FunctionName=cloud.attribute("EchoFunction", "Arn"), InvocationType="DryRun"
    )
    assert response["StatusCode"] == 204
    assert cloud.function_log("EchoFunction") == []


def test_log_type_tail_returns_the_last_4_kb_of_the_invocations_log(cloud: LocalCloud) -> None:
    # Lambda API Reference, Invoke: LogType "Set to Tail to include the execution log in the
    # response."; LogResult "The last 4 KB of the execution log, which is base64-encoded."
    response = cloud.client("lambda").invoke(
        FunctionName=cloud.attribute("EchoFunction", "Arn"),
        Payload=json.dumps({"pad": "x" * 8000}).encode(),
        LogType="Tail",
    )
    tail = base64.b64decode(response["LogResult"])
    assert len(tail) == 4096
    [request_id] = _request_ids(cloud, "EchoFunction")
    assert tail.endswith(f"END RequestId: {request_id}\n".encode())
