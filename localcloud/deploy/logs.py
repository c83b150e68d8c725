"""CloudWatch Logs: log groups, with their retention.

RetentionInDays: "The number of days to retain the log events in the specified log group.
Possible values are: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
2192, 2557, 2922, 3288, and 3653." (CloudWatch Logs API reference, PutRetentionPolicy, which
sets it); without it a group's events never expire.
"""

from __future__ import annotations

from typing import Any

from localcloud.deploy.context import DeployContext
from localcloud.deploy.stack import Deployed
from localcloud.errors import TemplateError

RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557}
    | {2922, 3288, 3653}
)


def log_group(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    name = str(props.get("LogGroupName") or ctx.physical_name(logical_id, 512))
    retention = props.get("RetentionInDays")
    if retention is not None and int(retention) not in RETENTION_DAYS:
        raise TemplateError(
            f"{logical_id}: RetentionInDays {retention} is not one of {sorted(RETENTION_DAYS)}"
        )
    logs = ctx.client("logs")
    logs.create_log_group(logGroupName=name)
    if retention is not None:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(retention))
    return Deployed(logical_id, body["Type"], name, {"Arn": ctx.arn("logs", f"log-group:{name}:*")})


PROVISIONERS = {"AWS::Logs::LogGroup": log_group}
