"""The cost model of `steward cost`: the pure pricing functions, the counting rules, and one
minute of each ECS metrics design measured on the local cloud (structure only, no timings)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from steward_cli import cost
from steward_cli.cost import (
    PRICES,
    Assumptions,
    LambdaUsage,
    MinuteUsage,
    custom_metrics_monthly_cost,
    express_billed_gb,
    express_billed_seconds,
    express_workflow_cost,
    lambda_billed_ms,
    lambda_cost,
    log_ingestion_cost,
    minute_cost,
    per_day,
    per_month,
    put_metric_data_cost,
    standard_workflow_cost,
)

# ------------------------------------------------------------------------------ prices table


def test_every_price_is_positive_and_cites_an_aws_pricing_page() -> None:
    assert cost.PRICES_AS_OF == "2026-11" and cost.PRICES_REGION == "us-east-1"
    for key, price in PRICES.items():
        assert price.usd > 0, key
        assert price.source.startswith("https://aws.amazon.com/") and "pricing" in price.source, key


def test_published_prices_as_tabled() -> None:
    assert PRICES["sfn_standard_transition"].usd == pytest.approx(0.000025)
    assert PRICES["sfn_express_request"].usd == pytest.approx(1e-6)
    assert PRICES["sfn_express_gb_second"].usd == pytest.approx(0.00001667)
    assert PRICES["lambda_request"].usd == pytest.approx(2e-7)
    assert PRICES["lambda_gb_second_arm64"].usd == pytest.approx(0.0000133334)
    assert PRICES["lambda_gb_second_x86_64"].usd == pytest.approx(0.0000166667)
    assert PRICES["cloudwatch_put_metric_data_request"].usd == pytest.approx(0.00001)
    assert PRICES["logs_ingestion_gb"].usd == pytest.approx(0.50)
    assert PRICES["custom_metric_month"].usd == pytest.approx(0.30)


# ------------------------------------------------------------------------------ time


def test_a_day_is_1440_minutes_and_a_month_730_hours() -> None:
    assert cost.MINUTES_PER_DAY == 1440
    assert per_day(1.0) == 1440
    assert per_month(1.0) == 730 * 60
    assert per_month(1.0) / per_day(1.0) == pytest.approx(30.4167, abs=1e-4)


# ------------------------------------------------------------------------------ Step Functions


def test_standard_transitions_price_and_the_classic_minute() -> None:
    assert standard_workflow_cost(1000) == pytest.approx(0.025)
    # 24 states entered a minute (1 Parallel, 12 Task, 11 Wait) is $0.864 a day.
    assert per_day(standard_workflow_cost(24)) == pytest.approx(0.864)


def test_express_minute_at_64_mb_costs_what_the_formula_says() -> None:
    # one request, 60 s, 64 MB = 0.0625 GB -> 3.75 GB-s
    expected = 1e-6 + 60 * 0.0625 * 0.00001667
    assert express_workflow_cost(1, 60, 64) == pytest.approx(expected, rel=1e-12)
    assert per_day(express_workflow_cost(1, 60, 64)) == pytest.approx(0.09145800, rel=1e-6)


@pytest.mark.parametrize(
    ("seconds", "billed"),
    [(0.0, 0.0), (0.001, 0.1), (0.1, 0.1), (0.3, 0.3), (55.01, 55.1), (59.95, 60.0), (60.0, 60.0)],
)
def test_express_duration_rounds_up_to_100_ms(seconds: float, billed: float) -> None:
    assert express_billed_seconds(seconds) == pytest.approx(billed)


def test_express_duration_rounding_is_not_fooled_by_float_error() -> None:
    assert express_billed_seconds(0.1 + 0.2) == pytest.approx(0.3)  # 0.30000000000000004
    with pytest.raises(ValueError):
        express_billed_seconds(-1)


@pytest.mark.parametrize(
    ("memory_mb", "gb"), [(1, 0.0625), (64, 0.0625), (65, 0.125), (128, 0.125), (129, 0.1875)]
)
def test_express_memory_is_billed_in_64_mb_chunks_at_least_one(memory_mb: int, gb: float) -> None:
    assert express_billed_gb(memory_mb) == pytest.approx(gb)


def test_a_longer_express_execution_costs_more_per_started_100_ms() -> None:
    assert express_workflow_cost(1, 55.01, 64) == pytest.approx(express_workflow_cost(1, 55.1, 64))
    assert express_workflow_cost(1, 55.11, 64) > express_workflow_cost(1, 55.1, 64)


# ------------------------------------------------------------------------------ Lambda


def test_lambda_bills_whole_milliseconds() -> None:
    assert lambda_billed_ms(120.2) == 121
    assert lambda_billed_ms(120.0) == 120
    assert lambda_billed_ms(0.1 + 0.2) == 1


def test_lambda_cost_arm64_and_x86() -> None:
    # a million invocations of 100 ms at 128 MB: 12,500 GB-s
    arm = lambda_cost(1_000_000, 100, 128, "arm64")
    x86 = lambda_cost(1_000_000, 100, 128, "x86_64")
    assert arm == pytest.approx(0.20 + 12_500 * 0.0000133334)
    assert x86 == pytest.approx(0.20 + 12_500 * 0.0000166667)
    assert x86 > arm
    with pytest.raises(ValueError, match="architecture"):
        lambda_cost(1, 100, 128, "sparc")


# ------------------------------------------------------------------------------ CloudWatch


def test_put_metric_data_costs_a_cent_per_thousand_requests() -> None:
    assert put_metric_data_cost(1000) == pytest.approx(0.01)
    # one request per sample, every 5 s: 17,280 requests, $0.1728 a day
    assert per_day(put_metric_data_cost(12)) == pytest.approx(0.1728)


def test_log_ingestion_is_half_a_dollar_per_gb() -> None:
    assert log_ingestion_cost(1024**3) == pytest.approx(0.50)
    assert log_ingestion_cost(0) == 0


def test_custom_metrics_charge_per_metric_month() -> None:
    assert custom_metrics_monthly_cost(4) == pytest.approx(1.20)
    assert custom_metrics_monthly_cost(400) == pytest.approx(120.0)


# ------------------------------------------------------------------------------ a minute


def test_minute_cost_adds_up_each_part() -> None:
    usage = MinuteUsage(
        standard_transitions=24,
        lambdas=(LambdaUsage("Sampler", 12, 150.2, 128, "x86_64"),),
        put_metric_data_requests=12,
        log_bytes=4096,
    )
    result = minute_cost(usage)
    assert result.orchestration == pytest.approx(standard_workflow_cost(24))
    assert result.compute == pytest.approx(lambda_cost(12, 151, 128, "x86_64"))
    assert result.put_metric_data == pytest.approx(put_metric_data_cost(12))
    assert result.logs == pytest.approx(log_ingestion_cost(4096))
    assert result.total == pytest.approx(
        result.orchestration + result.compute + result.put_metric_data + result.logs
    )
    assert usage.lambda_gb_seconds == pytest.approx(12 * 0.151 * 0.125)


def test_express_usage_is_billed_per_request_and_duration_not_per_transition() -> None:
    express = MinuteUsage(express_requests=1, express_seconds=60, express_memory_mb=64)
    assert minute_cost(express).orchestration == pytest.approx(express_workflow_cost(1, 60, 64))
    assert express.express_gb_seconds == pytest.approx(3.75)
    assert minute_cost(MinuteUsage()).total == 0


def test_assumed_invocation_duration() -> None:
    assumptions = Assumptions()
    # one DescribeClusters and one cluster's four data points: 120.2 ms
    assert assumptions.invocation_ms(api_calls=1, datapoints=4) == pytest.approx(120.2)
    assert Assumptions(lambda_base_ms=0).invocation_ms(0, 0) == 0


# ------------------------------------------------------------------------------ counting rules


def _history(*types: str, **details: Any) -> list[dict[str, Any]]:
    return [{"type": t, **details.get(t, {})} for t in types]


def test_states_entered_count_every_state_entered_and_nothing_else() -> None:
    history = _history(
        "ExecutionStarted",
        "ParallelStateEntered",
        "ParallelStateStarted",
        "WaitStateEntered",
        "WaitStateExited",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "TaskStateExited",
        "ParallelStateExited",
        "ExecutionSucceeded",
    )
    assert cost.states_entered(history) == 3


def test_sqs_bills_every_started_64_kb_chunk_of_a_payload() -> None:
    assert [cost.sqs_chunks("x" * n) for n in (0, 1, 65_536, 65_537, 200_000)] == [1, 1, 1, 2, 4]
    assert cost.sqs_chunks("é" * 40_000) == 2  # bytes, not characters
    assert per_day(cost.sqs_cost(51)) == pytest.approx(0.029376)


def test_dynamodb_on_demand_units_and_their_price() -> None:
    assert cost.dynamodb_write_units({"Item": {"id": {"S": "x"}}}) == 1
    assert cost.dynamodb_write_units({"Item": {"data": {"S": "x" * 3000}}}) == 3
    assert cost.dynamodb_write_units({"Key": {"id": {"S": "x"}}}) == 1  # a DeleteItem
    assert per_day(cost.dynamodb_cost(24, 0)) == pytest.approx(0.0216)
    assert cost.dynamodb_cost(0, 1_000_000) == pytest.approx(0.125)


def test_the_state_machines_sqs_sends_are_counted_from_its_history() -> None:
    history = [
        {
            "type": "TaskScheduled",
            "taskScheduledEventDetails": {
                "resourceType": "sqs",
                "resource": "sendMessage",
                "parameters": json.dumps({"QueueUrl": "q", "MessageBody": "x" * 70_000}),
            },
        },
        {
            "type": "TaskScheduled",
            "taskScheduledEventDetails": {"resourceType": "sns", "parameters": "{}"},
        },
    ]
    assert cost.state_machine_sqs_chunks(history) == 2


def test_sqs_requests_are_sends_a_receive_and_a_delete_per_batch_and_idle_polling() -> None:
    measured = cost.Measurement(
        design="d",
        label="d",
        clusters=1,
        workflow_type="EXPRESS",
        executions=1,
        states_entered=3,
        functions=(),
        samples=12,
        put_metric_data_requests=1,
        metrics={},
        sqs_sent=12,
        sqs_batches=12,
        event_source_mappings=1,
    )
    assert measured.sqs_requests(Assumptions()) == 12 + 24 + 15
    assert measured.sqs_requests(Assumptions(sqs_idle_receives_per_minute=0)) == 36


def test_emf_documents_give_data_points_and_distinct_metrics() -> None:
    document = {
        "_aws": {
            "Timestamp": 0,
            "CloudWatchMetrics": [
                {
                    "Namespace": "Steward/ECS",
                    "Dimensions": [["ClusterName", "service"]],
                    "Metrics": [{"Name": "RunningTaskCount"}, {"Name": "PendingTaskCount"}],
                }
            ],
        },
        "ClusterName": "a",
        "service": "ecs-metrics",
        "RunningTaskCount": [1.0],
        "PendingTaskCount": 0,
    }
    points, metrics = cost.emf_metrics(json.dumps(document))
    assert points == 2
    assert {m[1] for m in metrics} == {"RunningTaskCount", "PendingTaskCount"}
    assert cost.emf_metrics("Finished writing metric data") == (0, set())
    assert cost.emf_metrics("{not json") == (0, set())


# ------------------------------------------------------------------------------ one minute, measured


@pytest.fixture(scope="module")
def one_cluster() -> dict[str, cost.Measurement]:
    return {m.design: m for m in cost.measure_ecs([1])}


@pytest.mark.functional
def test_one_minute_of_each_design_on_the_local_cloud(one_cluster: dict[str, Any]) -> None:
    classic = one_cluster["classic"]
    emf = one_cluster["steward-emf"]
    pmd = one_cluster["steward-put-metric-data"]

    # The classic machine is Standard: 1 Parallel + 12 Task + 11 Wait states, all billed.
    assert classic.workflow_type == "STANDARD"
    assert classic.states_entered == 24
    assert classic.usage(Assumptions()).standard_transitions == 24
    # Steward's is Express: billed per request and duration, never per transition.
    for steward in (emf, pmd):
        assert steward.workflow_type == "EXPRESS"
        assert steward.executions == 1
        assert steward.usage(Assumptions()).standard_transitions == 0
        assert steward.lambda_invocations == 12  # one hop per sample
        # the execution's message and eleven hops' messages, each hop a batch of one
        assert (steward.sqs_sent, steward.sqs_batches) == (12, 12)
        assert steward.event_source_mappings == 1
        # Powertools Idempotency: a record put in progress, then completed, per hop
        assert steward.dynamodb_write_units == 24
    assert classic.sqs_sent == classic.sqs_batches == classic.event_source_mappings == 0

    for measured in (classic, emf, pmd):
        assert measured.samples == 12, measured.design

    # PutMetricData: the classic once per sample; Steward once a minute, or never with EMF.
    assert classic.put_metric_data_requests == 12
    assert pmd.put_metric_data_requests == 1
    assert emf.put_metric_data_requests == 0
    assert emf.function_log_bytes > pmd.function_log_bytes  # the EMF documents are the data

    # Four metrics per cluster in every design (Steward adds its own operational ones).
    assert classic.metrics == {"ECS": 4}
    assert emf.metrics["Steward/ECS"] == 4 and pmd.metrics["Steward/ECS"] == 4


def test_waiting_in_express_bills_the_whole_minute_instead_of_the_queue() -> None:
    usage = MinuteUsage(
        express_requests=1,
        express_seconds=0.2,
        sqs_requests=51,
        put_metric_data_requests=5,
        lambdas=(LambdaUsage("Sampler", 12, 200, 128, "arm64"),),
    )
    measured = cost.Measurement("d", "d", 100, "EXPRESS", 1, 3, (), 12, 5, {})
    row = cost.Row(measured, usage, minute_cost(usage))
    queue = per_day(cost.sqs_cost(51))
    express = per_day(express_workflow_cost(1, 60, 64) - express_workflow_cost(1, 0.2, 64))
    ledger = per_day(cost.dynamodb_cost(2, 0))  # one idempotency record a minute
    assert cost.waiting_in_express(row) == pytest.approx(row.per_day - queue + express + ledger)
