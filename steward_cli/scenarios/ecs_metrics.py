"""Demo: a minute of 5-second ECS metrics for a small fleet, published in one request."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from localcloud.testing import metric_series, set_cluster_task_counts
from steward_cli.report import Reporter
from steward_cli.scenarios import Scenario, ScenarioFailed, expect

CLUSTERS = ("checkout", "search", "batch")


def run(cloud: Any, report: Reporter, services: Any) -> None:
    ecs = cloud.client("ecs")
    for index, name in enumerate(CLUSTERS):
        ecs.create_cluster(clusterName=name)
        # moto keeps cluster counters but has no scheduler to move them; the demo sets them.
        set_cluster_task_counts(cloud, name, running=10 * (index + 1), pending=index)
    report.step(
        f"three clusters: {', '.join(CLUSTERS)}; the schedule fires at the top of the minute"
    )
    [started] = cloud.fire_schedule("EcsMetricsStateMachine")
    cloud.wait_idle(timeout=120)
    execution = cloud.describe_execution(started)
    expect(
        execution["status"] == "SUCCEEDED", f"execution {execution['status']}: {execution['cause']}"
    )
    report.step(
        "EcsMetricsStateMachine (Express): plans offsets 0, 5, … 55 s and sends the first"
        " message of the minute's chain"
    )
    entered = [e["type"] for e in execution["history"] if e["type"].endswith("StateEntered")]
    report.detail(f"{len(entered)} states, no Wait: the waiting happens in SQS, where it is free")
    summary = _minute_summary(cloud)
    report.step("EcsMetricsSampleFunction: one hop per offset, each a delayed SQS message")
    report.detail(
        f"{summary['samples']} samples; the last hop published {summary['datapoints']} data"
        f" points in {summary['requests']} PutMetricData request(s)"
    )
    expect(summary["samples"] == 12, f"{summary['samples']} samples")
    expect(summary["datapoints"] == 12 * 4 * len(CLUSTERS), f"{summary['datapoints']} datapoints")

    series = metric_series(
        cloud,
        "Steward/ECS",
        "RunningTaskCount",
        {"ClusterName": "search"},
        around=timedelta(minutes=5),
    )
    stamps = sorted(t.strftime("%H:%M:%S") for t in series)
    report.step(
        "CloudWatch: Steward/ECS RunningTaskCount, ClusterName=search, 1-second storage resolution"
    )
    report.detail(f"{len(stamps)} datapoints at {', '.join(stamps)}")
    expect(len(stamps) == 12, f"{len(stamps)} datapoints for search")


def _minute_summary(cloud: Any) -> dict[str, Any]:
    """What the minute's last hop logged: samples, data points and requests."""
    for message in cloud.function_log("EcsMetricsSampleFunction"):
        if '"minute published"' in message:
            return dict(json.loads(message))
    raise ScenarioFailed("no hop logged the end of the minute")


SCENARIO = Scenario(
    name="ecs_metrics",
    title="ECS high-resolution metrics: every 5 seconds, a chain of delayed SQS messages",
    run=run,
    enables=("EnableEcsMetrics",),
    parameters={"EcsMetricsPublishMode": "put-metric-data"},
    order=40,
)
