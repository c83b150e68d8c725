"""Secrets Manager: secrets (with GenerateSecretString) and Lambda rotation schedules."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from localcloud.deploy.context import DeployContext
from localcloud.deploy.stack import Deployed
from localcloud.errors import RotationTestError, TemplateError


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
    """Configure rotation through RotateSecret, as CloudFormation does.

    RotateImmediatelyOnUpdate: "If you don't immediately rotate the secret, Secrets Manager
    tests the rotation configuration by running the testSecret step of the Lambda rotation
    function. [...] If you don't specify this value, then by default, Secrets Manager rotates
    the secret immediately." (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/
    aws-resource-secretsmanager-rotationschedule.html#cfn-secretsmanager-rotationschedule-rotateimmediatelyonupdate)
    A failed configuration test fails the resource, with the function's error."""
    secret_id = str(props["SecretId"])
    lambda_arn = str(props.get("RotationLambdaARN", ""))
    if not lambda_arn:
        raise TemplateError(f"{logical_id}: only Lambda rotation (RotationLambdaARN) is supported")
    rules = props.get("RotationRules") or {}
    kwargs: dict[str, Any] = {
        "SecretId": secret_id,
        "RotationLambdaARN": lambda_arn,
        "RotateImmediately": props.get("RotateImmediatelyOnUpdate", True) not in (False, "false"),
    }
    wanted: dict[str, Any] = {}
    if rules.get("AutomaticallyAfterDays"):
        wanted["AutomaticallyAfterDays"] = int(rules["AutomaticallyAfterDays"])
    for key in ("ScheduleExpression", "Duration"):
        if rules.get(key):
            wanted[key] = str(rules[key])
    if wanted:
        kwargs["RotationRules"] = wanted
    sm = ctx.client("secretsmanager")
    try:
        sm.rotate_secret(**kwargs)
    except ClientError as error:
        failure = ctx.core.service("secretsmanager").last_test_failure(
            sm.describe_secret(SecretId=secret_id)["ARN"]
        )
        if kwargs["RotateImmediately"] or failure is None:
            raise
        raise RotationTestError(
            logical_id, failure.function_arn, failure.error_type, failure.error_message
        ) from error
    ctx.stack.rotations[logical_id] = {
        "SecretId": secret_id,
        "RotationLambdaARN": lambda_arn,
        "RotationRules": rules,
    }
    ctx.stack.schedules.setdefault(logical_id, [])
    return Deployed(logical_id, body["Type"], f"{secret_id}|rotation")


PROVISIONERS = {
    "AWS::SecretsManager::Secret": secret,
    "AWS::SecretsManager::RotationSchedule": rotation_schedule,
}
