"""One sample of many ECS clusters: DescribeClusters 100 at a time, services 10 at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from steward_common.errors import ConfigurationError, InvalidInputError
from steward_common.pagination import chunks, paginate
from steward_common.settings import env_bool, env_list, env_str

DESCRIBE_CLUSTERS_BATCH = 100
DESCRIBE_SERVICES_BATCH = 10


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
        for cluster_arn in active:
            name = cluster_arn.rsplit("/", 1)[-1]
            for batch in chunks(
                paginate(ecs, "list_services", "serviceArns", cluster=cluster_arn),
                DESCRIBE_SERVICES_BATCH,
            ):
                for service in ecs.describe_services(cluster=cluster_arn, services=batch)[
                    "services"
                ]:
                    services.append(
                        [
                            name,
                            service["serviceName"],
                            service.get("runningCount", 0),
                            service.get("pendingCount", 0),
                            service.get("desiredCount", 0),
                        ]
                    )
    return {
        "t": int(when.timestamp() * 1000),
        "c": clusters,
        "s": services,
        "missing": sorted(set(missing)),
    }
