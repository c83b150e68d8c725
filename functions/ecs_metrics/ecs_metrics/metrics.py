"""ECS high-resolution metrics: what is measured, and the compact form samples travel in.

A sample, as the sampler takes it:
`{"t": epoch_ms, "c": [[cluster, running, pending, services, instances], ...],
  "s": [[cluster, service, running, pending, desired], ...], "missing": [cluster, ...]}`.

Between the samples of a minute, in PutMetricData mode, data points not yet published ride
along in the next SQS message, packed per timestamp: `{"t": epoch_ms, "d": [[metric index,
cluster, service or null, value], ...]}`. Packed, a thousand data points (one full
PutMetricData request) take about 25 KB, well inside one 64 KB SQS billing chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

CLUSTER_METRICS = (
    "RunningTaskCount",
    "PendingTaskCount",
    "ActiveServiceCount",
    "RegisteredContainerInstanceCount",
)
SERVICE_METRICS = ("ServiceRunningCount", "ServicePendingCount", "ServiceDesiredCount")
METRICS = CLUSTER_METRICS + SERVICE_METRICS  # a packed data point names its metric by index
MAX_DATUMS_PER_REQUEST = 1000  # PutMetricData's limit


def pack(sample: dict[str, Any]) -> dict[str, Any]:
    """One sample's data points, packed under its timestamp."""
    points: list[list[Any]] = []
    for cluster, *values in sample.get("c", []):
        points += [[i, cluster, None, v] for i, v in enumerate(values)]
    offset = len(CLUSTER_METRICS)
    for cluster, service, *values in sample.get("s", []):
        points += [[offset + i, cluster, service, v] for i, v in enumerate(values)]
    return {"t": sample["t"], "d": points}


def count(packed: list[dict[str, Any]]) -> int:
    return sum(len(group["d"]) for group in packed)


def datum(t: int, point: list[Any]) -> dict[str, Any]:
    """The PutMetricData datum of one packed point, timestamped with its sample's own time."""
    index, cluster, service, value = point
    dimensions = [{"Name": "ClusterName", "Value": cluster}]
    if service is not None:
        dimensions.append({"Name": "ServiceName", "Value": service})
    return {
        "MetricName": METRICS[index],
        "Dimensions": dimensions,
        "Timestamp": datetime.fromtimestamp(t / 1000, UTC),
        "Value": value,
        "Unit": "Count",
        "StorageResolution": 1,
    }


def datums(packed: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for group in packed:
        for point in group["d"]:
            yield datum(group["t"], point)


def split(
    packed: list[dict[str, Any]], n: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The first `n` packed points and the rest, each still grouped by timestamp."""
    head: list[dict[str, Any]] = []
    tail: list[dict[str, Any]] = []
    left = n
    for group in packed:
        if left >= len(group["d"]):
            head.append(group)
            left -= len(group["d"])
        elif left > 0:
            head.append({"t": group["t"], "d": group["d"][:left]})
            tail.append({"t": group["t"], "d": group["d"][left:]})
            left = 0
        else:
            tail.append(group)
    return head, tail
