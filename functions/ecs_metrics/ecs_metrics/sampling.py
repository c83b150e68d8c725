"""One sample of many ECS clusters: DescribeClusters 100 at a time; services listed 100 a page
(ListServices' largest maxResults) and described 10 at a time (DescribeServices' limit), those
calls side by side, so a sample of a thousand services takes a few rounds, not a hundred."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from steward_common.errors import ConfigurationError, InvalidInputError
from steward_common.pagination import chunks, paginate
from steward_common.settings import env_bool, env_list, env_str

DESCRIBE_CLUSTERS_BATCH = 100
DESCRIBE_SERVICES_BATCH = 10
LIST_SERVICES_PAGE = 100
# DescribeServices calls in flight at once (the sampler's client pools as many connections).
SERVICE_CALLS_AT_ONCE = 8


@dataclass(frozen=True)
class SamplerSettings:
    clusters: tuple[str, ...]  # empty: every cluster in the region
    namespace: str
    mode: str  # emf or put-metric-data
    service_metrics: bool
    queue_url: str = ""  # where the next hop of the minute goes
    alert_topic_arn: str = ""  # where missing clusters are reported

    @classmethod
    def from_env(cls) -> SamplerSettings:
        mode = env_str("PUBLISH_MODE", "put-metric-data")
        if mode not in ("emf", "put-metric-data"):
            raise ConfigurationError(f"PUBLISH_MODE={mode!r} is not emf or put-metric-data")
        return cls(
            env_list("ECS_CLUSTERS"),
            env_str("METRICS_NAMESPACE_ECS", "Steward/ECS"),
            mode,
            env_bool("SERVICE_METRICS"),
            env_str("SAMPLE_QUEUE_URL"),
            env_str("ALERT_TOPIC_ARN"),
        )


def sample_time(minute: str, offset: int) -> datetime:
    """The sample's own time: the scheduled minute (floored) plus the offset.

    Flooring makes consecutive minutes tile exactly even when the schedule fires a little late.
    """
    try:
        start = datetime.fromisoformat(minute.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError(f"minute {minute!r} is not an ISO-8601 time") from None
    if not 0 <= offset < 60:
        raise InvalidInputError(f"offset {offset} is not within the minute")
    start = start.astimezone(UTC).replace(second=0, microsecond=0)
    return start + timedelta(seconds=offset)


def _cluster_arns(ecs: Any, settings: SamplerSettings) -> list[str]:
    if settings.clusters:
        return list(settings.clusters)
    return list(paginate(ecs, "list_clusters", "clusterArns"))


def take_sample(ecs: Any, settings: SamplerSettings, when: datetime) -> dict[str, Any]:
    clusters: list[list[Any]] = []
    missing: list[str] = []
    active: list[str] = []
    for batch in chunks(_cluster_arns(ecs, settings), DESCRIBE_CLUSTERS_BATCH):
        answer = ecs.describe_clusters(clusters=batch)
        for cluster in answer.get("clusters", []):
            if cluster.get("status") != "ACTIVE":  # deleted clusters linger as INACTIVE
                missing.append(cluster["clusterName"])
                continue
            active.append(cluster["clusterArn"])
            clusters.append(
                [
                    cluster["clusterName"],
                    cluster.get("runningTasksCount", 0),
                    cluster.get("pendingTasksCount", 0),
                    cluster.get("activeServicesCount", 0),
                    cluster.get("registeredContainerInstancesCount", 0),
                ]
            )
        missing += [f["arn"].rsplit("/", 1)[-1] for f in answer.get("failures", [])]
    services: list[list[Any]] = []
    if settings.service_metrics:
        services = _services(ecs, active)
    return {
        "t": int(when.timestamp() * 1000),
        "c": clusters,
        "s": services,
        "missing": sorted(set(missing)),
    }


def _services(ecs: Any, cluster_arns: list[str]) -> list[list[Any]]:
    """Every service of the clusters, in cluster and listing order: the listings and then the
    descriptions run SERVICE_CALLS_AT_ONCE at a time (a boto3 client is safe to share)."""

    def listed(cluster_arn: str) -> list[str]:
        return list(
            paginate(
                ecs,
                "list_services",
                "serviceArns",
                cluster=cluster_arn,
                PaginationConfig={"PageSize": LIST_SERVICES_PAGE},
            )
        )

    def described(job: tuple[str, list[str]]) -> list[list[Any]]:
        cluster_arn, batch = job
        name = cluster_arn.rsplit("/", 1)[-1]
        return [
            [
                name,
                service["serviceName"],
                service.get("runningCount", 0),
                service.get("pendingCount", 0),
                service.get("desiredCount", 0),
            ]
            for service in ecs.describe_services(cluster=cluster_arn, services=batch)["services"]
        ]

    with ThreadPoolExecutor(max_workers=SERVICE_CALLS_AT_ONCE) as pool:
        arns = list(pool.map(listed, cluster_arns))
        jobs = [
            (cluster_arn, batch)
            for cluster_arn, service_arns in zip(cluster_arns, arns, strict=True)
            for batch in chunks(service_arns, DESCRIBE_SERVICES_BATCH)
        ]
        return [row for rows in pool.map(described, jobs) for row in rows]
