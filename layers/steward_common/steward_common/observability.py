"""Powertools for a handler in two lines: structured logs with the correlation id, traces, and
metrics flushed when the invocation ends.

    ops = Powertools()
    logger, metrics = ops.logger, ops.metrics

    @ops.handler(correlation_id_path="execution_id")
    def lambda_handler(event, context): ...

The service name, metrics namespace, log level and debug sampling rate come from the function's
environment (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL,
POWERTOOLS_LOGGER_SAMPLE_RATE), as the template sets them; `inject_lambda_context` draws the
sample again at every invocation. A handler that flushes its own metrics (at most once per minute, say) passes
`flush_metrics=False`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer

Handler = TypeVar("Handler", bound=Callable[..., Any])


@dataclass
class Powertools:
    logger: Logger = field(default_factory=Logger)
    tracer: Tracer = field(default_factory=Tracer)
    metrics: Metrics = field(default_factory=Metrics)

    def handler(
        self, correlation_id_path: str | None = None, *, flush_metrics: bool = True
    ) -> Callable[[Handler], Handler]:
        """The decorators every handler wears, in the order Powertools documents: the logger
        outermost (so the correlation id is on every line), then the tracer, then metrics."""

        def wear(function: Handler) -> Handler:
            wrapped: Any = function
            if flush_metrics:
                wrapped = self.metrics.log_metrics(wrapped)
            wrapped = self.tracer.capture_lambda_handler(wrapped)
            wrapped = self.logger.inject_lambda_context(
                wrapped, correlation_id_path=correlation_id_path
            )
            # Powertools annotates these decorators as returning Callable[..., Any] (or Any);
            # each wraps `function` with functools.wraps and passes its arguments and result
            # through, so the handler keeps its type.
            return cast(Handler, wrapped)

        return wear
