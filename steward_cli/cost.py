"""`steward cost`: what an automation costs a month, from its definitions and published prices.

Prices are the `PRICES` table (us-east-1, as published in `PRICES_AS_OF`, each with its source).
Usage is *measured* where the local cloud can measure it: one minute of the automation, as
deployed from its template, runs on the local cloud and its executions, SDK calls and log groups
are counted. What the local cloud cannot measure (how long an invocation runs on Lambda, how long
and with how much memory an Express execution is billed) is an `Assumptions` value, printed
beside every table.

The pricing functions are pure: usage per minute in, dollars per minute out; `per_day()` and
`per_month()` scale it. Free tiers are ignored (they are per account, not per automation).

Counting rules (one minute's executions on the local cloud):

- billed state transitions (Standard workflows): history events whose type ends in
  "StateEntered". Step Functions bills "a state transition each time a step of your workflow is
  executed", retries included; every step executed (a retry too) enters a state once. Express
  workflows are billed per request and duration, not per transition.
- Lambda invocations: the START lines the local cloud writes to a function's log group, one per
  invocation, whether a state machine, an SQS event source mapping or anything else invoked it.
- DynamoDB request units (the hops' idempotency records): counted at the SDK, a write unit per
  started KB a PutItem, UpdateItem or DeleteItem carries, a read unit per GetItem.
- SQS requests: sends counted at the SDK and in the state machine's sqs:sendMessage tasks, each
  started 64 KB chunk of a payload a request; an event source mapping's receive and
  DeleteMessageBatch per batch it delivered; its idle polling an assumption.
- AWS API calls, and so PutMetricData requests and the data points they carry: counted at the
  SDK boundary (botocore), per calling function.
- log bytes: the messages of the log events each function wrote to /aws/lambda/<name>, less the
  START/END lines the local cloud writes; Lambda's own START/END/REPORT lines are added as an
  assumption per invocation (`Assumptions.platform_log_bytes`).
- custom metrics: distinct (namespace, name, dimensions) in the EMF documents logged and in the
  PutMetricData requests made.
"""

from __future__ import annotations

import argparse
import json
import math
import threading
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.metering import ApiCall

REPO = Path(__file__).resolve().parent.parent
STEWARD_TEMPLATE = REPO / "template.yaml"
CLASSIC_TEMPLATE = REPO / "bench" / "classic_ecs" / "template.yaml"

# ---------------------------------------------------------------------------------- prices

PRICES_AS_OF = "2026-11"
PRICES_REGION = "us-east-1"

_SFN = "https://aws.amazon.com/step-functions/pricing/"
_LAMBDA = "https://aws.amazon.com/lambda/pricing/"
_CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"
_SQS = "https://aws.amazon.com/sqs/pricing/"
_DYNAMODB = "https://aws.amazon.com/dynamodb/pricing/on-demand/"


@dataclass(frozen=True)
class Price:
    usd: float
    per: str
    source: str


PRICES: dict[str, Price] = {
    "sfn_standard_transition": Price(
        0.025 / 1_000, "state transition, Standard workflow ($0.025 per 1,000)", _SFN
    ),
    "sfn_express_request": Price(1.00 / 1_000_000, "Express request ($1.00 per million)", _SFN),
    "sfn_express_gb_second": Price(
        0.00001667,
        "Express GB-second (first 1,000 GB-hours a month); duration rounded up to 100 ms, "
        "memory billed in 64 MB chunks",
        _SFN,
    ),
    "lambda_request": Price(0.20 / 1_000_000, "Lambda request ($0.20 per million)", _LAMBDA),
    "lambda_gb_second_arm64": Price(
        0.0000133334, "Lambda GB-second, arm64 (first 7.5 billion a month); 1 ms billing", _LAMBDA
    ),
    "lambda_gb_second_x86_64": Price(
        0.0000166667, "Lambda GB-second, x86_64 (first 6 billion a month); 1 ms billing", _LAMBDA
    ),
    "cloudwatch_put_metric_data_request": Price(
        0.01 / 1_000, "PutMetricData request ($0.01 per 1,000)", _CLOUDWATCH
    ),
    "logs_ingestion_gb": Price(
        0.50,
        "GB of CloudWatch Logs ingested (Standard class, Lambda logs' first tier)",
        _CLOUDWATCH,
    ),
    "sqs_request": Price(
        0.40 / 1_000_000,
        "SQS request, standard queue ($0.40 per million); each 64 KB chunk of a payload is a"
        " request",
        _SQS,
    ),
    "dynamodb_write_request_unit": Price(
        0.625 / 1_000_000,
        "DynamoDB on-demand write request unit ($0.625 per million); one per 1 KB written",
        _DYNAMODB,
    ),
    "dynamodb_read_request_unit": Price(
        0.125 / 1_000_000,
        "DynamoDB on-demand read request unit ($0.125 per million); one strongly consistent"
        " read of up to 4 KB",
        _DYNAMODB,
    ),
    "custom_metric_month": Price(
        0.30,
        "custom metric-month, first 10,000 metrics (the tier depends on the whole account)",
        _CLOUDWATCH,
    ),
}

