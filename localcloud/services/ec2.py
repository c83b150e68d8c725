"""Amazon EC2 as moto emulates it, plus what moto cannot be told through the API.

moto stamps every snapshot with the moment it was made; AWS's StartTime is when the snapshot
began, which a test of retention needs in the past.
"""

from __future__ import annotations

from datetime import UTC, datetime

from localcloud.core import Core


def set_snapshot_start_time(core: Core, region: str, snapshot_id: str, started: datetime) -> None:
    from moto.ec2.models import ec2_backends

    snapshots = ec2_backends[core.account_id][region].snapshots
    if snapshot_id not in snapshots:
        raise KeyError(f"no snapshot {snapshot_id} in {region}")
    moment = started if started.tzinfo else started.replace(tzinfo=UTC)
    # As moto keeps it: naive UTC. Whole seconds, as the API shows a snapshot's StartTime.
    snapshots[snapshot_id].start_time = moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)
