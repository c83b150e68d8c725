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
