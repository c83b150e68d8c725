"""The report of `steward cost ecs-metrics` (and `bench/ecs_cost.py`): each measured minute
priced, per day and per month, beside the classic design and against Steward's target.

It prints what each number rests on beside the number: usage as counted, the per-metric
charge kept apart (it is the same in every design and depends on the account's tier), the
assumptions, the counting rules and every price with its source. A reader can then check a
figure without reading the code. `waiting_in_express` is the one figure derived rather than
measured: the same minute had the Express execution waited instead of the queue, which is why
Steward's design uses SQS delays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from steward_cli.cost.assumptions import Assumptions
from steward_cli.cost.ecs_metrics import Measurement
from steward_cli.cost.prices import PRICES, PRICES_AS_OF, PRICES_REGION, Price
from steward_cli.cost.pricing import (
    Cost,
    MinuteUsage,
    custom_metrics_monthly_cost,
    minute_cost,
    per_day,
    per_month,
)

TARGET_USD_PER_DAY = 0.15  # Steward, per cluster set, 5-second samples, metric charge aside


@dataclass(frozen=True)
class Row:
    measurement: Measurement
    usage: MinuteUsage
    cost: Cost  # per minute

    @property
    def per_day(self) -> float:
        return per_day(self.cost.total)

    @property
    def per_month(self) -> float:
        return per_month(self.cost.total)


def rows(
    measurements: Sequence[Measurement],
    assumptions: Assumptions | None = None,
    prices: dict[str, Price] = PRICES,
) -> list[Row]:
    assumptions = assumptions or Assumptions()
    result = []
    for m in measurements:
        usage = m.usage(assumptions)
        result.append(Row(m, usage, minute_cost(usage, prices)))
    return result


def classic_ratio(row: Row, all_rows: Sequence[Row]) -> float | None:
    """The classic design's cost over this row's, for the same number of clusters."""
    if row.measurement.design == "classic":
        return None
    for other in all_rows:
        if other.measurement.design == "classic" and other.measurement.clusters == (
            row.measurement.clusters
        ):
            return other.cost.total / row.cost.total
    return None


def target_failures(
    all_rows: Sequence[Row], clusters: int = 1, design: str = "steward-emf"
) -> list[Row]:
    """The rows of that design and cluster count above the $/day target."""
    return [
        r
        for r in all_rows
        if r.measurement.design == design
        and r.measurement.clusters == clusters
        and r.per_day > TARGET_USD_PER_DAY
    ]


WAITING_EXPRESS_SECONDS = 60.0  # an Express execution that waits out the minute itself


def waiting_in_express(row: Row, prices: dict[str, Price] = PRICES) -> float:
    """$/day of the same minute if the Express execution waited for each offset (a Map of Wait
    + sample) instead of SQS: the same samples and publishing, no queue, one idempotency record
    a minute instead of one a hop, and an execution billed for the whole minute. Derived from
    the measured row, not run."""
    usage = replace(
        row.usage,
        sqs_requests=0,
        # Idempotent per minute rather than per hop (a duplicate execution is the risk there).
        dynamodb_write_units=2,
        dynamodb_read_units=0,
        express_requests=max(row.usage.express_requests, 1),
        express_seconds=WAITING_EXPRESS_SECONDS,
    )
    return per_day(minute_cost(usage, prices).total)


def _table(header: Sequence[str], body: Sequence[Sequence[str]], left: int = 2) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *body, strict=True)]

    def fmt(cells: Sequence[str]) -> str:
        parts = [
            str(c).ljust(w) if i < left else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return [fmt(header), fmt(["-" * w for w in widths]), *(fmt(r) for r in body)]


def _price(value: float) -> str:
    return f"{value:.10f}".rstrip("0").rstrip(".")


def format_ecs_report(
    all_rows: Sequence[Row],
    assumptions: Assumptions | None = None,
    prices: dict[str, Price] = PRICES,
) -> str:
    assumptions = assumptions or Assumptions()
    out = [
        "ECS high-resolution metrics: a sample every 5 s, Steward's design beside the classic one",
        f"Prices: {PRICES_REGION}, as published {PRICES_AS_OF} (sources below); usage: one minute"
        " of each design measured on the local cloud.",
        "Orchestration, Lambda and metric publishing (PutMetricData requests, log ingestion);"
        " the per-metric monthly charge is set aside (below).",
        "",
    ]
    body = []
    for r in all_rows:
        ratio = classic_ratio(r, all_rows)
        steward = r.measurement.design.startswith("steward")
        target = ("yes" if r.per_day <= TARGET_USD_PER_DAY else "NO") if steward else ""
        body.append(
            [
                str(r.measurement.clusters),
                r.measurement.label,
                f"{r.per_day:.4f}",
                f"{r.per_month:.2f}",
                f"{per_day(r.cost.orchestration):.4f}",
                f"{per_day(r.cost.queue):.4f}",
                f"{per_day(r.cost.table):.4f}",
                f"{per_day(r.cost.compute):.4f}",
                f"{per_day(r.cost.put_metric_data):.4f}",
                f"{per_day(r.cost.logs):.4f}",
                f"{ratio:.1f}x" if ratio is not None else "-",
                target,
            ]
        )
    out += _table(
        [
            "clusters",
            "design",
            "$/day",
            "$/month",
            "orch $/d",
            "SQS $/d",
            "DynamoDB $/d",
            "Lambda $/d",
            "PutMD $/d",
            "logs $/d",
            "classic/this",
            f"<= ${TARGET_USD_PER_DAY:.2f}/day",
        ],
        body,
    )
    out += [
        "",
        "Usage per minute: one execution (measured; * rests on an assumption below)",
        "",
    ]
    body = []
    for r in all_rows:
        m, u = r.measurement, r.usage
        body.append(
            [
                str(m.clusters),
                m.label,
                f"{m.states_entered} {m.workflow_type.lower()}",
                f"{u.standard_transitions:g}",
                f"{u.express_gb_seconds:.2f}" if u.express_requests else "-",
                str(m.samples),
                f"{u.sqs_requests:g}" if u.sqs_requests else "-",
                f"{m.dynamodb_write_units}" if m.dynamodb_write_units else "-",
                str(m.lambda_invocations),
                f"{u.lambda_gb_seconds:.4f}",
                str(m.api_calls),
                str(m.put_metric_data_requests),
                f"{m.function_log_bytes:,}",
                f"{u.log_bytes:,.0f}",
            ]
        )
    out += _table(
        [
            "clusters",
            "design",
            "states entered",
            "billed trans.",
            "Express GB-s*",
            "samples",
            "SQS req*",
            "DynamoDB WRU",
            "invocations",
            "Lambda GB-s*",
            "API calls",
            "PutMetricData",
            "fn log bytes",
            "log bytes*",
        ],
        body,
    )
    out += [
        "",
        "Per-metric monthly charge (the same ECS metrics in every design; measured distinct"
        f" metrics at ${prices['custom_metric_month'].usd:.2f} per metric-month)",
        "",
    ]
    body = []
    for r in all_rows:
        m = r.measurement
        total = sum(m.metrics.values())
        body.append(
            [
                str(m.clusters),
                m.label,
                ", ".join(f"{ns}: {n}" for ns, n in m.metrics.items()) or "-",
                str(total),
                f"{custom_metrics_monthly_cost(total, prices):.2f}",
            ]
        )
    out += _table(["clusters", "design", "metrics by namespace", "metrics", "$/month"], body, 3)
    out += ["", "Assumptions (what the local cloud cannot measure)"]
    out += [f"  - {line}" for line in assumptions.lines()]
    out += [
        "  - the classic design at N clusters: one invocation describes every cluster and writes"
        " them with one PutMetricData (the post's function takes one cluster per execution; this"
        " is the reading most favourable to it)",
        "  - DynamoDB storage (a few hundred bytes per hop, expired by TTL) not included;"
        " free tiers ignored; EventBridge scheduled events are free and the same for every"
        " design; log storage after ingestion ($/GB-month, retention-dependent) not included",
        "",
        "Counting rules: billed transitions = history events ending in StateEntered (Standard"
        " only; Express is billed per request and duration); invocations = START lines in each"
        " function's log group; API calls, PutMetricData and SQS sends (64 KB chunks) counted at"
        " the SDK, and the state machine's sqs:sendMessage tasks in its history; DynamoDB request"
        " units at the SDK (1 per started KB written, 1 per GetItem); log bytes ="
        " function log lines (less the local START/END) + platform lines per invocation.",
        "",
        f"Prices ({PRICES_REGION}, {PRICES_AS_OF})",
    ]
    for key, price in prices.items():
        out.append(f"  {key:35} ${_price(price.usd)} per {price.per}")
        out.append(f"  {'':35} {price.source}")
    stewards = [r for r in all_rows if r.measurement.design.startswith("steward")]
    if stewards:
        out += [
            "",
            f"Target: Steward at most ${TARGET_USD_PER_DAY:.2f}/day per cluster set"
            " (put-metric-data is the default publish mode: its cost grows by a PutMetricData"
            " request per 1,000 data points; EMF's by a log document per cluster and sample):",
        ]
        for r in stewards:
            verdict = "meets" if r.per_day <= TARGET_USD_PER_DAY else "MISSES"
            out.append(
                f"  {r.measurement.label:26} {r.measurement.clusters:>4} cluster(s):"
                f" ${r.per_day:.4f}/day  {verdict}"
            )
        out += [
            "",
            "Why SQS delays: the same minutes if the Express execution waited for each offset"
            f" itself ({WAITING_EXPRESS_SECONDS:g} s at 64 MB, no queue; derived, not run):",
        ]
        for r in stewards:
            out.append(
                f"  {r.measurement.label:26} {r.measurement.clusters:>4} cluster(s):"
                f" ${waiting_in_express(r, prices):.4f}/day waiting in Express,"
                f" ${r.per_day:.4f}/day waiting in SQS"
            )
    return "\n".join(out)
