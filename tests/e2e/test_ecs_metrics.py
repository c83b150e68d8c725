"""ECS high-resolution metrics end to end: the schedule fires, a minute of samples lands."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from localcloud import LocalCloud
from steward_common.ecs_metrics import CLUSTER_METRICS
from tests.e2e.conftest import TopicTap

BASE = {
    "EnableEcsMetrics": "true",
    "EnableCostControls": "false",
    "EnableSnapshotManagement": "false",
}


def start(stack: Any, **parameters: str) -> LocalCloud:
    cloud: LocalCloud = stack(**{**BASE, **parameters})
    return cloud


def run_one_minute(cloud: LocalCloud) -> dict[str, Any]:
    [started] = cloud.fire_schedule("EcsMetricsStateMachine")
    cloud.wait_idle(timeout=120)
    execution = cloud.describe_execution(started)
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    return execution


def points(cloud: LocalCloud, metric: str, cluster: str) -> list[datetime]:
    now = datetime.now(UTC)
    result = cloud.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "Steward/ECS",
                        "MetricName": metric,
                        "Dimensions": [{"Name": "ClusterName", "Value": cluster}],
                    },
                    "Period": 1,
                    "Stat": "Maximum",
                },
            }
        ],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=10),
    )
    return sorted(t.astimezone(UTC) for t in result["MetricDataResults"][0]["Timestamps"])


def test_put_metric_data_mode_lands_12_datapoints_per_metric_on_the_5_second_grid(
    stack: Any,
) -> None:
    cloud = start(stack, EcsMetricsPublishMode="put-metric-data")
    for name in ("web", "batch"):
        cloud.client("ecs").create_cluster(clusterName=name)
    execution = run_one_minute(cloud)
    minute = datetime.fromisoformat(execution["input"]["time"].replace("Z", "+00:00")).replace(
        second=0
    )
    expected = [minute + timedelta(seconds=s) for s in range(0, 60, 5)]
    for cluster in ("web", "batch"):
        for metric in CLUSTER_METRICS:
            assert points(cloud, metric, cluster) == expected, (cluster, metric)
    assert execution["output"]["requests"] == 1  # the whole minute in one PutMetricData
    assert execution["output"]["datapoints"] == 12 * 4 * 2


def _emf_documents(cloud: LocalCloud) -> list[dict[str, Any]]:
    group = f"/aws/lambda/{cloud.physical_id('EcsMetricsSampleFunction')}"
    logs = cloud.client("logs")
    documents = []
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
        for event in page["events"]:
            if event["message"].startswith("{") and '"_aws"' in event["message"]:
                documents.append(json.loads(event["message"]))
    return documents


def _assert_valid_emf(document: dict[str, Any]) -> None:
    """The Embedded Metric Format specification's rules, checked one by one."""
    meta = document["_aws"]
    assert isinstance(meta["Timestamp"], int) and meta["Timestamp"] > 0
    [directive] = meta["CloudWatchMetrics"]
    assert isinstance(directive["Namespace"], str) and 1 <= len(directive["Namespace"]) <= 1024
    for dimension_set in directive["Dimensions"]:
        assert 1 <= len(dimension_set) <= 30
        for key in dimension_set:
            assert isinstance(document[key], str)  # every dimension is a root string member
    assert 1 <= len(directive["Metrics"]) <= 100
    for metric in directive["Metrics"]:
        value = document[metric["Name"]]  # a root number, or an array of up to 100 numbers
        values = value if isinstance(value, list) else [value]
        assert 1 <= len(values) <= 100 and all(isinstance(v, (int, float)) for v in values)
        assert metric["Unit"] == "Count"
        assert metric["StorageResolution"] == 1  # high resolution


def test_emf_mode_writes_valid_high_resolution_documents_timestamped_per_sample(stack: Any) -> None:
    cloud = start(stack, EcsMetricsServiceMetrics="true")
    ecs = cloud.client("ecs")
    ecs.create_cluster(clusterName="web")
    ecs.register_task_definition(
        family="api", containerDefinitions=[{"name": "api", "image": "nginx", "memory": 64}]
    )
    ecs.create_service(cluster="web", serviceName="api", taskDefinition="api", desiredCount=2)
    execution = run_one_minute(cloud)
    documents = _emf_documents(cloud)
    for document in documents:
        _assert_valid_emf(document)
    dimension_sets = {
        json.dumps(d["_aws"]["CloudWatchMetrics"][0]["Dimensions"]) for d in documents
    }
    assert dimension_sets == {
        '[["ClusterName"]]',
        '[["ClusterName", "ServiceName"]]',
    }  # as in PutMetricData mode
    clusters = [d for d in documents if "ServiceName" not in d]
    services = [d for d in documents if "ServiceName" in d]
    minute = datetime.fromisoformat(execution["input"]["time"].replace("Z", "+00:00")).replace(
        second=0
    )
    expected_ms = [int((minute + timedelta(seconds=s)).timestamp() * 1000) for s in range(0, 60, 5)]
    assert sorted(d["_aws"]["Timestamp"] for d in clusters) == expected_ms
    desired = {json.dumps(d["ServiceDesiredCount"]) for d in services}  # a number or [number]
    assert len(services) == 12 and desired <= {"2", "2.0", "[2]", "[2.0]"} and desired
    assert {d["ClusterName"] for d in clusters} == {"web"}
    assert execution["output"]["requests"] == 0


def test_150_clusters_in_one_sample_all_publish(stack: Any) -> None:
    cloud = start(stack, EcsMetricsPublishMode="put-metric-data", EcsMetricsIntervalSeconds="30")
    for i in range(150):
        cloud.client("ecs").create_cluster(clusterName=f"fleet-{i:03d}")
    execution = run_one_minute(cloud)
    assert execution["output"]["datapoints"] == 2 * 4 * 150
    assert execution["output"]["requests"] == 2  # 1,200 datapoints, 1,000 to a request
    assert len(points(cloud, "RunningTaskCount", "fleet-149")) == 2


def test_a_cluster_deleted_mid_minute_is_reported_once_and_the_others_still_publish(
    stack: Any,
) -> None:
    cloud = start(stack, EcsMetricsPublishMode="put-metric-data")
    alerts = TopicTap(cloud, "AlertTopic")
    ecs = cloud.client("ecs")
    for name in ("web", "doomed"):
        ecs.create_cluster(clusterName=name)
    cloud.clock.scale = 0.04  # the minute lasts about 2.4 s
    deleter = threading.Timer(1.0, lambda: ecs.delete_cluster(cluster="doomed"))
    deleter.start()
    execution = run_one_minute(cloud)
    deleter.join()
    assert execution["output"]["missing"] == ["doomed"]
    [alert] = alerts.messages()
    assert json.loads(alert["Message"])["clusters"] == ["doomed"]
    assert len(points(cloud, "RunningTaskCount", "web")) == 12
    assert 0 < len(points(cloud, "RunningTaskCount", "doomed")) < 12
