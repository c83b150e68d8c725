"""CloudWatch Logs: log groups."""

from __future__ import annotations

from typing import Any

from localcloud.deploy.context import DeployContext
from localcloud.deploy.stack import Deployed


def log_group(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    name = str(props.get("LogGroupName") or ctx.physical_name(logical_id, 512))
    ctx.client("logs").create_log_group(logGroupName=name)
    return Deployed(logical_id, body["Type"], name, {"Arn": ctx.arn("logs", f"log-group:{name}:*")})


PROVISIONERS = {"AWS::Logs::LogGroup": log_group}
