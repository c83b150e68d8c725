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
import threading
import uuid
from typing import Any

import boto3

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


class RoleSessions:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._credentials: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def credentials(self, role_arn: str, region: str) -> dict[str, str]:
        with self._lock:
            if role_arn not in self._credentials:
                self._credentials[role_arn] = self.core.clients("sts", region).assume_role(
                    RoleArn=role_arn, RoleSessionName=uuid.uuid4().hex[:32]
                )["Credentials"]
            return self._credentials[role_arn]


def install(core: Core) -> None:
    origin = importlib.import_module(_ORIGIN)
    original = core.hooks.original(origin, "boto_client_for")
    sessions = RoleSessions(core)
    clients: dict[tuple[str, str, str], Any] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        role_arn = getattr(state_credentials, "role_arn", None)
        if not role_arn:
            return original(region=region, service=service, state_credentials=state_credentials)
        key = (role_arn, region, service)
        with lock:
            if key not in clients:
                made = original(region=region, service=service, state_credentials=state_credentials)
                credentials = sessions.credentials(role_arn, region)
                clients[key] = boto3.client(
                    service,
                    region_name=region,
                    aws_access_key_id=credentials["AccessKeyId"],
                    aws_secret_access_key=credentials["SecretAccessKey"],
                    aws_session_token=credentials["SessionToken"],
                    config=made.meta.config,  # moto's: no parameter validation, no retries
                    endpoint_url=made.meta.endpoint_url,
                )
            return clients[key]

    core.hooks.replace(origin, "boto_client_for", boto_client_for)
    for name in USERS:
        core.hooks.replace(importlib.import_module(name), "boto_client_for", boto_client_for)
