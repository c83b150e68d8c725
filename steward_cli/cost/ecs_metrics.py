"""The one automation `steward cost` measures today: ECS high-resolution metrics, Steward's
design beside the peer it names.

The peer is the classic design (AWS Compute Blog, 2018; bench/classic_ecs/): a Standard state
machine a minute whose Parallel state has twelve hand-written branches. Steward's is one short
Express execution a minute that starts a chain of delayed SQS messages, one sample per hop; it
is measured in both publish modes (EMF and PutMetricData). Each design is deployed from its
template on the local cloud with N ECS clusters, one scheduled minute is fired, and what it did
is counted by the rules of `steward_cli.cost.counting`. A minute with a failed execution, an
error logged (a step that failed and was retried), other than twelve samples, or an Express
execution that waited is refused (`MeasurementError`) rather than priced: it is not the minute
the report claims to price.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steward_cli.cost.assumptions import Assumptions
from steward_cli.cost.counting import (
    FunctionMeasure,
    SdkCalls,
    emf_metrics,
    is_invocation_start,
    is_local_platform_line,
    state_machine_sqs_chunks,
    states_entered,
)
from steward_cli.cost.pricing import LambdaUsage, MinuteUsage

REPO = Path(__file__).resolve().parents[2]
STEWARD_TEMPLATE = REPO / "template.yaml"
CLASSIC_TEMPLATE = REPO / "bench" / "classic_ecs" / "template.yaml"

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


def cluster_names(count: int) -> list[str]:
    return [f"bench-{i:04d}" for i in range(1, count + 1)]


def measure(design: Design, clusters: int, timeout: float = 120.0) -> Measurement:
    """Run one minute of `design` with `clusters` ECS clusters on the local cloud and count."""
    from localcloud import LocalCloud

    if clusters < 1:
        raise ValueError("measure at least one cluster")
    names = cluster_names(clusters)
    parameters = {**design.parameters, design.cluster_parameter: ",".join(names)}
    sdk = SdkCalls()
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
                if is_invocation_start(message):
                    invoked[name] += 1
                if is_local_platform_line(message):
                    continue
                if '"level":"ERROR"' in message or message.startswith("[ERROR]"):
                    errors.append(f"{logical_id}: {message[:300]}")
                log_bytes += len(message.encode("utf-8"))
                points, found = emf_metrics(message)
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
            state_machine_sqs_chunks(e["history"]) for e in executions
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
