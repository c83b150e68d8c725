"""Demo scenarios: one per automation, each a scripted, realistic run on the local cloud.

A scenario module in this package defines `SCENARIO = Scenario(...)`; `all_scenarios()`
finds every one, in the order of their `order` fields.
A scenario raises `ScenarioFailed` (or any exception) when what it shows did not happen.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from steward_cli.report import Reporter


class ScenarioFailed(AssertionError):
    """What the scenario expected to see on the local cloud did not happen."""


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    run: Callable[[Any, Reporter, Any], None]  # (LocalCloud, Reporter, services)
    parameters: dict[str, str] = field(default_factory=dict)
    # The automations the scenario's stack has (their Enable… parameters); all others are off.
    enables: tuple[str, ...] = ()
    order: int = 100
    # Loopback servers the scenario needs (a fake OAuth2 provider, say): a context manager
    # yielding (extra template parameters, an object passed to `run` as `services`).
    services: Callable[[], AbstractContextManager[tuple[dict[str, str], Any]]] | None = None


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise ScenarioFailed(message)


def all_scenarios() -> list[Scenario]:
    found = [
        importlib.import_module(f"{__name__}.{module.name}").SCENARIO
        for module in pkgutil.iter_modules(__path__)
    ]
    return sorted(found, key=lambda s: (s.order, s.name))
