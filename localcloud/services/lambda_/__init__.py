"""AWS Lambda: the in-process runtime, invocations (synchronous and Event), and SQS pollers."""

from __future__ import annotations

from localcloud.core import Core
from localcloud.services.lambda_ import destinations, invoke, logs, sqs_poller
from localcloud.services.lambda_.invoke import invoke_async, invoke_sync
from localcloud.services.lambda_.metrics import install as install_metrics
from localcloud.services.lambda_.runtime import InvocationResult, LambdaContext, Runtime, isolation

__all__ = [
    "InvocationResult",
    "LambdaContext",
    "Runtime",
    "install",
    "invoke_async",
    "invoke_sync",
    "isolation",
]


def install(core: Core) -> None:
    runtime = Runtime()
    runtime.on_log = core.on_log
    runtime.clock = core.clock  # functions time out on the local cloud's clock
    core.services["lambda"] = runtime
    install_metrics(core, runtime)  # AWS/Lambda's Invocations, Errors and Duration
    destinations.install(core)
    delivery = logs.install(core)
    invoke.install(core, runtime, invoke.Credentials(core), delivery)
    sqs_poller.install(core)
