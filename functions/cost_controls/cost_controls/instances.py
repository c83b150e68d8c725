"""The second action, as AWS Budgets Actions has: stop tagged EC2 instances, start them on restore.

Instances tagged `steward:cost-control=<CostControlStopInstances>` are stopped when the budget
is exceeded, and started again on restore — only those Steward stopped (its record), never one
someone else stopped. Never stopped: instances in an Auto Scaling group (tag
`aws:autoscaling:groupName`) or an EKS node group (`eks:nodegroup-name`), which would be
replaced by new ones while stopped, defeating the action and losing the instance.

Check first (every tagged instance is read before anything changes), record, change, verify;
a failed stop starts again what this run stopped. Dry run reports only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from cost_controls.policy_swap import THROTTLING, AuditRecord, SwapFailedError
from cost_controls.restrictions import Restriction, RestrictionTable
from steward_common.errors import TransientError
from steward_common.pagination import chunks, paginate
from steward_common.settings import env_bool, env_str

TAG_KEY = "steward:cost-control"
REPLACED_BY = {
    "aws:autoscaling:groupName": "an Auto Scaling group",
    "eks:nodegroup-name": "an EKS node group",
}


class Ec2ThrottledError(TransientError):
    """EC2 throttled the instance action after the SDK's retries; the machine retries it."""


@dataclass(frozen=True)
class InstanceSettings:
    tag_value: str  # empty: the action is off
    dry_run: bool

    @classmethod
    def from_env(cls) -> InstanceSettings:
        return cls(env_str("STOP_INSTANCES_TAG_VALUE", "").strip(), env_bool("DRY_RUN"))


def _tagged(ec2: Any, value: str) -> list[dict[str, Any]]:
    return [
        instance
        for reservation in paginate(
            ec2,
            "describe_instances",
            "Reservations",
            Filters=[{"Name": f"tag:{TAG_KEY}", "Values": [value]}],
        )
        for instance in reservation.get("Instances", [])
    ]


def _tags(instance: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in instance.get("Tags") or []}


def _state(instance: dict[str, Any]) -> str:
    return str(instance.get("State", {}).get("Name", "unknown"))


def act(
    ec2: Any,
    table: RestrictionTable,
    settings: InstanceSettings,
    mode: str,
    *,
    why: str,
    execution: str | None,
    who: str,
) -> list[AuditRecord]:
    if not settings.tag_value or mode not in ("restrict", "restore"):
        return []
    try:
        instances = _tagged(ec2, settings.tag_value)
    except ClientError as error:
        if str(error.response.get("Error", {}).get("Code")) in THROTTLING:
            raise Ec2ThrottledError(f"EC2 throttled the look at the instances: {error}") from error
        raise
    records: list[AuditRecord] = []
    chosen: list[str] = []
    for instance in sorted(instances, key=lambda i: str(i["InstanceId"])):
        instance_id, state = str(instance["InstanceId"]), _state(instance)
        target = f"instance/{instance_id}"
        now = datetime.now(UTC).isoformat(timespec="seconds")
        replaced = next((what for key, what in REPLACED_BY.items() if key in _tags(instance)), None)
        if mode == "restrict":
            if replaced:
                result, after, note = "skipped", state, f"{why} (in {replaced}: never stopped)"
            elif state in ("running", "pending"):
                result, after, note = "changed", "stopped", why
                chosen.append(instance_id)
            else:
                result, after, note = "unchanged", state, why
        else:
            recorded = table.get(target)
            if recorded is None:
                result, after, note = (
                    "skipped",
                    state,
                    f"{why} (not stopped by Steward: left alone)",
                )
            elif state in ("stopped", "stopping"):
                result, after, note = "changed", "running", why
                chosen.append(instance_id)
            else:
                result, after, note = "unchanged", state, why
                table.delete(target)  # started by someone else since
        if settings.dry_run and result == "changed":
            result = "would-change"
        records.append(
            AuditRecord(target, mode, result, [state], [after], note, execution, who, now)
        )
    if settings.dry_run or not chosen:
        return records
    _change(ec2, table, mode, chosen, why=why, execution=execution)
    expected = ("stopping", "stopped") if mode == "restrict" else ("pending", "running")
    now_states = {str(i["InstanceId"]): _state(i) for i in _tagged(ec2, settings.tag_value)}
    off = [i for i in chosen if now_states.get(i) not in expected]
    if off:  # verify: EC2 says what it did
        raise SwapFailedError(f"{mode}: {', '.join(off)} did not change state")
    return records


def _change(
    ec2: Any, table: RestrictionTable, mode: str, ids: list[str], *, why: str, execution: str | None
) -> None:
    done: list[str] = []
    try:
        for batch in chunks(ids, 100):
            if mode == "restrict":
                for instance_id in batch:  # recorded first: a stop is never unrecorded
                    table.put(
                        Restriction(
                            f"instance/{instance_id}",
                            removed_policy="running",
                            added_policy="stopped",
                            restricted_at=datetime.now(UTC).isoformat(timespec="seconds"),
                            execution=execution or "",
                            reason=why,
                        )
                    )
                ec2.stop_instances(InstanceIds=batch)
            else:
                ec2.start_instances(InstanceIds=batch)
                for instance_id in batch:
                    table.delete(f"instance/{instance_id}")
            done += batch
    except ClientError as error:
        if mode == "restrict":  # undo: start again what this run stopped, forget its records
            try:
                for batch in chunks(done, 100):
                    ec2.start_instances(InstanceIds=batch)
                for instance_id in ids:
                    table.delete(f"instance/{instance_id}")
            except ClientError as undo_error:
                raise SwapFailedError(
                    f"stopping instances failed ({error}) and starting again the ones stopped "
                    f"({', '.join(done) or 'none'}) failed too ({undo_error})"
                ) from undo_error
        if str(error.response.get("Error", {}).get("Code")) in THROTTLING:
            raise Ec2ThrottledError(f"EC2 throttled the {mode}; undone: {error}") from error
        raise SwapFailedError(f"{mode} of instances failed and was undone: {error}") from error
