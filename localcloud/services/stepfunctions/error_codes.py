"""Step Functions' errors keep their codes over HTTP.

moto's ASL interpreter (`moto.stepfunctions.parser`, run with `execute_state_machine`) raises
its own exception classes, which give their code as a `code` attribute where moto's responses
read `TYPE`: StartExecution with input that is not JSON answered `{"__type": null, ...}`, an
error without a code. The API reference names the code: StartExecution, Errors,
"InvalidExecutionInput: The provided JSON input data is not valid. HTTP Status Code: 400"
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html). Each
such class gets its own code (and status) as `TYPE`, so every error the interpreter raises is
answered with the code AWS gives.
"""

from __future__ import annotations

import inspect

from localcloud.core import Core

__all__ = ["install"]


def install(core: Core) -> None:
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser import api

    for _, error in inspect.getmembers(api, inspect.isclass):
        if not issubclass(error, AWSError) or error is AWSError:
            continue
        code = vars(error).get("code")
        if not isinstance(code, str) or vars(error).get("TYPE") is not None:
            continue
        core.hooks.replace(error, "TYPE", code)
        status = vars(error).get("status_code")
        if isinstance(status, int):
            core.hooks.replace(error, "STATUS", status)
