"""What a deployed template became: one `Stack` per deployment, one `Deployed` per resource."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.core import FunctionSpec
from localcloud.errors import UnknownResourceError
from localcloud.template import load_yaml, resolve_parameters


@dataclass
class Deployed:
    logical_id: str
    type: str
    ref: Any
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Stack:
    """One deployed template: its region, parameters and what each logical id became."""

    name: str
    region: str
    template_path: Path
    parameters: dict[str, Any]
    resources: dict[str, Deployed] = field(default_factory=dict)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    # logical id (function, state machine, rule, rotation schedule) -> rule names it schedules
    schedules: dict[str, list[str]] = field(default_factory=dict)
    rotations: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # logical id -> condition that was false

    def get(self, logical_id: str) -> Deployed:
        try:
            return self.resources[logical_id]
        except KeyError:
            if logical_id in self.skipped:
                raise UnknownResourceError(
                    f"{logical_id} is not deployed in stack {self.name} ({self.region}): "
                    f"its condition {self.skipped[logical_id]} is false"
                ) from None
            raise UnknownResourceError(
                f"no resource {logical_id!r} in stack {self.name} ({self.region}); "
                f"it has {sorted(self.resources)}"
            ) from None


def new_stack(template_path: Path, name: str, region: str, overrides: dict[str, Any]) -> Stack:
    template = load_yaml(template_path)
    return Stack(
        name=name,
        region=region,
        template_path=template_path,
        parameters=resolve_parameters(template, overrides),
    )
