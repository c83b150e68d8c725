"""The template reader: the YAML loader, samconfig.toml, parameters and intrinsics."""

from __future__ import annotations

from localcloud.template.intrinsics import (
    NO_VALUE,
    Resolver,
    resolve_parameters,
    substitute_definition,
)
from localcloud.template.loader import load_yaml
from localcloud.template.samconfig import SamConfig, read_samconfig

__all__ = [
    "NO_VALUE",
    "Resolver",
    "SamConfig",
    "load_yaml",
    "read_samconfig",
    "resolve_parameters",
    "substitute_definition",
]
