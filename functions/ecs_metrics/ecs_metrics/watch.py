"""Which configured clusters are missing, remembered from minute to minute, so that a cluster
that goes missing is reported once and its return once more — not once a minute (1,440 alerts
a day for a deleted cluster still configured).

The state is one item of the hop table (`id` = STATE_ID, no expiration), replaced only by a
conditional write on its version: two minutes finishing at once cannot both report a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

STATE_ID = "steward:ecs-missing-clusters"


@dataclass(frozen=True)
class Changes:
    gone: list[str]  # missing now, not before: report
    back: list[str]  # missing before, active now: report
    missing: list[str]  # all missing now


def changes(known: list[str], missing: list[str], active: list[str]) -> Changes:
    """What changed since the last minute. A cluster neither missing nor active any more (no
    longer configured, or no longer listed) leaves the state without a report."""
    return Changes(
        gone=sorted(set(missing) - set(known)),
        back=sorted((set(known) - set(missing)) & set(active)),
        missing=sorted(set(missing)),
    )


@dataclass(frozen=True)
class ClusterWatch:
    dynamodb: Any
    table: str

    def read(self) -> tuple[list[str], int]:
        item = self.dynamodb.get_item(
            TableName=self.table, Key={"id": {"S": STATE_ID}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return [], 0
        clusters = [c["S"] for c in item.get("clusters", {}).get("L", [])]
        return clusters, int(item.get("version", {}).get("N", "0"))

    def replace(self, clusters: list[str], version: int) -> bool:
        """Write the state if it is still at `version`; False if another minute got there."""
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item={
                    "id": {"S": STATE_ID},
                    "clusters": {"L": [{"S": c} for c in clusters]},
                    "version": {"N": str(version + 1)},
                },
                ConditionExpression="attribute_not_exists(id) OR version = :v",
                ExpressionAttributeValues={":v": {"N": str(version)}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def update(self, missing: list[str], active: list[str]) -> Changes:
        """Record this minute's missing clusters; what changed, for the one who recorded it."""
        for _ in range(5):
            known, version = self.read()
            found = changes(known, missing, active)
            if known == found.missing:
                return Changes([], [], found.missing)
            if self.replace(found.missing, version):
                return found
        return Changes([], [], sorted(set(missing)))  # others keep changing it: they report
