"""Invocations of the local cloud's functions, as Lambda makes them.

moto's Lambda would run a function in Docker. Here every invocation of a registered function
(a direct Invoke, a Step Functions task, SNS, EventBridge, a rotation, an SQS poller) runs the
real handler in process, and its log goes to the function's CloudWatch Logs group (`logs`).
`InvocationType=Event` returns at once and runs the function on the dispatcher, retried as
Lambda's event queue retries it, and then hands its record to the function's destinations or
its dead-letter queue (`destinations`).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
from typing import Any

from localcloud.core import Core, FunctionSpec
from localcloud.services.lambda_.destinations import (
    EVENT_AGE_EXCEEDED,
    RETRIES_EXHAUSTED,
    SUCCESS,
    AsyncConfig,
    Destinations,
    invocation_record,
)
from localcloud.services.lambda_.logs import LogDelivery, log_group_of
from localcloud.services.lambda_.runtime import InvocationResult, Runtime

LOG = logging.getLogger("localcloud")

# Lambda retries a failed asynchronous invocation twice, after about one and then two minutes.
ASYNC_RETRY_DELAYS = (60.0, 120.0)


def _invalid_request_content(malformed: ValueError) -> Exception:
    """Invoke with a payload that is not JSON. Lambda's API reference, Invoke, Errors:
    "InvalidRequestContentException: The request body could not be parsed as JSON, or a
    request header is invalid. [...] HTTP Status Code: 400"
    (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html)."""
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError(
        "InvalidRequestContentException",
        f"The request body could not be parsed as JSON: {malformed}",
    )
    error.code = 400
    return error


def describe_source(event: Any) -> str:
    """Who sent an asynchronous event, as far as the event itself says."""
    if isinstance(event, dict):
        records = event.get("Records")
        if isinstance(records, list) and records and isinstance(records[0], dict):
            sns = records[0].get("Sns")
            if isinstance(sns, dict):
                return f"SNS {sns.get('TopicArn')}"
        if "detail-type" in event:
            return f"EventBridge {event.get('source')} {event.get('detail-type')}"
    return "asynchronous invocation"


class Credentials:
    """What Lambda does for each function: assume its execution role (STS, through the API)
    and hand the temporary credentials to the invocation."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def of(self, spec: FunctionSpec) -> dict[str, str] | None:
        if not spec.role_arn:
            return None
        return self.core.clients.role_credentials(spec.role_arn, spec.name, spec.region)


