"""The minute's end: PutMetricData for all its samples at once, and missing clusters once."""

from __future__ import annotations

from itertools import chain
from typing import Any

from steward_common.ecs_metrics import MAX_DATUMS_PER_REQUEST, datums
from steward_common.pagination import chunks


def put_all(cloudwatch: Any, namespace: str, samples: list[dict[str, Any]]) -> tuple[int, int]:
    """(datapoints, requests): every sample's datums, 1,000 to a request."""
    points = requests = 0
    for batch in chunks(chain.from_iterable(datums(s) for s in samples), MAX_DATUMS_PER_REQUEST):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=batch)
        points += len(batch)
        requests += 1
    return points, requests


def missing_clusters(samples: list[dict[str, Any]]) -> list[str]:
    return sorted({name for s in samples for name in s.get("missing", [])})
