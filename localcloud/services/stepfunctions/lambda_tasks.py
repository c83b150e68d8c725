"""Lambda tasks as Step Functions returns them.

A task whose Resource is `arn:aws:states:::lambda:invoke` (the optimized integration) results
in Lambda's Invoke response nested in metadata: `ExecutedVersion`, `Payload` (parsed from
escaped JSON), `SdkHttpMetadata`, `SdkResponseMetadata` and `StatusCode`. A task whose
Resource is the function's ARN results in the payload alone. When the handler raised, the task
fails with the error document's `errorType` as the error and the document itself, as Lambda
returned it, as the cause. moto's interpreter kept only `StatusCode` and `Payload`, and
re-serialised the error document (compact, so the cause differed from AWS's).
"""

from __future__ import annotations

import json
import secrets
from email.utils import formatdate
from typing import Any

from localcloud.core import Core

__all__ = ["install", "parsed_payload", "task_result"]


def parsed_payload(body: bytes) -> Any:
    """ "The `Payload` field of the response is parsed from escaped Json to Json"; a body that
    is not JSON (a handler may return any bytes) stays the text it is."""
    text = body.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _trace_id(wall: float) -> str:
    # X-Ray's trace ID format (version 1, epoch seconds in hex, 96 random bits), as Lambda
    # returns it in X-Amzn-Trace-Id.
    return f"root=1-{int(wall):08x}-{secrets.token_hex(12)};sampled=0"


def task_result(response: dict[str, Any], body: bytes, wall: float) -> dict[str, Any]:
    """The optimized integration's result for an Invoke response that was not a function
    error: what the Java SDK's InvokeResult holds, in Step Functions' casing."""
    request_id = str(response["ResponseMetadata"].get("RequestId", ""))
    version = str(response.get("ExecutedVersion", "$LATEST"))
    headers = {
        "Connection": "keep-alive",
        "Content-Length": str(len(body)),
        # Lambda answers application/json whatever the handler returned, bytes too.
        "Content-Type": "application/json",
        "Date": formatdate(wall, usegmt=True),
        "X-Amz-Executed-Version": version,
        **({"X-Amz-Log-Result": response["LogResult"]} if "LogResult" in response else {}),
        "x-amzn-Remapped-Content-Length": "0",
        "x-amzn-RequestId": request_id,
        "X-Amzn-Trace-Id": _trace_id(wall),
    }
    result: dict[str, Any] = {"ExecutedVersion": version}
    if "LogResult" in response:
        result["LogResult"] = response["LogResult"]
    result["Payload"] = parsed_payload(body)
    result["SdkHttpMetadata"] = {
        "AllHttpHeaders": {name: [value] for name, value in headers.items()},
        "HttpHeaders": headers,
        "HttpStatusCode": int(response["ResponseMetadata"].get("HTTPStatusCode", 200)),
    }
    result["SdkResponseMetadata"] = {"RequestId": request_id}
    result["StatusCode"] = int(response["StatusCode"])
    return result


def install(core: Core) -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import (
        lambda_eval_utils as module,
    )

    # Typed loosely: the module's `boto_client_for` is the one `credentials` puts there.
    utils: Any = module
    original = core.hooks.original(utils, "execute_lambda_function_integration")

    def execute_lambda_function_integration(
        env: Any, parameters: dict[str, Any], region: str, state_credentials: Any
    ) -> None:
        if env.is_mocked_mode():  # moto's mocked responses are not Lambda's
            original(env, parameters, region, state_credentials)
            return
        # Looked up at call time: `credentials` gives the module the machine role's client.
        client: Any = utils.boto_client_for(
            service="lambda", region=region, state_credentials=state_credentials
        )
        response = client.invoke(**parameters)
        body: bytes = response["Payload"].read()
        if response.get("FunctionError"):
            # The cause is Lambda's error document as it came (`errorMessage`, `errorType`,
            # `requestId`, `stackTrace` from the Python runtime); moto names the error after
            # its `errorType`, as Step Functions does.
            raise utils.LambdaFunctionErrorException(
                response["FunctionError"], body.decode("utf-8", "replace")
            )
        env.stack.append(task_result(response, body, core.clock.wall()))

    core.hooks.replace(
        utils, "execute_lambda_function_integration", execute_lambda_function_integration
    )
