"""Step Functions calls its integrations with the state machine's role, as on AWS.

moto's interpreter makes every integration's client (`boto_client_for`) with fixed fake
credentials; the state's credentials (the execution's role, or the state's own `Credentials`
role) are handed to it but unused. Here the client gets temporary credentials of that role
(STS AssumeRole through the API, as Step Functions assumes it), so IAM evaluates the calls
of Lambda tasks, nested executions, `batch:`/`sns:`/`sqs:` and `aws-sdk:` tasks, inside Map and
Parallel branches too, against the machine's role.
"""

from __future__ import annotations

import importlib
from typing import Any

from localcloud.core import Core

_ORIGIN = "moto.stepfunctions.parser.asl.utils.boto_client"
_PARSER = "moto.stepfunctions.parser.asl.component.state.exec"
# Every module of moto's interpreter that imported `boto_client_for` by name.
USERS = (
    f"{_PARSER}.state_map.result_writer.resource_eval.resource_eval_s3",
    f"{_PARSER}.state_map.item_reader.eval.resource_eval_s3",
    f"{_PARSER}.state_task.lambda_eval_utils",
    *(
        f"{_PARSER}.state_task.service.state_task_service_{name}"
        for name in (
            "unsupported",
            "glue",
            "events",
            "ecs",
            "sqs",
            "sfn",
            "dynamodb",
            "batch",
            "sns",
            "aws_sdk",
        )
    ),
)


# The session name Step Functions' integrations call with (what a denial names).
SESSION = "StepFunctions"


def install(core: Core) -> None:
    origin = importlib.import_module(_ORIGIN)
    original = core.hooks.original(origin, "boto_client_for")
    # One client moto makes per region and service, for its settings (no parameter
    # validation, no retries) and endpoint: making a client per call is slow.
    made: dict[tuple[str, str], Any] = {}

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        role_arn = getattr(state_credentials, "role_arn", None)
        if not role_arn:
            return original(region=region, service=service, state_credentials=state_credentials)
        if (region, service) not in made:
            made[(region, service)] = original(region=region, service=service)
        settings = made[(region, service)].meta
        return core.clients.as_role(
            role_arn, SESSION, service, region, settings.config, settings.endpoint_url
        )

    core.hooks.replace(origin, "boto_client_for", boto_client_for)
    for name in USERS:
        core.hooks.replace(importlib.import_module(name), "boto_client_for", boto_client_for)
