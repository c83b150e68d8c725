"""What every provisioner is handed: the stack being deployed, the core, and small helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.core import Core
from localcloud.deploy.sam_roles import generated_roles
from localcloud.deploy.stack import Deployed, Stack
from localcloud.template import Resolver


@dataclass
class DeployContext:
    core: Core
    stack: Stack
    resolver: Resolver
    base_dir: Path
    _sam_roles: dict[str, Any] | None = field(default=None, init=False)

    def client(self, service: str) -> Any:
        return self.core.clients(service, region=self.stack.region)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.stack.region}:{self.core.account_id}:{resource}"

    def physical_name(self, logical_id: str, limit: int = 64) -> str:
        return f"{self.stack.name}-{logical_id}"[:limit]

    def sam_roles(self) -> dict[str, Any]:
        """The roles SAM generates for this template (see `sam_roles`)."""
        if self._sam_roles is None:
            self._sam_roles = generated_roles(
                self.stack.template_path, self.stack.region, self.core.account_id, self.stack.name
            )
        return self._sam_roles


Provisioner = Callable[[DeployContext, str, dict[str, Any], dict[str, Any]], Deployed]


def string(value: Any) -> str:
    """A template value as an API string parameter ("true", "a,b")."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
