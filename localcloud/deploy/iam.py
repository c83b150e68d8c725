"""IAM: roles, groups, users and managed policies (inline AWS::IAM::Policy is recorded only)."""

from __future__ import annotations

import json
from typing import Any

from localcloud.deploy.context import DeployContext
from localcloud.deploy.stack import Deployed
from localcloud.errors import TemplateError


def role(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    iam = ctx.client("iam")
    name = str(props.get("RoleName") or ctx.physical_name(logical_id))
    created = iam.create_role(
        RoleName=name,
        Path=str(props.get("Path", "/")),
        AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]),
    )["Role"]
    for arn in props.get("ManagedPolicyArns") or []:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    for policy in props.get("Policies") or []:
        iam.put_role_policy(
            RoleName=name,
            PolicyName=policy["PolicyName"],
            PolicyDocument=json.dumps(policy["PolicyDocument"]),
        )
    return Deployed(
        logical_id, body["Type"], name, {"Arn": created["Arn"], "RoleId": created["RoleId"]}
    )


def _principal(
    ctx: DeployContext, kind: str, logical_id: str, props: dict[str, Any], limit: int
) -> tuple[str, str]:
    """Create a group or user with its path and managed policies: (name, ARN)."""
    iam, noun = ctx.client("iam"), kind.capitalize()
    name = str(props.get(f"{noun}Name") or ctx.physical_name(logical_id, limit))
    path = str(props.get("Path", "/"))
    created = getattr(iam, f"create_{kind}")(**{f"{noun}Name": name, "Path": path})[noun]
    for arn in props.get("ManagedPolicyArns") or []:
        getattr(iam, f"attach_{kind}_policy")(**{f"{noun}Name": name, "PolicyArn": arn})
    return name, str(created["Arn"])


def sam_role(ctx: DeployContext, role_id: str) -> str | None:
    """Create the role SAM generates under this logical id (`<Function>Role`, …), with the
    statements SAM would give it; its ARN, or None where SAM generates none."""
    body = ctx.sam_roles().get(role_id)
    if body is None:
        return None
    deployed = role(ctx, role_id, ctx.resolver.resolve(body.get("Properties") or {}), body)
    ctx.stack.resources[role_id] = deployed
    return str(deployed.attrs["Arn"])


def execution_role(ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> str:
    """A function's or state machine's Role, or the one SAM generates for it."""
    if props.get("Role"):
        return str(props["Role"])
    arn = sam_role(ctx, f"{logical_id}Role")
    if arn is None:
        raise TemplateError(f"{logical_id}: it has no Role, and SAM generates none for it")
    return arn


def group(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    name, arn = _principal(ctx, "group", logical_id, props, 128)
    return Deployed(logical_id, body["Type"], name, {"Arn": arn})


def user(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    name, arn = _principal(ctx, "user", logical_id, props, 64)
    for group_name in props.get("Groups") or []:
        ctx.client("iam").add_user_to_group(GroupName=group_name, UserName=name)
    return Deployed(logical_id, body["Type"], name, {"Arn": arn})


def managed_policy(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    iam = ctx.client("iam")
    name = str(props.get("ManagedPolicyName") or ctx.physical_name(logical_id, 128))
    arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(props["PolicyDocument"]))[
        "Policy"
    ]["Arn"]
    for kind, targets in (("group", "Groups"), ("role", "Roles"), ("user", "Users")):
        for target in props.get(targets) or []:
            getattr(iam, f"attach_{kind}_policy")(
                **{f"{kind.capitalize()}Name": target, "PolicyArn": arn}
            )
    return Deployed(logical_id, body["Type"], arn, {"PolicyArn": arn})


def inline_policy(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    """An inline policy put on each role, user and group it names (PutRolePolicy, …)."""
    iam = ctx.client("iam")
    document = json.dumps(props["PolicyDocument"])
    for kind, targets in (("role", "Roles"), ("user", "Users"), ("group", "Groups")):
        for target in props.get(targets) or []:
            getattr(iam, f"put_{kind}_policy")(
                **{
                    f"{kind.capitalize()}Name": str(target),
                    "PolicyName": str(props["PolicyName"]),
                    "PolicyDocument": document,
                }
            )
    return Deployed(logical_id, body["Type"], f"{ctx.stack.name}-{logical_id}")


PROVISIONERS = {
    "AWS::IAM::Role": role,
    "AWS::IAM::Group": group,
    "AWS::IAM::User": user,
    "AWS::IAM::ManagedPolicy": managed_policy,
    "AWS::IAM::Policy": inline_policy,
}
