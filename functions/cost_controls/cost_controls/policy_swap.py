"""The policy swap: restrict (full -> restricted) or restore (restricted -> full).

Every target is checked before anything changes, so a missing group, role or user fails
the run with nothing half-done. Attach comes before detach, so a principal is never left
without either policy, even for a moment.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from steward_common.errors import ConfigurationError, InvalidInputError
from steward_common.pagination import paginate
from steward_common.settings import env_bool, env_list, env_str

Mode = Literal["restrict", "restore"]
_KINDS = ("group", "role", "user")


class TargetNotFoundError(InvalidInputError):
    """A configured group, role or user does not exist."""


class PolicyNotFoundError(InvalidInputError):
    """The full or the restricted policy does not exist."""


@dataclass(frozen=True)
class Target:
    kind: str  # group, role or user
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class SwapSettings:
    targets: tuple[Target, ...]
    full_policy_arn: str
    restricted_policy_arn: str
    dry_run: bool

    @classmethod
    def from_env(cls) -> SwapSettings:
        targets = tuple(
            Target(kind, name)
            for kind, variable in zip(
                _KINDS,
                ("COST_CONTROL_GROUPS", "COST_CONTROL_ROLES", "COST_CONTROL_USERS"),
                strict=True,
            )
            for name in env_list(variable)
        )
        if not targets:
            raise ConfigurationError(
                "no targets: set CostControlGroups, CostControlRoles or CostControlUsers"
            )
        full, restricted = env_str("FULL_POLICY_ARN"), env_str("RESTRICTED_POLICY_ARN")
        if full == restricted:
            raise ConfigurationError("the full and restricted policies are the same policy")
        return cls(targets, full, restricted, env_bool("DRY_RUN"))


@dataclass(frozen=True)
class AuditRecord:
    target: str
    mode: str
    result: str  # changed, unchanged, would-change, skipped
    before: list[str]
    after: list[str]
    why: str
    execution: str | None
    who: str
    time: str


def _attached(iam: Any, target: Target) -> list[str]:
    operation = f"list_attached_{target.kind}_policies"
    arg = f"{target.kind.capitalize()}Name"
    return sorted(
        p["PolicyArn"] for p in paginate(iam, operation, "AttachedPolicies", **{arg: target.name})
    )


def _change(iam: Any, verb: str, target: Target, policy_arn: str) -> None:
    getattr(iam, f"{verb}_{target.kind}_policy")(
        **{f"{target.kind.capitalize()}Name": target.name, "PolicyArn": policy_arn}
    )


def current_state(iam: Any, settings: SwapSettings) -> dict[Target, list[str]]:
    """The policies attached to every target; raises before any change if one is missing."""
    for arn in (settings.full_policy_arn, settings.restricted_policy_arn):
        try:
            iam.get_policy(PolicyArn=arn)
        except iam.exceptions.NoSuchEntityException:
            raise PolicyNotFoundError(f"policy {arn} does not exist") from None
    state: dict[Target, list[str]] = {}
    missing: list[str] = []
    for target in settings.targets:
        try:
            state[target] = _attached(iam, target)
        except iam.exceptions.NoSuchEntityException:
            missing.append(str(target))
    if missing:
        raise TargetNotFoundError(f"targets not found: {', '.join(missing)}; nothing was changed")
    return state


def swap(
    iam: Any,
    settings: SwapSettings,
    mode: Mode,
    *,
    why: str,
    execution: str | None,
    who: str,
) -> list[AuditRecord]:
    add, remove = (
        (settings.restricted_policy_arn, settings.full_policy_arn)
        if mode == "restrict"
        else (settings.full_policy_arn, settings.restricted_policy_arn)
    )
    records: list[AuditRecord] = []
    for target, before in current_state(iam, settings).items():
        now = datetime.now(UTC).isoformat(timespec="seconds")
        if remove not in before:
            # Restrict only what has the full policy; restore only what Steward restricted.
            result = "unchanged" if add in before else "skipped"
            records.append(
                AuditRecord(str(target), mode, result, before, before, why, execution, who, now)
            )
            continue
        after = sorted({*before, add} - {remove})
        if settings.dry_run:
            records.append(
                AuditRecord(
                    str(target), mode, "would-change", before, after, why, execution, who, now
                )
            )
            continue
        if add not in before:
            _change(iam, "attach", target, add)
        _change(iam, "detach", target, remove)
        records.append(
            AuditRecord(str(target), mode, "changed", before, after, why, execution, who, now)
        )
    return records


def as_dicts(records: list[AuditRecord]) -> list[dict[str, Any]]:
    return [asdict(r) for r in records]
