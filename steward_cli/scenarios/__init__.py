"""Demo scenarios: one per automation, each a scripted, realistic run on the local cloud.

A scenario module defines `SCENARIO = Scenario(...)`; `ALL` lists them in demo order.
A scenario raises `ScenarioFailed` (or any exception) when what it shows did not happen.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from steward_cli.report import Reporter


class ScenarioFailed(AssertionError):
    """What the scenario expected to see on the local cloud did not happen."""


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    run: Callable[[Any, Reporter], None]  # (LocalCloud, Reporter)
    parameters: dict[str, str] = field(default_factory=dict)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise ScenarioFailed(message)


_MODULES: tuple[str, ...] = ()


def all_scenarios() -> list[Scenario]:
    return [importlib.import_module(f"steward_cli.scenarios.{m}").SCENARIO for m in _MODULES]
