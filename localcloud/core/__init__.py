"""The local cloud's core: what every emulated service shares.

The clock, the dispatcher of asynchronous work, the registry of in-process functions, the
clients services use to reach each other, and the hooks into moto. Services get a `Core`,
never the `LocalCloud` facade.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from localcloud.core.calls import ApiCall, observe
from localcloud.core.clients import Clients
from localcloud.core.clock import ScaledClock, ScaledTime
from localcloud.core.dispatch import AsyncFailure, Dispatcher
from localcloud.core.functions import FunctionRegistry, FunctionSpec
from localcloud.core.hooks import Hooks, MotoChangedError, check_moto_version
from localcloud.core.timers import Timers

__all__ = [
    "ApiCall",
    "AsyncFailure",
    "Clients",
    "Core",
    "Dispatcher",
    "FunctionRegistry",
    "FunctionSpec",
    "Hooks",
    "MotoChangedError",
    "ScaledClock",
    "ScaledTime",
    "Timers",
    "check_moto_version",
    "observe",
]


@dataclass
class Core:
    account_id: str
    clock: ScaledClock
    clients: Clients
    dispatcher: Dispatcher = field(default_factory=Dispatcher)
    functions: FunctionRegistry = field(default_factory=FunctionRegistry)
    hooks: Hooks = field(default_factory=Hooks)
    # Each service's state, by its name ("batch", "lambda"): what the facade and
    # localcloud.testing read and configure.
    services: dict[str, Any] = field(default_factory=dict)
    on_log: Callable[[FunctionSpec, str], None] | None = None
    # What one service does that others react to without an API call, as inside AWS (a
    # message became visible on a queue: Lambda's pollers receive it).
    listeners: dict[str, list[Callable[..., None]]] = field(default_factory=dict)
    # What to undo when the local cloud stops (beyond the hooks), last first.
    on_stop: list[Callable[[], None]] = field(default_factory=list)
    # Work due at a time on the clock (`Timers`); made in __post_init__ from the clock.
    timers: Timers = field(init=False)

    def __post_init__(self) -> None:
        self.timers = Timers(self.clock, self.dispatcher)
        self.on_stop.append(self.timers.stop)

    def service(self, name: str) -> Any:
        return self.services[name]

    def connect(self, signal: str, listener: Callable[..., None]) -> None:
        self.listeners.setdefault(signal, []).append(listener)

    def emit(self, signal: str, **details: Any) -> None:
        for listener in self.listeners.get(signal, []):
            listener(**details)

    def record_failure(self, what: str, error_type: str, message: str, event: Any) -> None:
        self.dispatcher.failures.append(AsyncFailure(what, error_type, message, event))
