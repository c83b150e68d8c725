"""The cost model: billed units per minute in, dollars per minute out.

Pure functions of numbers and the price table, with no local cloud and no automation in them,
so that every rule AWS bills by (Express rounding to 100 ms and 64 MB, Lambda to the
millisecond, a month of 730 hours) is checked by unit tests on its own and is the same for
every automation measured. `MinuteUsage` is what a measurement hands over; `minute_cost()`
prices it and `per_day()`/`per_month()` scale the result. Free tiers are ignored: they are per
account, not per automation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from steward_cli.cost.prices import PRICES, Price

MINUTES_PER_DAY = 24 * 60
HOURS_PER_MONTH = 730  # the month of AWS's pricing pages and pricing calculator
MINUTES_PER_MONTH = HOURS_PER_MONTH * 60
BYTES_PER_GB = 1024**3
EXPRESS_BILLING_INCREMENT_S = 0.1
EXPRESS_MEMORY_CHUNK_MB = 64


def per_day(per_minute: float) -> float:
    return per_minute * MINUTES_PER_DAY


def per_month(per_minute: float) -> float:
    return per_minute * MINUTES_PER_MONTH


def standard_workflow_cost(transitions: float, prices: dict[str, Price] = PRICES) -> float:
    return transitions * prices["sfn_standard_transition"].usd


def express_billed_seconds(seconds: float) -> float:
    """Duration rounded up to the next 100 ms (a float error of 1 ns does not round up)."""
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    tenths = math.ceil(round(seconds / EXPRESS_BILLING_INCREMENT_S, 6))
    return tenths * EXPRESS_BILLING_INCREMENT_S


def express_billed_gb(memory_mb: float) -> float:
    """Memory billed in 64 MB chunks, at least one."""
    chunks = max(1, math.ceil(memory_mb / EXPRESS_MEMORY_CHUNK_MB))
    return chunks * EXPRESS_MEMORY_CHUNK_MB / 1024


def express_workflow_cost(
    requests: float, seconds: float, memory_mb: float, prices: dict[str, Price] = PRICES
) -> float:
    gb_seconds = express_billed_seconds(seconds) * express_billed_gb(memory_mb)
    return requests * (
        prices["sfn_express_request"].usd + gb_seconds * prices["sfn_express_gb_second"].usd
    )


def lambda_billed_ms(ms: float) -> int:
    """Lambda bills duration rounded up to the millisecond."""
    if ms < 0:
        raise ValueError("a duration cannot be negative")
    return math.ceil(round(ms, 6))


def lambda_gb_seconds(invocations: float, ms: float, memory_mb: float) -> float:
    return invocations * lambda_billed_ms(ms) / 1000 * memory_mb / 1024


def lambda_cost(
    invocations: float,
    ms: float,
    memory_mb: float,
    architecture: str,
    prices: dict[str, Price] = PRICES,
) -> float:
    key = f"lambda_gb_second_{architecture}"
    if key not in prices:
        raise ValueError(f"no Lambda price for architecture {architecture!r}")
    return (
        invocations * prices["lambda_request"].usd
        + lambda_gb_seconds(invocations, ms, memory_mb) * prices[key].usd
    )


def put_metric_data_cost(requests: float, prices: dict[str, Price] = PRICES) -> float:
    return requests * prices["cloudwatch_put_metric_data_request"].usd


def sqs_cost(requests: float, prices: dict[str, Price] = PRICES) -> float:
    return requests * prices["sqs_request"].usd


def dynamodb_cost(
    write_units: float, read_units: float, prices: dict[str, Price] = PRICES
) -> float:
    return (
        write_units * prices["dynamodb_write_request_unit"].usd
        + read_units * prices["dynamodb_read_request_unit"].usd
    )


def log_ingestion_cost(log_bytes: float, prices: dict[str, Price] = PRICES) -> float:
    return log_bytes / BYTES_PER_GB * prices["logs_ingestion_gb"].usd


def custom_metrics_monthly_cost(metrics: int, prices: dict[str, Price] = PRICES) -> float:
    """The per-metric monthly charge, at the first tier's price (an upper bound)."""
    return metrics * prices["custom_metric_month"].usd


@dataclass(frozen=True)
class LambdaUsage:
    """One function's invocations per minute and what each is billed for."""

    function: str
    invocations: float
    ms: float
    memory_mb: int
    architecture: str

    @property
    def gb_seconds(self) -> float:
        return lambda_gb_seconds(self.invocations, self.ms, self.memory_mb)


@dataclass(frozen=True)
class MinuteUsage:
    """What one minute of an automation uses: the input of `minute_cost`."""

    standard_transitions: float = 0
    express_requests: float = 0
    express_seconds: float = 0.0  # per request
    express_memory_mb: float = EXPRESS_MEMORY_CHUNK_MB
    lambdas: tuple[LambdaUsage, ...] = ()
    put_metric_data_requests: float = 0
    log_bytes: float = 0
    sqs_requests: float = 0
    dynamodb_write_units: float = 0
    dynamodb_read_units: float = 0

    @property
    def lambda_invocations(self) -> float:
        return sum(f.invocations for f in self.lambdas)

    @property
    def lambda_gb_seconds(self) -> float:
        return sum(f.gb_seconds for f in self.lambdas)

    @property
    def express_gb_seconds(self) -> float:
        return (
            self.express_requests
            * express_billed_seconds(self.express_seconds)
            * express_billed_gb(self.express_memory_mb)
        )


@dataclass(frozen=True)
class Cost:
    """Dollars per minute, by what is billed."""

    orchestration: float
    compute: float
    put_metric_data: float
    logs: float
    queue: float = 0.0  # SQS requests
    table: float = 0.0  # DynamoDB requests

    @property
    def publishing(self) -> float:
        return self.put_metric_data + self.logs

    @property
    def total(self) -> float:
        return self.orchestration + self.queue + self.table + self.compute + self.publishing


def minute_cost(usage: MinuteUsage, prices: dict[str, Price] = PRICES) -> Cost:
    orchestration = standard_workflow_cost(usage.standard_transitions, prices)
    if usage.express_requests:
        orchestration += express_workflow_cost(
            usage.express_requests, usage.express_seconds, usage.express_memory_mb, prices
        )
    compute = sum(
        lambda_cost(f.invocations, f.ms, f.memory_mb, f.architecture, prices) for f in usage.lambdas
    )
    return Cost(
        orchestration=orchestration,
        compute=compute,
        put_metric_data=put_metric_data_cost(usage.put_metric_data_requests, prices),
        logs=log_ingestion_cost(usage.log_bytes, prices),
        queue=sqs_cost(usage.sqs_requests, prices),
        table=dynamodb_cost(usage.dynamodb_write_units, usage.dynamodb_read_units, prices),
    )
