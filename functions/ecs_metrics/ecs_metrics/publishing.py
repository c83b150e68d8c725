"""Writing samples: EMF log lines, or PutMetricData in full requests of 1,000 data points."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricResolution, MetricUnit

from ecs_metrics.metrics import (
    CLUSTER_METRICS,
    MAX_DATUMS_PER_REQUEST,
    SERVICE_METRICS,
    count,
    datums,
    split,
)
from steward_common.pagination import chunks


def emit_emf(sample: dict[str, Any], namespace: str) -> int:
    """One EMF document per cluster (and per service), high resolution, at the sample's time."""
    documents = 0
    rows: list[tuple[tuple[str, ...], dict[str, str], list[float]]] = [
        (CLUSTER_METRICS, {"ClusterName": c}, values) for c, *values in sample["c"]
    ]
    rows += [
        (SERVICE_METRICS, {"ClusterName": c, "ServiceName": s}, values)
        for c, s, *values in sample["s"]
    ]
    for names, dimensions, values in rows:
        emf = EphemeralMetrics(namespace=namespace)
        # Without this Powertools adds a `service` dimension, and these metrics would not be the
        # ClusterName (+ ServiceName) series that put-metric-data mode and dashboards use.
        # (Powertools annotates `service` as str, inferred from an overload of
        # resolve_env_var_choice; it is None whenever no service is named, and only ever tested
        # for truth.)
        emf.service = None  # type: ignore[assignment]
        for key, dimension in dimensions.items():
            emf.add_dimension(name=key, value=dimension)
        for name, value in zip(names, values, strict=True):
            emf.add_metric(
                name=name, unit=MetricUnit.Count, value=value, resolution=MetricResolution.High
            )
        emf.set_timestamp(sample["t"])
        emf.flush_metrics()
        documents += 1
    return documents


def put_packed(
    cloudwatch: Any, namespace: str, packed: list[dict[str, Any]], everything: bool
) -> tuple[int, int, list[dict[str, Any]]]:
    """(data points, requests, what is left): PutMetricData for the packed points.

    Unless `everything`, only whole requests of 1,000 go out and the remainder is returned to
    travel on: PutMetricData is billed per request, so a request is never sent part-full
    before the minute's last sample.
    """
    total = count(packed)
    ready = total if everything else total - total % MAX_DATUMS_PER_REQUEST
    sending, left = split(packed, ready)
    requests = 0
    for batch in chunks(datums(sending), MAX_DATUMS_PER_REQUEST):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=batch)
        requests += 1
    return ready, requests, left
