"""`steward cost`: what an automation costs a month, from its definitions and published prices.

Prices are the `PRICES` table (us-east-1, as published in `PRICES_AS_OF`, each with its source).
Usage is *measured* where the local cloud can measure it: one minute of the automation, as
deployed from its template, runs on the local cloud and its executions, SDK calls and log groups
are counted. What the local cloud cannot measure (how long an invocation runs on Lambda, how long
and with how much memory an Express execution is billed) is an `Assumptions` value, printed
beside every table.

The package is split so that the parts any automation shares stay apart from the one it was
built for:

- `prices`: the price table, with each price's source and date;
- `pricing`: the pure cost model, billed units per minute in, dollars out;
- `assumptions`: what the local cloud cannot measure, as numbers a report prints;
- `counting`: the counting rules, from SDK calls, log lines and execution histories to billed
  units;
- `ecs_metrics`: the ECS high-resolution metrics measurement, Steward's designs and the classic
  one run on the local cloud;
- `ecs_report`: that measurement priced and printed;
- `command`: the `steward cost` command.

The names below are the package's public interface (`steward_cli.main`, `bench/ecs_cost.py`
and the tests import them from here); the modules import one another, never this package.
"""

from __future__ import annotations

from steward_cli.cost.assumptions import Assumptions
from steward_cli.cost.command import add_parser, run
from steward_cli.cost.counting import (
    SQS_CHUNK_BYTES,
    FunctionMeasure,
    dynamodb_write_units,
    emf_metrics,
    sqs_chunks,
    state_machine_sqs_chunks,
    states_entered,
)
from steward_cli.cost.ecs_metrics import (
    CLASSIC_TEMPLATE,
    REPO,
    SAMPLES_PER_MINUTE,
    STEWARD_TEMPLATE,
    Design,
    Measurement,
    MeasurementError,
    cluster_names,
    ecs_designs,
    measure,
    measure_ecs,
)
from steward_cli.cost.ecs_report import (
    TARGET_USD_PER_DAY,
    WAITING_EXPRESS_SECONDS,
    Row,
    classic_ratio,
    format_ecs_report,
    rows,
    target_failures,
    waiting_in_express,
)
from steward_cli.cost.prices import PRICES, PRICES_AS_OF, PRICES_REGION, Price
from steward_cli.cost.pricing import (
    BYTES_PER_GB,
    EXPRESS_BILLING_INCREMENT_S,
    EXPRESS_MEMORY_CHUNK_MB,
    HOURS_PER_MONTH,
    MINUTES_PER_DAY,
    MINUTES_PER_MONTH,
    Cost,
    LambdaUsage,
    MinuteUsage,
    custom_metrics_monthly_cost,
    dynamodb_cost,
    express_billed_gb,
    express_billed_seconds,
    express_workflow_cost,
    lambda_billed_ms,
    lambda_cost,
    lambda_gb_seconds,
    log_ingestion_cost,
    minute_cost,
    per_day,
    per_month,
    put_metric_data_cost,
    sqs_cost,
    standard_workflow_cost,
)

__all__ = [
    "BYTES_PER_GB",
    "CLASSIC_TEMPLATE",
    "EXPRESS_BILLING_INCREMENT_S",
    "EXPRESS_MEMORY_CHUNK_MB",
    "HOURS_PER_MONTH",
    "MINUTES_PER_DAY",
    "MINUTES_PER_MONTH",
    "PRICES",
    "PRICES_AS_OF",
    "PRICES_REGION",
    "REPO",
    "SAMPLES_PER_MINUTE",
    "SQS_CHUNK_BYTES",
    "STEWARD_TEMPLATE",
    "TARGET_USD_PER_DAY",
    "WAITING_EXPRESS_SECONDS",
    "Assumptions",
    "Cost",
    "Design",
    "FunctionMeasure",
    "LambdaUsage",
    "Measurement",
    "MeasurementError",
    "MinuteUsage",
    "Price",
    "Row",
    "add_parser",
    "classic_ratio",
    "cluster_names",
    "custom_metrics_monthly_cost",
    "dynamodb_cost",
    "dynamodb_write_units",
    "ecs_designs",
    "emf_metrics",
    "express_billed_gb",
    "express_billed_seconds",
    "express_workflow_cost",
    "format_ecs_report",
    "lambda_billed_ms",
    "lambda_cost",
    "lambda_gb_seconds",
    "log_ingestion_cost",
    "measure",
    "measure_ecs",
    "minute_cost",
    "per_day",
    "per_month",
    "put_metric_data_cost",
    "rows",
    "run",
    "sqs_chunks",
    "sqs_cost",
    "standard_workflow_cost",
    "state_machine_sqs_chunks",
    "states_entered",
    "target_failures",
    "waiting_in_express",
]
