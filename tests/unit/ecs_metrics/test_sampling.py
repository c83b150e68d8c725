"""Sampling many clusters: batches of 100 (botocore Stubber), times on the minute's grid."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from ecs_metrics.metrics import datums, pack, split
from ecs_metrics.sampling import SamplerSettings, sample_time, take_sample
from steward_common.errors import InvalidInputError


def _cluster(name: str, running: int = 2) -> dict[str, object]:
    return {
        "clusterName": name,
        "clusterArn": f"arn:aws:ecs:us-east-1:123456789012:cluster/{name}",
        "status": "ACTIVE",
        "runningTasksCount": running,
        "pendingTasksCount": 1,
        "activeServicesCount": 3,
        "registeredContainerInstancesCount": 4,
    }


def test_150_clusters_are_described_in_two_calls_and_missing_ones_are_listed() -> None:
    ecs = boto3.client(
        "ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    names = [f"c{i:03d}" for i in range(150)]
    stub = Stubber(ecs)
    stub.add_response("list_clusters", {"clusterArns": names[:100], "nextToken": "p2"}, {})
    stub.add_response("list_clusters", {"clusterArns": names[100:]}, {"nextToken": "p2"})
    stub.add_response(
        "describe_clusters",
        {"clusters": [_cluster(n) for n in names[:100]]},
        {"clusters": names[:100]},
    )
    gone = {"arn": "arn:aws:ecs:us-east-1:123456789012:cluster/c149", "reason": "MISSING"}
    stub.add_response(
        "describe_clusters",
        {"clusters": [_cluster(n) for n in names[100:149]], "failures": [gone]},
        {"clusters": names[100:]},
    )
    with stub:
        sample = take_sample(
            ecs, SamplerSettings((), "NS", "emf", False), sample_time("2026-11-23T12:34:00Z", 5)
        )
    stub.assert_no_pending_responses()
    assert len(sample["c"]) == 149 and sample["missing"] == ["c149"]
    assert sample["c"][0] == ["c000", 2, 1, 3, 4]


class _Services:
    """An ECS client with 1,000 services on 3 clusters: ListServices pages of maxResults
    (AWS: at most 100), DescribeServices of at most 10; it counts calls and how many run at
    once."""

    def __init__(self) -> None:
        import threading

        self.counts = {"c0": 400, "c1": 350, "c2": 250}
        self.calls: dict[str, int] = {"list_services": 0, "describe_services": 0}
        self.page_sizes: set[int] = set()
        self.in_flight = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def get_paginator(self, operation: str) -> object:
        client = self

        class Paginator:
            def paginate(self, *, cluster: str, PaginationConfig: dict[str, int]) -> object:
                size = PaginationConfig["PageSize"]
                client.page_sizes.add(size)
                name = cluster.rsplit("/", 1)[-1]
                arns = [f"{cluster}/svc-{i:04d}" for i in range(client.counts[name])]
                for start in range(0, len(arns), size):
                    with client._lock:
                        client.calls["list_services"] += 1
                    yield {"serviceArns": arns[start : start + size]}

        return Paginator()

    def describe_services(self, *, cluster: str, services: list[str]) -> dict[str, object]:
        import time

        assert len(services) <= 10
        with self._lock:
            self.calls["describe_services"] += 1
            self.in_flight += 1
            self.most_at_once = max(self.most_at_once, self.in_flight)
        time.sleep(0.002)
        with self._lock:
            self.in_flight -= 1
        return {
            "services": [
                {
                    "serviceName": a.rsplit("/", 1)[-1],
                    "runningCount": 1,
                    "pendingCount": 0,
                    "desiredCount": 1,
                }
                for a in services
            ]
        }

    def describe_clusters(self, *, clusters: list[str]) -> dict[str, object]:
        return {"clusters": [_cluster(c.rsplit("/", 1)[-1]) for c in clusters]}


def test_a_thousand_services_are_listed_100_a_page_and_described_side_by_side() -> None:
    ecs = _Services()
    arns = [f"arn:aws:ecs:us-east-1:123456789012:cluster/c{i}" for i in range(3)]
    sample = take_sample(
        ecs, SamplerSettings(tuple(arns), "NS", "emf", True), sample_time("2026-11-23T12:34:00Z", 0)
    )
    assert len(sample["s"]) == 1000
    assert sample["s"][0] == ["c0", "svc-0000", 1, 0, 1] and sample["s"][-1][1] == "svc-0249"
    assert ecs.page_sizes == {100} and ecs.calls["list_services"] == 4 + 4 + 3
    assert ecs.calls["describe_services"] == 40 + 35 + 25
    assert ecs.most_at_once > 1  # not one after the other


@pytest.mark.parametrize(
    ("minute", "offset", "expected"),
    [
        ("2026-11-23T12:34:00Z", 0, datetime(2026, 11, 23, 12, 34, 0, tzinfo=UTC)),
        (
            "2026-11-23T12:34:07Z",
            55,
            datetime(2026, 11, 23, 12, 34, 55, tzinfo=UTC),
        ),  # a late schedule
        ("2026-11-23T12:34:59.900Z", 30, datetime(2026, 11, 23, 12, 34, 30, tzinfo=UTC)),
    ],
)
def test_samples_are_timed_on_the_minute_grid_whatever_the_schedule_jitter(
    minute: str, offset: int, expected: datetime
) -> None:
    assert sample_time(minute, offset) == expected


@pytest.mark.parametrize(("minute", "offset"), [("yesterday", 0), ("2026-11-23T12:34:00Z", 60)])
def test_bad_sample_requests_are_typed_errors(minute: str, offset: int) -> None:
    with pytest.raises(InvalidInputError):
        sample_time(minute, offset)


def test_datums_carry_the_samples_own_time_at_high_resolution() -> None:
    sample = {"t": 1_795_437_245_000, "c": [["web", 5, 0, 2, 3]], "s": [["web", "api", 4, 1, 5]]}
    produced = list(datums([pack(sample)]))
    assert len(produced) == 4 + 3
    assert {d["Timestamp"] for d in produced} == {datetime.fromtimestamp(1_795_437_245, UTC)}
    assert {d["StorageResolution"] for d in produced} == {1}
    assert [d["MetricName"] for d in produced[:4]] == [
        "RunningTaskCount",
        "PendingTaskCount",
        "ActiveServiceCount",
        "RegisteredContainerInstanceCount",
    ]
    assert produced[0]["Dimensions"] == [{"Name": "ClusterName", "Value": "web"}]
    service = [d for d in produced if d["MetricName"] == "ServiceDesiredCount"]
    assert service[0]["Dimensions"] == [
        {"Name": "ClusterName", "Value": "web"},
        {"Name": "ServiceName", "Value": "api"},
    ]
    assert service[0]["Value"] == 5


def test_split_keeps_every_point_in_order_and_under_its_own_timestamp() -> None:
    groups = [{"t": 1, "d": [[0, "a", None, 1]] * 3}, {"t": 2, "d": [[1, "b", None, 2]] * 4}]
    for n in range(8):
        head, tail = split(groups, n)
        flat = [(g["t"], p) for g in head + tail for p in g["d"]]
        assert flat == [(g["t"], p) for g in groups for p in g["d"]]
        assert sum(len(g["d"]) for g in head) == n
        assert all(g["d"] for g in head + tail)  # no empty groups travel on
