"""What the local cloud cannot measure, stated as numbers: Lambda durations, Express billing,
Lambda's platform log lines, an SQS event source mapping's idle polling.

Every figure `steward cost` prints is measured, priced, or rests on one of these; they are one
value (`Assumptions`) so that a report prints them beside its tables (`Assumptions.lines()`)
and a reader who doubts one can pass another and see what changes, with the measurement and
the prices untouched.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Assumptions:
    """What the local cloud cannot measure. Durations are of warm invocations at 128 MB: at one
    invocation every 5 seconds a function's environment stays warm; cold starts are left out."""

    lambda_base_ms: float = 90.0  # a warm Python handler: event, SDK clients, logging
    lambda_api_call_ms: float = 30.0  # per AWS API call it makes (the calls are measured)
    lambda_datapoint_ms: float = 0.05  # per metric data point it writes, EMF or PutMetricData
    platform_log_bytes: int = 300  # the START, END and REPORT lines Lambda logs per invocation
    express_seconds: float = 0.2  # Steward's: a Choice, a Pass and one SQS SendMessage, no Wait
    express_memory_mb: int = 64  # the billing minimum: the plan is a few hundred bytes
    # Lambda's SQS pollers long-poll an idle queue too. AWS publishes no figure; this is five
    # pollers, each making a 20-second long poll, per event source mapping.
    sqs_idle_receives_per_minute: float = 15.0

    def invocation_ms(self, api_calls: float, datapoints: float) -> float:
        return (
            self.lambda_base_ms
            + self.lambda_api_call_ms * api_calls
            + self.lambda_datapoint_ms * datapoints
        )

    def lines(self) -> list[str]:
        return [
            f"Lambda duration per invocation = {self.lambda_base_ms:g} ms"
            f" + {self.lambda_api_call_ms:g} ms per AWS API call"
            f" + {self.lambda_datapoint_ms:g} ms per data point written"
            " (warm; calls and data points measured)",
            f"Lambda platform log lines (START/END/REPORT): {self.platform_log_bytes} bytes"
            " per invocation",
            f"Express execution: {self.express_seconds:g} s billed"
            f" at {self.express_memory_mb} MB (it starts the minute's chain and ends; a"
            " definition with a Wait state is refused, as this would not hold)",
            f"SQS event source mapping: {self.sqs_idle_receives_per_minute:g} empty receives"
            " a minute while idle (AWS publishes no figure: five pollers, 20-second long polls),"
            " plus one receive and one DeleteMessageBatch per batch delivered",
        ]
