"""ECS high-resolution metrics end to end: the schedule fires, a minute of samples lands."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from ecs_metrics.metrics import CLUSTER_METRICS
from localcloud import LocalCloud
from localcloud.testing import ApiCall, TopicTap, before_call, metric_series


def start(stack: Any, **parameters: str) -> LocalCloud:
    cloud: LocalCloud = stack("EnableEcsMetrics", **parameters)
    return cloud


def run_one_minute(cloud: LocalCloud) -> dict[str, Any]:
    """Fire the schedule; the execution, with the last hop's summary of the minute as output."""
    [started] = cloud.fire_schedule("EcsMetricsStateMachine")
    cloud.wait_idle(timeout=120)
    execution = cloud.describe_execution(started)
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    [summary] = [line for line in _log_lines(cloud) if line.get("message") == "minute published"]
    assert not cloud.async_failures
    return {**execution, "output": summary}


def _log_lines(cloud: LocalCloud) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for line in cloud.function_log("EcsMetricsSampleFunction")
        if line.startswith("{")
    ]


def points(cloud: LocalCloud, metric: str, cluster: str) -> list[datetime]:
    return sorted(series(cloud, metric, cluster))


def series(
    cloud: LocalCloud, metric: str, cluster: str, stat: str = "Maximum"
) -> dict[datetime, float]:
    """The metric's 1-second datapoints around now (the local cloud's clock), by timestamp."""
    return metric_series(cloud, "Steward/ECS", metric, {"ClusterName": cluster}, stat=stat)


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
    """The ECS metrics' EMF documents (not the automation's own, in the Steward namespace)."""
    return [
        line
        for line in _log_lines(cloud)
        if line.get("_aws", {}).get("CloudWatchMetrics", [{}])[0].get("Namespace") == "Steward/ECS"
    ]


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
    cloud = start(stack, EcsMetricsServiceMetrics="true", EcsMetricsPublishMode="emf")
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
    samples: list[ApiCall] = []

    def delete_before_the_sixth_sample(call: ApiCall) -> None:
        if len(samples) == 5:  # between the samples at 20 s and at 25 s
            ecs.delete_cluster(cluster="doomed")
        samples.append(call)

    with before_call("ecs", "DescribeClusters", delete_before_the_sixth_sample):
        execution = run_one_minute(cloud)
    assert execution["output"]["missing"] == ["doomed"]
    [alert] = alerts.messages()
    assert json.loads(alert["Message"])["clusters"] == ["doomed"]
    assert len(points(cloud, "RunningTaskCount", "web")) == 12
    assert len(points(cloud, "RunningTaskCount", "doomed")) == 5  # at 0, 5, … 20 s


def test_bad_input_fails_the_machine_with_a_typed_error_and_samples_nothing(stack: Any) -> None:
    cloud = start(stack)
    cloud.client("ecs").create_cluster(clusterName="web")
    for bad in ({"time": "2026-12-01T12:00:00Z", "interval": 7}, {"interval": 5}):
        arn = cloud.start_execution("EcsMetricsStateMachine", bad)
        cloud.wait_idle(timeout=60)
        execution = cloud.describe_execution(arn)
        assert (execution["status"], execution["error"]) == ("FAILED", "InvalidInputError")
    assert not [line for line in _log_lines(cloud) if "message" in line]  # no hop ran


def test_a_plan_no_hop_can_read_ends_on_the_dead_letter_queue(stack: Any) -> None:
    cloud = start(stack)
    sqs = cloud.client("sqs")
    sqs.send_message(
        QueueUrl=cloud.physical_id("EcsMetricsSampleQueue"),
        MessageBody=json.dumps({"minute": "2026-12-01T12:00:00Z", "offsets": [0, 0]}),
    )
    cloud.wait_idle(timeout=60)
    failures = [line for line in _log_lines(cloud) if line.get("level") == "ERROR"]
    assert len(failures) == 3  # maxReceiveCount deliveries, each a typed error
    assert all("InvalidInputError" in f["exception"] for f in failures)
    dead = sqs.receive_message(QueueUrl=cloud.physical_id("EcsMetricsDeadLetterQueue"))
    assert len(dead["Messages"]) == 1


def test_consecutive_minutes_tile_the_5_second_grid_without_gaps_or_overlaps(stack: Any) -> None:
    cloud = start(stack, EcsMetricsPublishMode="put-metric-data")
    cloud.client("ecs").create_cluster(clusterName="web")
    first = run_one_minute(cloud)
    cloud.fire_schedule("EcsMetricsStateMachine")  # the next minute's schedule
    cloud.wait_idle(timeout=120)
    minute = datetime.fromisoformat(first["input"]["time"].replace("Z", "+00:00"))
    expected = [minute + timedelta(seconds=s) for s in range(0, 120, 5)]
    counts = series(cloud, "RunningTaskCount", "web", stat="SampleCount")
    assert sorted(counts) == expected  # no gap
    assert set(counts.values()) == {1.0}  # no second sample for any of them


def test_a_minute_started_twice_is_sampled_once(stack: Any) -> None:
    cloud = start(stack, EcsMetricsPublishMode="put-metric-data")
    cloud.client("ecs").create_cluster(clusterName="web")
    first = run_one_minute(cloud)
    again = cloud.start_execution("EcsMetricsStateMachine", first["input"])  # EventBridge, twice
    cloud.wait_idle(timeout=120)
    assert cloud.describe_execution(again)["status"] == "SUCCEEDED"
    counts = series(cloud, "RunningTaskCount", "web", stat="SampleCount")
    assert len(counts) == 12 and set(counts.values()) == {1.0}
    lines = _log_lines(cloud)
    assert [line["message"] for line in lines if "message" in line].count("minute published") == 1
    assert any("duplicate" in line.get("message", "") for line in lines)


def test_a_deleted_cluster_over_ten_minutes_gives_one_alert_and_its_return_one_more(
    stack: Any,
) -> None:
    """A cluster still configured but deleted was reported every minute (1,440 a day); the
    minutes now remember what is missing and report each change once."""
    cloud = start(stack, EcsMetricsClusters="web,doomed", EcsMetricsIntervalSeconds="30")
    alerts = TopicTap(cloud, "AlertTopic")
    ecs = cloud.client("ecs")
    for name in ("web", "doomed"):
        ecs.create_cluster(clusterName=name)
    for minute in range(12):
        if minute == 1:
            ecs.delete_cluster(cluster="doomed")
        if minute == 11:
            ecs.create_cluster(clusterName="doomed")  # back
        [started] = cloud.fire_schedule("EcsMetricsStateMachine")
        cloud.wait_idle(timeout=120)
        assert cloud.describe_execution(started)["status"] == "SUCCEEDED"
    reports = [json.loads(m["Message"]) for m in alerts.messages()]
    assert [(r["kind"], r["clusters"]) for r in reports] == [
        ("missing-clusters", ["doomed"]),
        ("clusters-back", ["doomed"]),
    ]
