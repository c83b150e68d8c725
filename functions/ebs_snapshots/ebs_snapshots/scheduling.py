"""The optional schedule (SnapshotSchedule): snapshot every selected volume, as a DLM policy does.

Each run has a slot, the scheduled event's time. Every snapshot it takes carries the slot in
`steward:schedule-slot`, and a run first looks for the slot's snapshots, so a retried
invocation (EventBridge and Lambda deliver at least once) takes each volume's snapshot once
and resumes where a timed-out run stopped. Each snapshot is recorded in the ownership table as
soon as EC2 names it: Steward's from the start. When it completes, EC2's notification starts the
primary machine as for any snapshot, which tags it, applies retention and copies it.

Modes: `volume` takes one CreateSnapshot per volume; `instance` takes one crash-consistent
CreateSnapshots set per instance, of its selected attached volumes only (its unselected data
volumes are excluded, and its boot volume unless selected); a selected volume attached to no
instance is snapshotted alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ebs_snapshots import ebs
from ebs_snapshots.ownership import OwnershipTable, Record
from ebs_snapshots.tagging import TagSettings, selected, selector_text, volume_retention
from steward_common.errors import ConfigurationError, TransientError
from steward_common.pagination import paginate
from steward_common.settings import env_str

SLOT = "steward:schedule-slot"


class ScheduleIncomplete(TransientError):
    """The run ran out of time; the invocation's retry takes the volumes still missing."""


@dataclass(frozen=True)
class ScheduleSettings:
    tagging: TagSettings
    mode: str  # "volume" or "instance"

    @classmethod
    def from_env(cls) -> ScheduleSettings:
        tagging = TagSettings.from_env()
        if tagging.volume_selector is None:
            raise ConfigurationError(
                "SnapshotSchedule needs SnapshotVolumeSelector: it snapshots the selected volumes"
            )
        mode = env_str("SCHEDULE_MODE", "volume").strip()
        if mode not in ("volume", "instance"):
            raise ConfigurationError(f"SCHEDULE_MODE={mode!r} is neither volume nor instance")
        return cls(tagging, mode)


def _selected_volumes(ec2: Any, settings: TagSettings) -> list[dict[str, Any]]:
    assert settings.volume_selector is not None
    key, value = settings.volume_selector
    wanted = (
        {"Name": "tag-key", "Values": [key]}
        if value is None
        else {"Name": f"tag:{key}", "Values": [value]}
    )
    return [
        v
        for v in paginate(ec2, "describe_volumes", "Volumes", Filters=[wanted])
        if selected(settings.volume_selector, ebs.tags_of(v))
        and ebs.tags_of(v).get(ebs.OPT_OUT) != "false"
        and v.get("State") in ("available", "in-use")
    ]


def _done_in_slot(ec2: Any, slot: str) -> set[str]:
    """The volumes whose snapshot of this slot exists already."""
    return {
        ebs.tags_of(s).get(ebs.SOURCE_VOLUME) or str(s.get("VolumeId", ""))
        for s in paginate(
            ec2,
            "describe_snapshots",
            "Snapshots",
            OwnerIds=["self"],
            Filters=[{"Name": f"tag:{SLOT}", "Values": [slot]}],
        )
    }


def _tags(volume: dict[str, Any], settings: TagSettings, slot: str) -> dict[str, str]:
    return {
        **ebs.user_tags(ebs.tags_of(volume), settings.tag_allow_list),
        ebs.MANAGED_BY: ebs.MANAGED_VALUE,
        ebs.SOURCE_VOLUME: str(volume["VolumeId"]),
        SLOT: slot,
    }