def install(core: Core, runtime: Runtime, credentials: Credentials, delivery: LogDelivery) -> None:
    from moto.awslambda.models import LambdaFunction
    from moto.awslambda.responses import LambdaResponse

    original_invoke = core.hooks.original(LambdaFunction, "invoke")
    destinations = Destinations(core)
    original_response_invoke = core.hooks.original(LambdaResponse, "invoke")

    def run(function: Any, spec: FunctionSpec, event: Any) -> InvocationResult:
        # The function's Timeout and log group as Lambda has them now
        # (UpdateFunctionConfiguration changes them).
        spec = dataclasses.replace(
            spec, timeout=int(function.timeout), log_group=log_group_of(function)
        )
        result = runtime.invoke(spec, event, credentials.of(spec))
        delivery.deliver(spec, result.log_stream, result.logs)
        return result

    def invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> Any:
        spec = core.functions.get(self.function_arn)
        if spec is None:
            return original_invoke(self, body, request_headers, response_headers)
        headers = request_headers or {}
        kind = (
            headers.get("x-amz-invocation-type")
            or headers.get("X-Amz-Invocation-Type")
            or "RequestResponse"
        )
        if kind == "DryRun":  # "Validate parameter values and verify that the user or role
            return b""  # has permission to invoke the function": it does not run
        # The body is the event document, decoded once as the runtime decodes it (a JSON
        # string reaches the handler as that string); no payload at all is the event {}.
        try:
            event = json.loads(body) if body else {}
        except ValueError as malformed:
            raise _invalid_request_content(malformed) from None
        if kind == "Event":
            submit_async(self, spec, event)
            return b""
        result = run(self, spec, event)
        response_headers["x-amz-executed-version"] = str(self.version)
        response_headers["x-amzn-requestid"] = result.request_id
        # "FunctionError": "Unhandled", as the Lambda guide shows a Python handler's exception.
        if result.failed:
            response_headers["x-amz-function-error"] = "Unhandled"
        # The last 4 KB of the log, base64-encoded (moto's response keeps it for LogType Tail).
        tail = result.logs.encode()[-4096:]
        response_headers["x-amz-log-result"] = base64.b64encode(tail).decode()
        return result.as_lambda_payload()

    def submit_async(function: Any, spec: FunctionSpec, event: Any) -> None:
        source = describe_source(event)
        queued = core.clock.now()  # the event's age counts from when Lambda queued it

        def attempts() -> None:
            config = AsyncConfig.of(core, spec)
            attempt = 0
            condition = RETRIES_EXHAUSTED
            while True:
                attempt += 1
                result = run(function, spec, event)
                if not result.failed:
                    condition = SUCCESS
                    break
                if attempt > config.retries:
                    break
                core.clock.sleep(ASYNC_RETRY_DELAYS[min(attempt - 1, 1)])
                # "When an event ... stays in the asynchronous invocation queue for too long,
                # Lambda discards it": an event older than MaximumEventAgeInSeconds is not
                # sent again.
                if core.clock.now() - queued > config.max_event_age:
                    condition = EVENT_AGE_EXCEEDED
                    break
            record = invocation_record(spec, event, result, condition, attempt, core.clock.wall())
            if condition == SUCCESS:
                if config.on_success:
                    destinations.send_record(spec, config.on_success, record)
                return
            LOG.warning(
                "%s: %s failed after %d attempts (%s): %s",
                source,
                spec.name,
                attempt,
                condition,
                {"errorType": result.error_type, "errorMessage": result.error_message},
            )
            core.record_failure(
                f"{spec.name} ({source})",
                result.error_type or "",
                result.error_message or "",
                event,
            )
            if config.on_failure:
                destinations.send_record(spec, config.on_failure, record)
            elif config.dead_letter:
                destinations.send_dead_letter(spec, config.dead_letter, event, result)

        core.dispatcher.submit(attempts)

    def response_invoke(self: Any) -> Any:
        # moto reads the Qualifier query parameter as "qualifier", which botocore never sends,
        # so Invoke ran $LATEST whatever version was asked for. Lambda invokes the version or
        # alias named, and names it when it does not exist: "Function not found:
        # arn:aws:lambda:...:function:name:7".
        qualifier = self.querystring.get("Qualifier")
        if qualifier and "qualifier" not in self.querystring:
            self.querystring["qualifier"] = qualifier
        return original_response_invoke(self)

    original_enrich = core.hooks.original(LambdaResponse, "_enrich_response")

    def _enrich_response(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        # moto gives every response a random x-amzn-RequestId; an invocation's is the ID its
        # handler ran under (context.aws_request_id, the log's START RequestId), which the
        # Lambda documentation does not spell out but every log and error document shows.
        invocation = headers.get("x-amzn-requestid")
        headers, body = original_enrich(headers, body)
        if invocation:
            headers["x-amzn-requestid"] = invocation
        return headers, body

    from moto.awslambda.models import LambdaBackend

    original_put_config = core.hooks.original(LambdaBackend, "put_function_event_invoke_config")

    def put_function_event_invoke_config(
        self: Any, function_name: str, config: dict[str, Any]
    ) -> dict[str, Any]:
        # moto adds each configuration after the first and keeps answering the first. "If a
        # configuration already exists for a function, version, or alias, this operation
        # overwrites it. If you exclude any settings, they are removed." (Lambda API reference,
        # PutFunctionEventInvokeConfig)
        self.get_function(function_name).event_invoke_config = []
        return original_put_config(self, function_name, config)  # type: ignore[no-any-return]

    core.hooks.replace(
        LambdaBackend, "put_function_event_invoke_config", put_function_event_invoke_config
    )
    core.hooks.replace(LambdaFunction, "invoke", invoke)
    core.hooks.replace(LambdaResponse, "invoke", response_invoke)
    core.hooks.replace(LambdaResponse, "_enrich_response", staticmethod(_enrich_response))


def invoke_sync(core: Core, function_arn: str, event: Any) -> tuple[Any, str | None]:
    """Invoke through the Lambda API, as a service does: (payload, FunctionError or None)."""
    response = core.clients.for_arn("lambda", function_arn).invoke(
        FunctionName=function_arn, Payload=json.dumps(event).encode()
    )
    raw = response["Payload"].read()
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = raw.decode("utf-8", "replace")
    return payload, response.get("FunctionError")


def invoke_async(core: Core, function_arn: str, event: Any) -> None:
    """Invoke with InvocationType=Event through the Lambda API, as SNS and EventBridge do."""
    core.clients.for_arn("lambda", function_arn).invoke(
        FunctionName=function_arn, InvocationType="Event", Payload=json.dumps(event).encode()
    )
