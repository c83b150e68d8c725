"""Steward's record of the snapshots it owns: the only authority to delete one.

A snapshot's tags are informative: anyone allowed `ec2:CreateTags` can write Steward's tags on
any snapshot, so tags alone would let them have Steward delete what they may not. Retention
therefore deletes only snapshots recorded in the stack's DynamoDB table, which only Steward's
functions can write (their roles; no other principal of the stack is granted it):

- the Tag step records a new snapshot of a selected volume (SnapshotVolumeSelector); with the
  selector empty nothing is recorded, so nothing is ever deleted;
- the schedule records the snapshots it takes;
- the Copy step records each DR copy it makes in the DR stack's table (in the DR region), so
  the DR stack knows its copies are Steward's without trusting their tags;
- the adoption run records snapshots an earlier version tagged, when asked to.

Items: `snapshot_id` (key), `volume_id` (the source volume; the `by-volume` index), `kind`
(`snapshot` or `copy`), `retain`, `retain_days`, `source_region`, `recorded_at`, `recorded_by`;
copies add `source_snapshot`; a primary snapshot being copied holds `copy_claim` (the execution
that copies it) and then `copy_id`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from steward_common.errors import ConfigurationError
from steward_common.pagination import chunks, paginate
from steward_common.settings import env_str

BY_VOLUME = "by-volume"


@dataclass(frozen=True)
class Record:
    snapshot_id: str
    volume_id: str
    kind: str = "snapshot"
    retain: int = 7
    retain_days: int = 0
    source_region: str = ""
    source_snapshot: str = ""
    recorded_at: str = ""
    recorded_by: str = ""
    copy_id: str = ""
    copy_claim: str = ""


@dataclass(frozen=True)
class OwnershipTable:
    """One stack's table, in its region, reached through a DynamoDB client of that region."""

    dynamodb: Any
    name: str

    @classmethod
    def from_env(cls, dynamodb: Any, variable: str = "OWNERSHIP_TABLE") -> OwnershipTable:
        name = env_str(variable, "").strip()
        if not name:
            raise ConfigurationError(f"{variable} is not set: the ownership table is unknown")
        return cls(dynamodb, name)

    def record(self, record: Record) -> None:
        """Record a snapshot as Steward's (idempotent: the same item again changes nothing that
        matters; a copy's claim and id are kept)."""
        values: dict[str, str | int] = {
            "volume_id": record.volume_id,
            "kind": record.kind,
            "retain": record.retain,
            "retain_days": record.retain_days,
            "source_region": record.source_region,
            "source_snapshot": record.source_snapshot,
            "recorded_at": record.recorded_at or _now(),
            "recorded_by": record.recorded_by,
        }
        names = {f"#{k}": k for k in values}
        self.dynamodb.update_item(
            TableName=self.name,
            Key={"snapshot_id": {"S": record.snapshot_id}},
            UpdateExpression="SET "
            + ", ".join(f"#{k} = if_not_exists(#{k}, :{k})" for k in values),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={f":{k}": _attribute(v) for k, v in values.items()},
        )

    def get(self, snapshot_id: str) -> Record | None:
        item = self.dynamodb.get_item(
            TableName=self.name, Key={"snapshot_id": {"S": snapshot_id}}, ConsistentRead=True
        ).get("Item")
        return _record(item) if item else None

    def recorded_among(self, snapshot_ids: list[str]) -> dict[str, Record]:
        """The records of these snapshots that exist (BatchGetItem, 100 keys a call, unprocessed
        keys asked again)."""
        found: dict[str, Record] = {}
        for batch in chunks(sorted(set(snapshot_ids)), 100):
            request: dict[str, Any] = {
                self.name: {
                    "Keys": [{"snapshot_id": {"S": s}} for s in batch],
                    "ConsistentRead": True,
                }
            }
            while request:
                answer = self.dynamodb.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self.name, []):
                    found[item["snapshot_id"]["S"]] = _record(item)
                request = answer.get("UnprocessedKeys") or {}
        return found

    def of_volume(self, volume_id: str) -> list[Record]:
        """Every record of the volume, across pages. The index is eventually consistent: a
        record written a moment ago may be missing, which only ever keeps one more snapshot."""
        return [
            _record(item)
            for item in paginate(
                self.dynamodb,
                "query",
                "Items",
                TableName=self.name,
                IndexName=BY_VOLUME,
                KeyConditionExpression="volume_id = :v",
                ExpressionAttributeValues={":v": {"S": volume_id}},
            )
        ]

    def forget(self, snapshot_id: str) -> None:
        self.dynamodb.delete_item(TableName=self.name, Key={"snapshot_id": {"S": snapshot_id}})

    def claim_copy(self, snapshot_id: str, execution_id: str) -> Record | None:
        """Claim the DR copy of a recorded snapshot for this execution. None: another execution
        holds the claim (a duplicate delivery); else the record, with any copy already made."""
        try:
            answer = self.dynamodb.update_item(
                TableName=self.name,
                Key={"snapshot_id": {"S": snapshot_id}},
                UpdateExpression="SET copy_claim = :e",
                ConditionExpression=(
                    "attribute_exists(snapshot_id) AND "
                    "(attribute_not_exists(copy_claim) OR copy_claim = :e)"
                ),
                ExpressionAttributeValues={":e": {"S": execution_id}},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None
            raise
        return _record(answer["Attributes"])

    def set_copy(self, snapshot_id: str, copy_id: str) -> None:
        self.dynamodb.update_item(
            TableName=self.name,
            Key={"snapshot_id": {"S": snapshot_id}},
            UpdateExpression="SET copy_id = :c",
            ConditionExpression="attribute_exists(snapshot_id)",
            ExpressionAttributeValues={":c": {"S": copy_id}},
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _attribute(value: str | int) -> dict[str, str]:
    return {"N": str(value)} if isinstance(value, int) else {"S": value}


def _record(item: dict[str, Any]) -> Record:
    def text(key: str) -> str:
        return str(item.get(key, {}).get("S", ""))

    def number(key: str, default: int) -> int:
        raw = item.get(key, {}).get("N")
        return int(raw) if raw is not None else default

    return Record(
        snapshot_id=text("snapshot_id"),
        volume_id=text("volume_id"),
        kind=text("kind") or "snapshot",
        retain=number("retain", 7),
        retain_days=number("retain_days", 0),
        source_region=text("source_region"),
        source_snapshot=text("source_snapshot"),
        recorded_at=text("recorded_at"),
        recorded_by=text("recorded_by"),
        copy_id=text("copy_id"),
        copy_claim=text("copy_claim"),
    )
