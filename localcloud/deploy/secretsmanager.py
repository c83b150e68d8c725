"""Secrets Manager: secrets (with GenerateSecretString) and Lambda rotation schedules."""

from __future__ import annotations

import json
from typing import Any

from localcloud.deploy.context import DeployContext
from localcloud.deploy.stack import Deployed
from localcloud.errors import TemplateError


def secret(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    sm = ctx.client("secretsmanager")
    name = str(props.get("Name") or ctx.physical_name(logical_id, 512))
    kwargs: dict[str, Any] = {"Name": name}
    if "Description" in props:
        kwargs["Description"] = str(props["Description"])
    if "SecretString" in props:
        kwargs["SecretString"] = str(props["SecretString"])
    elif "GenerateSecretString" in props:
        gen = props["GenerateSecretString"]
        password = sm.get_random_password(
            PasswordLength=int(gen.get("PasswordLength", 32)),
            ExcludeCharacters=str(gen.get("ExcludeCharacters", "")),
        )["RandomPassword"]
        if "SecretStringTemplate" in gen:
            document = json.loads(gen["SecretStringTemplate"])
            document[gen["GenerateStringKey"]] = password
            kwargs["SecretString"] = json.dumps(document)
        else:
            kwargs["SecretString"] = password
    arn = sm.create_secret(**kwargs)["ARN"]
    return Deployed(logical_id, body["Type"], arn, {"Id": arn})


def rotation_schedule(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    secret_id = str(props["SecretId"])
    lambda_arn = str(props.get("RotationLambdaARN", ""))
    if not lambda_arn:
        raise TemplateError(f"{logical_id}: only Lambda rotation (RotationLambdaARN) is supported")
    rules = props.get("RotationRules") or {}
    ctx.stack.rotations[logical_id] = {
        "SecretId": secret_id,
        "RotationLambdaARN": lambda_arn,
        "RotationRules": rules,
    }
    ctx.stack.schedules.setdefault(logical_id, [])
    # As CloudFormation does by default (RotateImmediatelyOnUpdate), rotate once now;
    # otherwise only configure rotation, so that a later RotateSecret needs no ARN.
    if props.get("RotateImmediatelyOnUpdate", True) not in (False, "false"):
        kwargs: dict[str, Any] = {"SecretId": secret_id, "RotationLambdaARN": lambda_arn}
        days = rules.get("AutomaticallyAfterDays")
        if days:
            kwargs["RotationRules"] = {"AutomaticallyAfterDays": int(days)}
        ctx.client("secretsmanager").rotate_secret(**kwargs)
    else:
        ctx.core.service("secretsmanager").configure(ctx.stack.region, secret_id, lambda_arn)
    return Deployed(logical_id, body["Type"], f"{secret_id}|rotation")


PROVISIONERS = {
    "AWS::SecretsManager::Secret": secret,
    "AWS::SecretsManager::RotationSchedule": rotation_schedule,
}