MINUTES_PER_DAY = 24 * 60
HOURS_PER_MONTH = 730  # the month of AWS's pricing pages and pricing calculator
MINUTES_PER_MONTH = HOURS_PER_MONTH * 60
BYTES_PER_GB = 1024**3
SQS_CHUNK_BYTES = 64 * 1024
EXPRESS_BILLING_INCREMENT_S = 0.1
EXPRESS_MEMORY_CHUNK_MB = 64

# ---------------------------------------------------------------------------------- pure pricing


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


def dynamodb_write_units(params: dict[str, Any]) -> int:
    """Write request units of one PutItem/UpdateItem/DeleteItem: 1 per started KB of what the
    request carries (the item, or the updated values), at least one."""
    size = len(json.dumps(params.get("Item") or params.get("ExpressionAttributeValues") or {}))
    return max(1, math.ceil(size / 1024))


def sqs_chunks(payload: str | bytes) -> int:
    """Billed requests for one payload: every started 64 KB chunk is a request."""
    size = len(payload.encode("utf-8") if isinstance(payload, str) else payload)
    return max(1, math.ceil(size / SQS_CHUNK_BYTES))


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


# ---------------------------------------------------------------------------------- assumptions


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


# ---------------------------------------------------------------------------------- measurement


SAMPLES_PER_MINUTE = 12  # every design samples every 5 seconds


class MeasurementError(RuntimeError):
    """One minute of a design did not run as it should on the local cloud."""


@dataclass(frozen=True)
class Design:
    key: str
    label: str
    template: Path
    parameters: dict[str, str]
    cluster_parameter: str  # the template parameter that lists the clusters
    state_machine: str  # logical id whose schedule is fired
    sampler: str  # logical id of the per-sample function
    functions: tuple[str, ...]  # logical ids of every function of the design


def ecs_designs(
    steward_template: Path = STEWARD_TEMPLATE, classic_template: Path = CLASSIC_TEMPLATE
) -> list[Design]:
    """Steward's ECS high-resolution metrics in both publish modes, and the classic design."""
    from localcloud.testing import only

    designs = []
    for mode in ("emf", "put-metric-data"):
        designs.append(
            Design(
                key=f"steward-{mode}",
                label=f"Steward ({mode})",
                template=steward_template,
                parameters=only(
                    steward_template,
                    "EnableEcsMetrics",
                    EcsMetricsPublishMode=mode,
                    EcsMetricsIntervalSeconds="5",
                ),
                cluster_parameter="EcsMetricsClusters",
                state_machine="EcsMetricsStateMachine",
                sampler="EcsMetricsSampleFunction",
                functions=("EcsMetricsSampleFunction",),
            )
        )
    designs.append(
        Design(
            key="classic",
            label="classic (12-branch Standard)",
            template=classic_template,
            parameters={},
            cluster_parameter="Clusters",
            state_machine="ClassicStateMachine",
            sampler="ClassicSampleFunction",
            functions=("ClassicSampleFunction",),
        )
    )
    return designs


@dataclass(frozen=True)
class FunctionMeasure:
    logical_id: str
    name: str
    memory_mb: int
    architecture: str
    invocations: int
    api_calls: dict[str, int]  # "service:Operation" -> calls
    datapoints: int  # metric data points written (EMF values and PutMetricData datums)
    log_bytes: int  # its own log lines, without the platform's START/END


