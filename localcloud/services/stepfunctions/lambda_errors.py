"""How Step Functions names a Lambda call the Lambda API refused.

Step Functions calls Lambda with the AWS SDK for Java: an error code that Lambda's API models
as an exception of its own keeps its name (`Lambda.ResourceNotFoundException`,
`Lambda.TooManyRequestsException`); any other, such as `AccessDeniedException` when the
machine's role may not invoke the function, is the SDK's base exception,
`Lambda.AWSLambdaException`, with the SDK's cause text ("… (Service: AWSLambda; Status Code:
403; Error Code: AccessDeniedException; Request ID: …; Proxy: null)"). moto named it after
the code, and for a Task whose Resource is the function's ARN called it "Exception".
"""

from __future__ import annotations

import functools
from typing import Any

from localcloud.core import Core


@functools.cache
def _modelled_errors() -> frozenset[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("lambda")
    return frozenset(shape.name for shape in model.error_shapes)


def error_and_cause(client_error: Any) -> tuple[str, str]:
    code = str(client_error.response["Error"]["Code"])
    message = str(client_error.response["Error"]["Message"])
    metadata = client_error.response.get("ResponseMetadata", {})
    details = "; ".join(
        [
            "Service: AWSLambda",
            f"Status Code: {metadata.get('HTTPStatusCode')}",
            f"Error Code: {code}",
            f"Request ID: {metadata.get('RequestId', '')}",
            "Proxy: null",
        ]
    )
    name = code if code in _modelled_errors() else "AWSLambdaException"
    return f"Lambda.{name}", f"{message} ({details})"


def install(core: Core) -> None:
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_lambda import (
        StateTaskServiceLambda,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
        StateTaskLambda,
    )

    core.hooks.original(StateTaskServiceLambda, "_error_cause_from_client_error")
    core.hooks.replace(
        StateTaskServiceLambda, "_error_cause_from_client_error", staticmethod(error_and_cause)
    )
    original = core.hooks.original(StateTaskLambda, "_from_error")

    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        event = original(self, env, ex)
        if isinstance(ex, ClientError):
            error, cause = error_and_cause(ex)
            event.error_name = CustomErrorName(error)
            details = event.event_details["lambdaFunctionFailedEventDetails"]
            details["error"], details["cause"] = error, cause
        return event

    core.hooks.replace(StateTaskLambda, "_from_error", _from_error)
