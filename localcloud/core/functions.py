"""The functions the local cloud runs in process, by ARN, and their layers' folders."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class FunctionSpec:
    """What the runtime needs to run one deployed function."""

    name: str
    arn: str
    region: str
    code_dir: Path
    handler: str
    runtime: str
    timeout: int
    memory: int
    environment: dict[str, str]
    layer_dirs: list[Path] = field(default_factory=list)
    async_retries: int = 2  # EventInvokeConfig.MaximumRetryAttempts
    role_arn: str = ""  # the execution role, whose credentials the function runs with
    # LoggingConfig.LogGroup: the CloudWatch Logs group its logs go to ("" for Lambda's
    # default group, `log_group_name`)
    log_group: str = ""

    @property
    def log_group_name(self) -> str:
        """The function's log group: "By default, Lambda functions send logs to a default log
        group named /aws/lambda/<function name>." (Lambda API reference, LoggingConfig)"""
        return self.log_group or default_log_group(self.name)


def default_log_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def unqualified(name_or_arn: str) -> str:
    """A function ARN without its version or alias qualifier."""
    arn = name_or_arn.split(":$LATEST")[0]
    if arn.count(":") >= 7:
        arn = ":".join(arn.split(":")[:7])
    return arn


class FunctionRegistry:
    def __init__(self) -> None:
        self._specs: dict[str, FunctionSpec] = {}
        self._layers: dict[str, Path] = {}
        self._lock = threading.Lock()

    def register(self, spec: FunctionSpec) -> None:
        with self._lock:
            self._specs[spec.arn] = spec

    def specs(self) -> list[FunctionSpec]:
        """Every registered function."""
        with self._lock:
            return list(self._specs.values())

    def get(self, name_or_arn: str) -> FunctionSpec | None:
        """The function an ARN names (qualified or not); None if it is not a local one."""
        return self._specs.get(unqualified(name_or_arn))

    def register_layer(self, arn: str, folder: Path) -> None:
        self._layers[arn] = folder

    def layer(self, arn: str) -> Path | None:
        return self._layers.get(arn)