@dataclass(frozen=True)
class Measurement:
    """One minute of one design with N clusters, as counted on the local cloud."""

    design: str
    label: str
    clusters: int
    workflow_type: str  # STANDARD or EXPRESS, as deployed
    executions: int
    states_entered: int
    functions: tuple[FunctionMeasure, ...]
    samples: int  # invocations of the per-sample function
    put_metric_data_requests: int
    metrics: dict[str, int]  # distinct custom metrics by namespace
    output: Any = None  # the execution's output
    sqs_sent: int = 0  # billed SQS send requests (64 KB chunks), by functions and state machine
    sqs_batches: int = 0  # batches SQS event source mappings delivered
    event_source_mappings: int = 0  # SQS event source mappings of the design's functions
    dynamodb_write_units: int = 0
    dynamodb_read_units: int = 0

    @property
    def lambda_invocations(self) -> int:
        return sum(f.invocations for f in self.functions)

    @property
    def api_calls(self) -> int:
        return sum(sum(f.api_calls.values()) for f in self.functions)

    @property
    def function_log_bytes(self) -> int:
        return sum(f.log_bytes for f in self.functions)

    def sqs_requests(self, assumptions: Assumptions) -> float:
        return (
            self.sqs_sent
            + 2 * self.sqs_batches  # the receive that returned the batch, its deletion
            + assumptions.sqs_idle_receives_per_minute * self.event_source_mappings
        )

    def usage(self, assumptions: Assumptions) -> MinuteUsage:
        lambdas = tuple(
            LambdaUsage(
                function=f.logical_id,
                invocations=f.invocations,
                ms=assumptions.invocation_ms(
                    sum(f.api_calls.values()) / f.invocations, f.datapoints / f.invocations
                ),
                memory_mb=f.memory_mb,
                architecture=f.architecture,
            )
            for f in self.functions
            if f.invocations
        )
        express = self.workflow_type == "EXPRESS"
        return MinuteUsage(
            standard_transitions=0 if express else self.states_entered,
            express_requests=self.executions if express else 0,
            express_seconds=assumptions.express_seconds if express else 0.0,
            express_memory_mb=assumptions.express_memory_mb,
            lambdas=lambdas,
            put_metric_data_requests=self.put_metric_data_requests,
            log_bytes=self.function_log_bytes
            + assumptions.platform_log_bytes * self.lambda_invocations,
            sqs_requests=self.sqs_requests(assumptions),
            dynamodb_write_units=self.dynamodb_write_units,
            dynamodb_read_units=self.dynamodb_read_units,
        )


