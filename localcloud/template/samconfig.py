"""Reading samconfig.toml as `sam deploy --config-env` does: stack name, region, overrides."""

from __future__ import annotations

import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.errors import TemplateError


@dataclass(frozen=True)
class SamConfig:
    stack_name: str
    region: str
    parameter_overrides: dict[str, str]


def _parse_overrides(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    items = raw if isinstance(raw, list) else shlex.split(str(raw))
    overrides: dict[str, str] = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        if not sep:
            raise TemplateError(f"samconfig parameter_overrides entry {item!r} is not Key=Value")
        overrides[key] = value
    return overrides


def read_samconfig(template_path: Path, config_env: str | None) -> SamConfig:
    """The stack name, region and parameter overrides `sam deploy --config-env` would use."""
    path = template_path.parent / "samconfig.toml"
    if config_env is None or not path.exists():
        if config_env not in (None, "default"):
            raise TemplateError(f"config_env {config_env!r} given but {path} does not exist")
        return SamConfig("steward", "us-east-1", {})
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if config_env not in data:
        envs = sorted(k for k, v in data.items() if isinstance(v, dict))
        raise TemplateError(f"samconfig.toml has no environment {config_env!r}; it has {envs}")
    env = data[config_env]
    merged: dict[str, Any] = {}
    for section in ("global", "deploy"):  # deploy's settings win, as in the SAM CLI
        merged.update(env.get(section, {}).get("parameters", {}))
    return SamConfig(
        stack_name=str(merged.get("stack_name", "steward")),
        region=str(merged.get("region", "us-east-1")),
        parameter_overrides=_parse_overrides(merged.get("parameter_overrides")),
    )
