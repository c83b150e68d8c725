"""What every provisioner is handed: the stack being deployed, the core, and small helpers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.core import Core
from localcloud.deploy.stack import Deployed, Stack
from localcloud.template import Resolver


@dataclass
class DeployContext:
    core: Core
    stack: Stack
    resolver: Resolver
    base_dir: Path

    def client(self, service: str) -> Any:
        return self.core.clients(service, region=self.stack.region)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.stack.region}:{self.core.account_id}:{resource}"

    def physical_name(self, logical_id: str, limit: int = 64) -> str:
        return f"{self.stack.name}-{logical_id}"[:limit]

    def role(self, logical_id: str, service: str, props: dict[str, Any]) -> str:
        """The function's or state machine's Role, or the one SAM generates for it."""
        if props.get("Role"):
            return str(props["Role"])
        name = self.physical_name(f"{logical_id}Role")
        iam = self.client("iam")
        try:
            return str(iam.get_role(RoleName=name)["Role"]["Arn"])
        except iam.exceptions.NoSuchEntityException:
            trust = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": service},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
            created = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
            return str(created["Role"]["Arn"])


Provisioner = Callable[[DeployContext, str, dict[str, Any], dict[str, Any]], Deployed]


def string(value: Any) -> str:
    """A template value as an API string parameter ("true", "a,b")."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def noop(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    """A resource the local cloud records but has nothing to create for (moto does not
    enforce IAM, so permissions and resource policies change nothing yet)."""
    return Deployed(logical_id, body["Type"], f"{ctx.stack.name}-{logical_id}")