@dataclass
class _SdkCalls:
    """AWS API calls made inside Lambda invocations, by function (`localcloud.metering`)."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    datapoints: Counter[str] = field(default_factory=Counter)
    sqs_chunks: Counter[str] = field(default_factory=Counter)
    dynamodb_write_units: Counter[str] = field(default_factory=Counter)
    dynamodb_read_units: Counter[str] = field(default_factory=Counter)
    metrics: set[tuple[str, str, tuple[tuple[str, str], ...]]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, function: str | None, call: ApiCall) -> None:
        if not function:  # only calls made inside Lambda invocations are the design's
            return
        operation, params = call.operation, call.params
        with self.lock:
            self.calls[(function, f"{call.service}:{operation}")] += 1
            if operation == "SendMessage":
                self.sqs_chunks[function] += sqs_chunks(params["MessageBody"])
            elif operation == "SendMessageBatch":
                payload = "".join(e["MessageBody"] for e in params["Entries"])
                self.sqs_chunks[function] += sqs_chunks(payload)
            elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
                self.dynamodb_write_units[function] += dynamodb_write_units(params)
            elif operation == "GetItem":
                self.dynamodb_read_units[function] += 1
            if operation == "PutMetricData":
                data = params.get("MetricData", [])
                self.datapoints[function] += len(data)
                for datum in data:
                    dims = tuple(
                        sorted((d["Name"], d["Value"]) for d in datum.get("Dimensions", []))
                    )
                    self.metrics.add((params["Namespace"], datum["MetricName"], dims))

    def counting(self) -> AbstractContextManager[None]:
        from localcloud.metering import metered

        return metered(self)


def _emf(message: str) -> tuple[int, set[tuple[str, str, tuple[tuple[str, str], ...]]]]:
    """(data points, distinct metrics) of one log line, if it is an EMF document."""
    if not message.startswith("{"):
        return 0, set()
    try:
        document = json.loads(message)
    except ValueError:
        return 0, set()
    directives = (document.get("_aws") or {}).get("CloudWatchMetrics") or []
    points = 0
    metrics: set[tuple[str, str, tuple[tuple[str, str], ...]]] = set()
    for directive in directives:
        for metric in directive.get("Metrics", []):
            name = metric["Name"]
            value = document.get(name)
            points += len(value) if isinstance(value, list) else 1
            for dimension_set in directive.get("Dimensions", []):
                dims = tuple(sorted((d, str(document.get(d))) for d in dimension_set))
                metrics.add((directive.get("Namespace", ""), name, dims))
    return points, metrics


def _is_local_platform_line(message: str) -> bool:
    return message.startswith(("START RequestId:", "END RequestId:"))


def _is_invocation_start(message: str) -> bool:
    """The local cloud writes one START line per invocation, whatever invoked the function."""
    return message.startswith("START RequestId:")


def _state_machine_sqs_chunks(history: list[dict[str, Any]]) -> int:
    """Billed SQS send requests of one execution's sqs:sendMessage tasks."""
    chunks = 0
    for event in history:
        details = event.get("taskScheduledEventDetails") or {}
        if event["type"] == "TaskScheduled" and details.get("resourceType") == "sqs":
            chunks += sqs_chunks(json.loads(details["parameters"])["MessageBody"])
    return chunks


def states_entered(history: list[dict[str, Any]]) -> int:
    """States entered in one execution: what a Standard workflow is billed for."""
    return sum(1 for event in history if event["type"].endswith("StateEntered"))


def cluster_names(count: int) -> list[str]:
    return [f"bench-{i:04d}" for i in range(1, count + 1)]


