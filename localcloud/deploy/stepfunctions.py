"""Step Functions: state machines from Definition, DefinitionUri or DefinitionString."""

from __future__ import annotations

import json
from typing import Any

import yaml

from localcloud.deploy import iam
from localcloud.deploy.context import DeployContext
from localcloud.deploy.stack import Deployed
from localcloud.errors import TemplateError
from localcloud.template import substitute_definition


def _definition(ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> str:
    if "Definition" in props:
        text = json.dumps(props["Definition"])
    elif "DefinitionUri" in props:
        path = ctx.base_dir / str(props["DefinitionUri"])
        if not path.exists():
            raise TemplateError(f"{logical_id}: DefinitionUri {path} does not exist")
        text = path.read_text(encoding="utf-8")
        if path.suffix in (".yaml", ".yml"):
            text = json.dumps(yaml.safe_load(text))
    else:
        raise TemplateError(f"{logical_id}: a state machine needs Definition or DefinitionUri")
    text = substitute_definition(text, props.get("DefinitionSubstitutions") or {}, logical_id)
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"{logical_id}: definition is not valid JSON: {exc}") from exc
    return text


def _create(
    ctx: DeployContext,
    logical_id: str,
    name: str,
    definition: str,
    role: str,
    kind: str,
    body_type: str,
    logging: dict[str, Any] | None = None,
) -> Deployed:
    if not ctx.core.service("iam").role_trusts(role, "states.amazonaws.com"):
        # CreateStateMachine's own answer (AccessDeniedException)
        raise TemplateError(
            f"{logical_id}: Neither the global service principal states.amazonaws.com, nor "
            "the regional one is authorized to assume the provided role."
        )
    options: dict[str, Any] = {"loggingConfiguration": logging} if logging else {}
    created = ctx.client("stepfunctions").create_state_machine(
        name=name, definition=definition, roleArn=role, type=kind, **options
    )
    arn = created["stateMachineArn"]
    return Deployed(logical_id, body_type, arn, {"Arn": arn, "Name": name})


def _logging(template: dict[str, Any] | None) -> dict[str, Any] | None:
    """A template's `Logging` (SAM) or `LoggingConfiguration` (CloudFormation), both in
    CloudFormation's casing, as the API's loggingConfiguration."""
    if not template:
        return None
    return {
        "level": str(template.get("Level", "OFF")),
        "includeExecutionData": bool(template.get("IncludeExecutionData", False)),
        "destinations": [
            {
                "cloudWatchLogsLogGroup": {
                    "logGroupArn": str(d["CloudWatchLogsLogGroup"]["LogGroupArn"])
                }
            }
            for d in template.get("Destinations") or []
        ],
    }


def serverless_state_machine(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    return _create(
        ctx,
        logical_id,
        str(props.get("Name") or ctx.physical_name(logical_id, 80)),
        _definition(ctx, logical_id, props),
        iam.execution_role(ctx, logical_id, props),
        str(props.get("Type", "STANDARD")),
        body["Type"],
        _logging(props.get("Logging")),
    )


def state_machine(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    definition = props.get("DefinitionString") or json.dumps(props.get("Definition"))
    definition = substitute_definition(
        definition, props.get("DefinitionSubstitutions") or {}, logical_id
    )
    return _create(
        ctx,
        logical_id,
        str(props.get("StateMachineName") or ctx.physical_name(logical_id, 80)),
        definition,
        str(props["RoleArn"]),
        str(props.get("StateMachineType", "STANDARD")),
        body["Type"],
        _logging(props.get("LoggingConfiguration")),
    )


PROVISIONERS = {
    "AWS::Serverless::StateMachine": serverless_state_machine,
    "AWS::StepFunctions::StateMachine": state_machine,
}
