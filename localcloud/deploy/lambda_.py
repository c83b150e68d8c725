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
    # SAM's DeadLetterQueue (Type SQS or SNS, TargetArn) becomes the function's DeadLetterConfig.
    dead_letter = props.get("DeadLetterQueue") or {}
    if dead_letter and dead_letter.get("Type") not in ("SQS", "SNS"):
        raise TemplateError(f"{logical_id}: DeadLetterQueue Type is SQS or SNS")
    dead_letter_arn = str(dead_letter.get("TargetArn") or "")
    # LoggingConfig (LogFormat, ApplicationLogLevel, SystemLogLevel, LogGroup) goes to
    # CreateFunction as it is: Lambda checks it (services/lambda_/logs.py keeps it).
    logging_config = {k: string(v) for k, v in (props.get("LoggingConfig") or {}).items()}
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
        **({"DeadLetterConfig": {"TargetArn": dead_letter_arn}} if dead_letter_arn else {}),
        **({"LoggingConfig": logging_config} if logging_config else {}),
    )
    arn = created["FunctionArn"]
    invoke_config = props.get("EventInvokeConfig") or {}
    retries = invoke_config.get("MaximumRetryAttempts", 2)
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
        log_group=str(logging_config.get("LogGroup") or ""),
    )
    ctx.stack.functions[logical_id] = spec
    ctx.core.functions.register(spec)
    if invoke_config:
        # SAM makes it an AWS::Lambda::EventInvokeConfig of $LATEST, its destinations without
        # SAM's own "Type" (which only chose the policy SAM adds to the function's role).
        _put_event_invoke_config(ctx, name, invoke_config)
    deployed = Deployed(logical_id, body["Type"], name, {"Arn": arn})
    if props.get("FunctionUrlConfig"):
        ctx.stack.resources[logical_id] = deployed  # the URL's permissions refer to it
        # SAM's <Function>Url (AWS::Lambda::Url) and, for AuthType NONE, its public permissions
        url_id = f"{logical_id}Url"
        url = _function_url(ctx, name, props["FunctionUrlConfig"])
        ctx.stack.resources[url_id] = Deployed(
            url_id, "AWS::Lambda::Url", arn, {"FunctionArn": arn, "FunctionUrl": url}
        )
        for permission_id in (
            f"{url_id}PublicPermissions",
            f"{logical_id}URLInvokeAllowPublicAccess",
        ):
            sam_permission(ctx, permission_id)
    return deployed


def _put_event_invoke_config(
    ctx: DeployContext, function_name: str, config: dict[str, Any]
) -> None:
    kwargs: dict[str, Any] = {"FunctionName": function_name}
    for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
        if key in config:
            kwargs[key] = int(config[key])
    destinations: dict[str, Any] = {}
    for condition in ("OnSuccess", "OnFailure"):
        target = (config.get("DestinationConfig") or {}).get(condition) or {}
        kind = target.get("Type")
        if kind is not None and kind not in ("SQS", "SNS", "Lambda", "EventBridge", "S3Bucket"):
            raise TemplateError(f"{function_name}: {condition} Type {kind} is not a destination")
        if not target.get("Destination"):
            if target:
                # SAM would create a queue or topic for an SQS or SNS destination without one;
                # the local cloud asks for it to be named.
                raise TemplateError(f"{function_name}: {condition} needs a Destination ARN")
            continue
        destinations[condition] = {"Destination": str(target["Destination"])}
    if destinations:
        kwargs["DestinationConfig"] = destinations
    ctx.client("lambda").put_function_event_invoke_config(**kwargs)


def _function_url(ctx: DeployContext, function_name: str, config: dict[str, Any]) -> str:
    auth = str(config.get("AuthType", ""))
    if auth not in ("NONE", "AWS_IAM"):
        raise TemplateError(f"{function_name}: FunctionUrlConfig AuthType is NONE or AWS_IAM")
    kwargs: dict[str, Any] = {"FunctionName": function_name, "AuthType": auth}
    if config.get("Cors"):
        kwargs["Cors"] = config["Cors"]
    if config.get("InvokeMode"):
        kwargs["InvokeMode"] = str(config["InvokeMode"])
    url: str = ctx.client("lambda").create_function_url_config(**kwargs)["FunctionUrl"]
    return url


def event_invoke_config(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    """AWS::Lambda::EventInvokeConfig of a function's $LATEST."""
    name = str(props["FunctionName"])
    if str(props.get("Qualifier", "$LATEST")) != "$LATEST":
        raise TemplateError(f"{logical_id}: only the $LATEST qualifier runs on the local cloud")
    _put_event_invoke_config(ctx, name, props)
    return Deployed(logical_id, body["Type"], f"{name}|$LATEST")


def function_url(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    """AWS::Lambda::Url: Ref is the function's ARN, GetAtt FunctionUrl the URL."""
    target = str(props["TargetFunctionArn"])
    url = _function_url(ctx, target, props)
    arn = ctx.client("lambda").get_function(FunctionName=target)["Configuration"]["FunctionArn"]
    return Deployed(logical_id, body["Type"], arn, {"FunctionArn": arn, "FunctionUrl": url})


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
    for key in ("SourceArn", "SourceAccount", "FunctionUrlAuthType"):
        if props.get(key):
            kwargs[key] = str(props[key])
    if props.get("InvokedViaFunctionUrl"):
        kwargs["InvokedViaFunctionUrl"] = True
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
    "AWS::Lambda::EventInvokeConfig": event_invoke_config,
    "AWS::Lambda::Url": function_url,
}
