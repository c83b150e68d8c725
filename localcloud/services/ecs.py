"""Amazon ECS as moto emulates it, plus what moto cannot be told through the API.

moto keeps a cluster's task counters but has no scheduler to move them; a test or the demo
sets them.
"""

from __future__ import annotations

from localcloud.core import Core


def set_cluster_task_counts(
    core: Core, region: str, cluster: str, running: int, pending: int
) -> None:
    from moto.ecs.models import ecs_backends

    clusters = ecs_backends[core.account_id][region].clusters
    if cluster not in clusters:
        raise KeyError(f"no ECS cluster {cluster} in {region}")
    clusters[cluster].running_tasks_count = running
    clusters[cluster].pending_tasks_count = pending
