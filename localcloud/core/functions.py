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

    def get(self, name_or_arn: str) -> FunctionSpec | None:
        """The function an ARN names (qualified or not); None if it is not a local one."""
        return self._specs.get(unqualified(name_or_arn))

    def register_layer(self, arn: str, folder: Path) -> None:
        self._layers[arn] = folder

    def layer(self, arn: str) -> Path | None:
        return self._layers.get(arn)