def take_scheduled_snapshots(
    ec2: Any,
    table: OwnershipTable,
    settings: ScheduleSettings,
    *,
    slot: str,
    region: str,
    out_of_time: Callable[[], bool] = lambda: False,
) -> dict[str, Any]:
    try:
        volumes = _selected_volumes(ec2, settings.tagging)
        done = _done_in_slot(ec2, slot)
        todo = [v for v in volumes if v["VolumeId"] not in done]
        taken: list[dict[str, str]] = []
        if settings.mode == "instance":
            by_instance: dict[str, list[dict[str, Any]]] = defaultdict(list)
            alone: list[dict[str, Any]] = []
            for volume in todo:
                attached = [a for a in volume.get("Attachments", []) if a.get("InstanceId")]
                if attached:
                    by_instance[str(attached[0]["InstanceId"])].append(volume)
                else:
                    alone.append(volume)
            for instance_id, members in sorted(by_instance.items()):
                if out_of_time():
                    raise ScheduleIncomplete(f"slot {slot}: out of time at {instance_id}")
                taken += _take_set(ec2, table, settings.tagging, instance_id, members, slot, region)
        else:
            alone = todo
        for volume in alone:
            if out_of_time():
                raise ScheduleIncomplete(f"slot {slot}: out of time at {volume['VolumeId']}")
            taken.append(_take_one(ec2, table, settings.tagging, volume, slot, region))
    except ClientError as error:
        ebs.raise_if_limited(error)
        raise
    return {
        "slot": slot,
        "mode": settings.mode,
        "selector": selector_text(settings.tagging.volume_selector or ("", None)),
        "volumes": len(volumes),
        "already_taken": len(volumes) - len(todo),
        "taken": taken,
    }


def _record(
    table: OwnershipTable,
    settings: TagSettings,
    volume: dict[str, Any],
    snapshot_id: str,
    slot: str,
    region: str,
) -> None:
    table.record(
        Record(
            snapshot_id,
            str(volume["VolumeId"]),
            retain=volume_retention(ebs.tags_of(volume), settings),
            retain_days=settings.retain_days,
            source_region=region,
            recorded_by=f"schedule {slot}",
        )
    )


def _take_one(
    ec2: Any,
    table: OwnershipTable,
    settings: TagSettings,
    volume: dict[str, Any],
    slot: str,
    region: str,
) -> dict[str, str]:
    volume_id = str(volume["VolumeId"])
    snapshot_id = str(
        ec2.create_snapshot(
            VolumeId=volume_id,
            Description=f"Steward scheduled snapshot of {volume_id} ({slot})",
            TagSpecifications=[
                {
                    "ResourceType": "snapshot",
                    "Tags": ebs.as_tag_list(_tags(volume, settings, slot)),
                }
            ],
        )["SnapshotId"]
    )
    _record(table, settings, volume, snapshot_id, slot, region)
    return {"snapshot_id": snapshot_id, "volume_id": volume_id}


def _take_set(
    ec2: Any,
    table: OwnershipTable,
    settings: TagSettings,
    instance_id: str,
    members: list[dict[str, Any]],
    slot: str,
    region: str,
) -> list[dict[str, str]]:
    [reservation] = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    [instance] = reservation["Instances"]
    wanted = {str(v["VolumeId"]) for v in members}
    attached = {
        str(m["Ebs"]["VolumeId"]): str(m["DeviceName"])
        for m in instance.get("BlockDeviceMappings", [])
        if "Ebs" in m
    }
    root = next((v for v, d in attached.items() if d == instance.get("RootDeviceName")), None)
    answer = ec2.create_snapshots(
        InstanceSpecification={
            "InstanceId": instance_id,
            "ExcludeBootVolume": root not in wanted,
            "ExcludeDataVolumeIds": sorted(v for v in attached if v not in wanted and v != root),
        },
        Description=f"Steward scheduled snapshot set of {instance_id} ({slot})",
        # One tag set for the whole set: each snapshot's own tags (its volume's, and
        # steward:source-volume) are added just below, and again by the Tag step.
        TagSpecifications=[
            {
                "ResourceType": "snapshot",
                "Tags": ebs.as_tag_list({ebs.MANAGED_BY: ebs.MANAGED_VALUE, SLOT: slot}),
            }
        ],
    )
    by_id = {str(v["VolumeId"]): v for v in members}
    taken: list[dict[str, str]] = []
    for snapshot in answer.get("Snapshots", []):
        volume = by_id.get(str(snapshot.get("VolumeId")))
        if volume is None:
            continue  # not one we asked for (EC2 excludes what we excluded)
        snapshot_id = str(snapshot["SnapshotId"])
        ec2.create_tags(
            Resources=[snapshot_id], Tags=ebs.as_tag_list(_tags(volume, settings, slot))
        )
        _record(table, settings, volume, snapshot_id, slot, region)
        taken.append({"snapshot_id": snapshot_id, "volume_id": str(volume["VolumeId"])})
    return taken
