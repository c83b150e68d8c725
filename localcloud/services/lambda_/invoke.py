"""Invocations of the local cloud's functions, as Lambda makes them.

moto's Lambda would run a function in Docker. Here every invocation of a registered function
(a direct Invoke, a Step Functions task, SNS, EventBridge, a rotation, an SQS poller) runs the
real handler in process, and moto keeps its logs. `InvocationType=Event` returns at once and
runs the function on the dispatcher, retried as Lambda's event queue retries it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from localcloud.core import Core, FunctionSpec
from localcloud.services.lambda_.runtime import Runtime

LOG = logging.getLogger("localcloud")

# Lambda retries a failed asynchronous invocation twice, after about one and then two minutes.
ASYNC_RETRY_DELAYS = (60.0, 120.0)


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


def install(core: Core, runtime: Runtime, credentials: Credentials) -> None:
    from moto.awslambda.models import LambdaFunction

    original_invoke_lambda = core.hooks.original(LambdaFunction, "_invoke_lambda")
    original_invoke = core.hooks.original(LambdaFunction, "invoke")

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        spec = core.functions.get(self.function_arn)
        if spec is None:
            return original_invoke_lambda(self, event)  # type: ignore[no-any-return]
        if isinstance(event, (str, bytes)):
            event = json.loads(event) if event else {}
        result = runtime.invoke(spec, event, credentials.of(spec))
        self.logs_backend.ensure_log_group(self.logs_group_name)
        self.save_logs(result.logs)
        return result.as_lambda_payload(), result.failed, result.logs

    def invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> Any:
        kind = (request_headers or {}).get("x-amz-invocation-type") or (request_headers or {}).get(
            "X-Amz-Invocation-Type"
        )
        spec = core.functions.get(self.function_arn)
        if kind != "Event" or spec is None:
            return original_invoke(self, body, request_headers, response_headers)
        event = json.loads(body) if body else {}
        source = describe_source(event)
        function = self

        def run() -> None:
            for attempt in range(spec.async_retries + 1):
                payload, failed, _ = function._invoke_lambda(event=event)
                if not failed:
                    return
                if attempt < spec.async_retries:
                    core.clock.sleep(ASYNC_RETRY_DELAYS[min(attempt, 1)])
            error = json.loads(payload)
            LOG.warning(
                "%s: %s failed after %d attempts: %s",
                source,
                spec.name,
                spec.async_retries + 1,
                error,
            )
            core.record_failure(
                f"{spec.name} ({source})",
                error.get("errorType", ""),
                error.get("errorMessage", ""),
                event,
            )

        core.dispatcher.submit(run)
        return b""

    core.hooks.replace(LambdaFunction, "_invoke_lambda", _invoke_lambda)
    core.hooks.replace(LambdaFunction, "invoke", invoke)


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
