"""Steward's record of what it restricted: restore gives back only that.

One item per principal Steward restricted (`target`, e.g. `role/beta-ci`): the policy it took
away and the one it put on, when, by which execution, and why. It is written before the
principal changes (so no restriction goes unrecorded, even if the function stops half-way) and
removed when the principal is restored, or when this run's change is undone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from steward_common.errors import ConfigurationError
from steward_common.settings import env_str


@dataclass(frozen=True)
class Restriction:
    target: str
    removed_policy: str  # the full policy Steward detached
    added_policy: str  # the restricted policy Steward attached
    restricted_at: str
    execution: str
    reason: str
    adopted: bool = False  # recorded by the migration step, not by a restriction


@dataclass(frozen=True)
class RestrictionTable:
    dynamodb: Any
    name: str

    @classmethod
    def from_env(cls, dynamodb: Any) -> RestrictionTable:
        name = env_str("RESTRICTIONS_TABLE", "").strip()
        if not name:
            raise ConfigurationError("RESTRICTIONS_TABLE is not set")
        return cls(dynamodb, name)

    def get(self, target: str) -> Restriction | None:
        item = self.dynamodb.get_item(
            TableName=self.name, Key={"target": {"S": target}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        return Restriction(
            target=item["target"]["S"],
            removed_policy=item["removed_policy"]["S"],
            added_policy=item["added_policy"]["S"],
            restricted_at=item["restricted_at"]["S"],
            execution=item.get("execution", {}).get("S", ""),
            reason=item.get("reason", {}).get("S", ""),
            adopted=item.get("adopted", {}).get("BOOL", False),
        )

    def put(self, restriction: Restriction) -> None:
        values = asdict(restriction)
        self.dynamodb.put_item(
            TableName=self.name,
            Item={
                k: {"BOOL": v} if isinstance(v, bool) else {"S": str(v)} for k, v in values.items()
            },
        )

    def delete(self, target: str) -> None:
        self.dynamodb.delete_item(TableName=self.name, Key={"target": {"S": target}})
