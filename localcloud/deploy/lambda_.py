"""Lambda: functions (registered with the in-process runtime), layers and permissions."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from localcloud.core import FunctionSpec
from localcloud.deploy import iam
from localcloud.deploy.context import DeployContext, string
from localcloud.deploy.stack import Deployed
from localcloud.errors import TemplateError


def layer(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    content = ctx.base_dir / str(props["ContentUri"])
    if not content.is_dir():
        raise TemplateError(f"{logical_id}: ContentUri {content} is not a folder")
    name = str(props.get("LayerName") or ctx.physical_name(logical_id, 140))
    arn = ctx.arn("lambda", f"layer:{name}:1")
    ctx.core.functions.register_layer(arn, content)
    return Deployed(logical_id, body["Type"], arn)


def function(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    if "CodeUri" not in props or "Handler" not in props:
        raise TemplateError(f"{logical_id}: a function needs CodeUri and Handler")
    code_dir = (ctx.base_dir / str(props["CodeUri"])).resolve()
    if not code_dir.is_dir():
        raise TemplateError(f"{logical_id}: CodeUri {code_dir} is not a folder")
    name = str(props.get("FunctionName") or ctx.physical_name(logical_id))
    env = {
        k: string(v) for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()
    }
    layer_dirs = []
    for arn in props.get("Layers") or []:
        folder = ctx.core.functions.layer(arn)
        if folder is None:
            raise TemplateError(f"{logical_id}: layer {arn} is not part of a deployed stack")
        layer_dirs.append(folder)
    runtime = str(props.get("Runtime", "python3.13"))
    timeout = int(props.get("Timeout", 3))
    memory = int(props.get("MemorySize", 128))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # moto stores code; the runtime reads the folder
        for source in sorted(code_dir.glob("*.py")):
            archive.write(source, source.name)
    role_arn = iam.execution_role(ctx, logical_id, props)
    if not ctx.core.service("iam").role_trusts(role_arn, "lambda.amazonaws.com"):
        # CreateFunction's own answer (InvalidParameterValueException)
        raise TemplateError(
            f"{logical_id}: The role defined for the function cannot be assumed by Lambda."
        )
    created = ctx.client("lambda").create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=role_arn,
        Handler=str(props["Handler"]),
        Code={"ZipFile": buffer.getvalue()},
        Timeout=timeout,
        MemorySize=memory,
        Environment={"Variables": env},
        Architectures=[str(a) for a in props.get("Architectures", ["x86_64"])],
    )
    arn = created["FunctionArn"]
    retries = (props.get("EventInvokeConfig") or {}).get("MaximumRetryAttempts", 2)
    spec = FunctionSpec(
        name=name,
        arn=arn,
        region=ctx.stack.region,
        code_dir=code_dir,
        handler=str(props["Handler"]),
        runtime=runtime,
        timeout=timeout,
        memory=memory,
        environment=env,
        layer_dirs=layer_dirs,
        async_retries=int(retries),
        role_arn=role_arn,
    )
    ctx.stack.functions[logical_id] = spec
    ctx.core.functions.register(spec)
    return Deployed(logical_id, body["Type"], name, {"Arn": arn})


def permission(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    """A statement of the function's resource policy (AddPermission), as Lambda keeps it."""
    kwargs: dict[str, Any] = {
        "FunctionName": str(props["FunctionName"]),
        "StatementId": logical_id,
        "Action": str(props["Action"]),
        "Principal": str(props["Principal"]),
    }
    for key in ("SourceArn", "SourceAccount"):
        if props.get(key):
            kwargs[key] = str(props[key])
    ctx.client("lambda").add_permission(**kwargs)
    return Deployed(logical_id, body["Type"], f"{kwargs['FunctionName']}|{logical_id}")


def sam_permission(ctx: DeployContext, permission_id: str) -> None:
    """The permission SAM generates for an event source, if it generates one."""
    body = ctx.sam_roles().get(permission_id)
    if body is not None:
        props = ctx.resolver.resolve(body.get("Properties") or {})
        ctx.stack.resources[permission_id] = permission(ctx, permission_id, props, body)


def refuse(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    raise TemplateError(f"{logical_id}: {body['Type']} cannot run on the local cloud")


PROVISIONERS = {
    "AWS::Serverless::Function": function,
    "AWS::Serverless::LayerVersion": layer,
    "AWS::Serverless::Application": refuse,
    "AWS::Lambda::Permission": permission,
}