def measure(design: Design, clusters: int, timeout: float = 120.0) -> Measurement:
    """Run one minute of `design` with `clusters` ECS clusters on the local cloud and count."""
    from localcloud import LocalCloud

    if clusters < 1:
        raise ValueError("measure at least one cluster")
    names = cluster_names(clusters)
    parameters = {**design.parameters, design.cluster_parameter: ",".join(names)}
    sdk = _SdkCalls()
    with LocalCloud(template=design.template, parameters=parameters, time_scale=0.0) as cloud:
        ecs = cloud.client("ecs")
        for name in names:
            ecs.create_cluster(clusterName=name)
        with sdk.counting():
            cloud.fire_schedule(design.state_machine)
            cloud.wait_idle(timeout=timeout)
        executions = cloud.executions(design.state_machine)
        failed = [e for e in executions if e["status"] != "SUCCEEDED"]
        if len(executions) != 1 or failed:
            detail = failed[0] if failed else {}
            raise MeasurementError(
                f"{design.label}, {clusters} cluster(s): {len(executions)} execution(s),"
                f" {len(failed)} failed {detail.get('error')}: {detail.get('cause')}"
            )
        machine = cloud.client("stepfunctions").describe_state_machine(
            stateMachineArn=cloud.physical_id(design.state_machine)
        )
        express = machine.get("type") == "EXPRESS"
        if express and any(
            e["type"] == "WaitStateEntered" for x in executions for e in x["history"]
        ):
            raise MeasurementError(
                f"{design.label}: an Express execution waited; its billed duration is not the"
                " assumed one"
            )
        invoked: Counter[str] = Counter()
        errors: list[str] = []
        lam = cloud.client("lambda")
        arns = set()
        functions: list[FunctionMeasure] = []
        metrics = set(sdk.metrics)
        samples = 0
        for logical_id in design.functions:
            name = cloud.physical_id(logical_id)
            config = lam.get_function_configuration(FunctionName=name)
            log_bytes = datapoints = 0
            for message in cloud.function_log(logical_id):
                if _is_invocation_start(message):
                    invoked[name] += 1
                if _is_local_platform_line(message):
                    continue
                if '"level":"ERROR"' in message or message.startswith("[ERROR]"):
                    errors.append(f"{logical_id}: {message[:300]}")
                log_bytes += len(message.encode("utf-8"))
                points, found = _emf(message)
                datapoints += points
                metrics |= found
            arns.add(config["FunctionArn"])
            calls = {op: n for (fn, op), n in sdk.calls.items() if fn == name}
            functions.append(
                FunctionMeasure(
                    logical_id=logical_id,
                    name=name,
                    memory_mb=int(config["MemorySize"]),
                    architecture=(config.get("Architectures") or ["x86_64"])[0],
                    invocations=invoked[name],
                    api_calls=calls,
                    datapoints=datapoints + sdk.datapoints[name],
                    log_bytes=log_bytes,
                )
            )
            if logical_id == design.sampler:
                samples = invoked[name]
        # A minute that failed somewhere and was retried is not the minute being priced.
        if errors or samples != SAMPLES_PER_MINUTE:
            raise MeasurementError(
                f"{design.label}, {clusters} cluster(s): {samples} samples, {len(errors)} error(s)"
                + (f"; first: {errors[0]}" if errors else "")
            )
        mappings = [
            m
            for m in lam.list_event_source_mappings()["EventSourceMappings"]
            if m["FunctionArn"] in arns and ":sqs:" in m["EventSourceArn"]
        ]
        sqs_sent = sum(sdk.sqs_chunks.values()) + sum(
            _state_machine_sqs_chunks(e["history"]) for e in executions
        )
        sqs_batches = sum(invoked[m["FunctionArn"].split(":function:")[-1]] for m in mappings)
    by_namespace = Counter(namespace for namespace, _, _ in metrics)
    return Measurement(
        design=design.key,
        label=design.label,
        clusters=clusters,
        workflow_type=machine.get("type", "STANDARD"),
        executions=len(executions),
        states_entered=sum(states_entered(e["history"]) for e in executions),
        functions=tuple(functions),
        samples=samples,
        put_metric_data_requests=sum(
            n for (_, op), n in sdk.calls.items() if op == "cloudwatch:PutMetricData"
        ),
        metrics=dict(sorted(by_namespace.items())),
        output=executions[0]["output"],
        sqs_sent=sqs_sent,
        sqs_batches=sqs_batches,
        event_source_mappings=len(mappings),
        dynamodb_write_units=sum(sdk.dynamodb_write_units.values()),
        dynamodb_read_units=sum(sdk.dynamodb_read_units.values()),
    )


def measure_ecs(
    clusters: Sequence[int],
    steward_template: Path = STEWARD_TEMPLATE,
    classic_template: Path = CLASSIC_TEMPLATE,
) -> list[Measurement]:
    return [
        measure(design, n)
        for n in clusters
        for design in ecs_designs(steward_template, classic_template)
    ]


# ---------------------------------------------------------------------------------- report

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


# ---------------------------------------------------------------------------------- command


def _cluster_count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError("cluster counts go from 1 to 1000")
    return value


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cost",
        help="monthly cost of an automation, measured on the local cloud",
        description=(
            "The cost per day and per month of ECS high-resolution metrics (Steward's design in"
            " both publish modes, beside the classic twelve-branch Standard design), from one"
            " minute of each run on the local cloud and the published prices in"
            " steward_cli/cost.py."
        ),
    )
    parser.add_argument(
        "automation", nargs="?", default="ecs-metrics", choices=["ecs-metrics"], help="automation"
    )
    parser.add_argument(
        "--clusters",
        type=_cluster_count,
        nargs="+",
        default=[1, 10, 100],
        metavar="N",
        help="cluster counts to measure (default: 1 10 100)",
    )
    parser.add_argument("--template", "-t", default=str(STEWARD_TEMPLATE), help="Steward template")
    parser.add_argument(
        "--classic-template", default=str(CLASSIC_TEMPLATE), help="the classic design's template"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from localcloud.errors import LocalCloudError

    clusters = sorted(set(args.clusters))
    try:
        measurements = measure_ecs(
            clusters, Path(args.template).resolve(), Path(args.classic_template).resolve()
        )
    except (MeasurementError, LocalCloudError) as exc:
        print(f"steward cost: {type(exc).__name__}: {exc}")
        return 1
    print(format_ecs_report(rows(measurements)))
    return 0
