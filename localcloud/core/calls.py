"""Every AWS API call made in this process, as botocore makes it, for whoever listens.

botocore's public extension point is its event system: `provide-client-params.<service>.
<Operation>` carries the parameters of each call before they are serialised. A client gets
its handlers from `botocore.handlers.BUILTIN_HANDLERS` when its session is made, so one
handler is registered there when `localcloud` is imported (as moto registers its stubber),
and it dispatches to the observers that `localcloud.metering` and `localcloud.testing` add
and remove. Clients made before `localcloud` was imported are not observed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.handlers import BUILTIN_HANDLERS


@dataclass(frozen=True)
class ApiCall:
    service: str  # the endpoint prefix botocore names it by ("ecs", "cloudwatch")
    operation: str  # "DescribeClusters"
    params: dict[str, Any]


Observer = Callable[[ApiCall], None]
_OBSERVERS: list[Observer] = []
_LOCK = threading.Lock()


def observe(observer: Observer) -> Callable[[], None]:
    """Call `observer` before every API call from now on; returns the function that stops it."""
    with _LOCK:
        _OBSERVERS.append(observer)

    def stop() -> None:
        with _LOCK:
            if observer in _OBSERVERS:
                _OBSERVERS.remove(observer)

    return stop


def _dispatch(params: dict[str, Any], model: Any, **_: Any) -> None:
    with _LOCK:
        observers = list(_OBSERVERS)
    if not observers:
        return
    call = ApiCall(model.service_model.service_name, model.name, params)
    for observer in observers:
        observer(call)


_HANDLER = ("provide-client-params", _dispatch)
if _HANDLER not in BUILTIN_HANDLERS:
    BUILTIN_HANDLERS.append(_HANDLER)
