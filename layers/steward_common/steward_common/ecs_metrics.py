"""ECS high-resolution metrics: what is measured, shared by the sampler and the publisher.

A sample is compact, because a minute of them passes through the state machine:
`{"t": epoch_ms, "c": [[cluster, running, pending, services, instances], ...],
  "s": [[cluster, service, running, pending, desired], ...], "missing": [cluster, ...]}`.
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
MAX_DATUMS_PER_REQUEST = 1000  # PutMetricData's limit


def datums(sample: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """PutMetricData datums of one sample, timestamped with the sample's own time."""
    when = datetime.fromtimestamp(sample["t"] / 1000, UTC)
    for cluster, *values in sample.get("c", []):
        for name, value in zip(CLUSTER_METRICS, values, strict=True):
            yield {
                "MetricName": name,
                "Dimensions": [{"Name": "ClusterName", "Value": cluster}],
                "Timestamp": when,
                "Value": value,
                "Unit": "Count",
                "StorageResolution": 1,
            }
    for cluster, service, *values in sample.get("s", []):
        for name, value in zip(SERVICE_METRICS, values, strict=True):
            yield {
                "MetricName": name,
                "Timestamp": when,
                "Value": value,
                "Unit": "Count",
                "StorageResolution": 1,
                "Dimensions": [
                    {"Name": "ClusterName", "Value": cluster},
                    {"Name": "ServiceName", "Value": service},
                ],
            }
