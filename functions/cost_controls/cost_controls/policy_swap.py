"""The policy swap: restrict (full -> restricted) or restore (restricted -> full).

Check first, then change, then verify:

- **Check**: both policies and every target are read, and each principal's room under IAM's
  quota of attached managed policies (GetAccountSummary's AttachedPoliciesPer…Quota), before
  anything changes: a missing principal or one at its quota fails the run with nothing changed.
- **Change**: attach comes before detach, so a principal is never left without either policy.
  A restriction is recorded (restrictions.py) before its principal changes.
- **Verify**: every changed principal is read again. If a change fails or does not show, this
  run's changes are undone, newest first; if an undo fails too, the error names the exact state
  of every target.

Restore gives back the full policy only to principals Steward's record says it restricted: a
principal someone else restricted is left alone. The migration step (`migrate`) records the
principals an earlier version restricted (they carry the restricted policy and not the full).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from cost_controls.restrictions import Restriction, RestrictionTable
from steward_common.errors import (
    ConfigurationError,
    InvalidInputError,
    StewardError,
    TransientError,
)
from steward_common.pagination import paginate
from steward_common.settings import env_bool, env_list, env_str

Mode = Literal["restrict", "restore", "migrate"]
THROTTLING = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded"})
_KINDS = ("group", "role", "user")


class TargetNotFoundError(InvalidInputError):
    """A configured group, role or user does not exist."""


class PolicyNotFoundError(InvalidInputError):
    """The full or the restricted policy does not exist."""


class PolicyQuotaExceededError(StewardError):
    """A principal is at IAM's quota of attached managed policies: the swap, which attaches
    before it detaches, would exceed it. Nothing was changed."""


class IamThrottledError(TransientError):
    """IAM throttled the swap after the SDK's retries; this run's changes were undone and the
    state machine tries the whole swap again."""


class SwapFailedError(StewardError):
    """A change failed or did not show; this run's changes were undone."""


class UndoFailedError(StewardError):
    """A change failed and undoing this run's changes failed too: the message holds the exact
    state of every target."""


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


_QUOTA_KEYS = {
    "group": "AttachedPoliciesPerGroupQuota",
    "role": "AttachedPoliciesPerRoleQuota",
    "user": "AttachedPoliciesPerUserQuota",
}


def _quotas(iam: Any) -> dict[str, int]:
    summary = iam.get_account_summary()["SummaryMap"]
    return {kind: int(summary[key]) for kind, key in _QUOTA_KEYS.items() if key in summary}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@dataclass
class _Change:
    target: Target
    attached: str | None  # what this run attached (None: it was there already)
    detached: str


def _state_of(iam: Any, targets: tuple[Target, ...]) -> str:
    parts = []
    for target in targets:
        try:
            parts.append(f"{target}: {', '.join(_attached(iam, target)) or '(no policy)'}")
        except ClientError as error:
            parts.append(f"{target}: unreadable ({_code(error)})")
    return "; ".join(parts)


def _undo(
    iam: Any,
    table: RestrictionTable | None,
    settings: SwapSettings,
    mode: Mode,
    done: list[_Change],
    cause: Exception,
) -> None:
    """Undo this run's changes, newest first; if that fails, say where every target stands."""
    try:
        for change in reversed(done):
            if change.detached:
                _change(iam, "attach", change.target, change.detached)
            if change.attached:
                _change(iam, "detach", change.target, change.attached)
            if table is not None and mode == "restrict":
                table.delete(str(change.target))
    except ClientError as error:
        raise UndoFailedError(
            f"{mode} failed ({cause}) and undoing it failed ({_code(error)}): "
            f"{_state_of(iam, settings.targets)}"
        ) from error


def swap(
    iam: Any,
    settings: SwapSettings,
    mode: Mode,
    *,
    why: str,
    execution: str | None,
    who: str,
    table: RestrictionTable | None = None,
    apply: bool = False,
) -> list[AuditRecord]:
    if mode == "migrate":
        return _migrate(iam, settings, table, why=why, execution=execution, who=who, apply=apply)
    add, remove = (
        (settings.restricted_policy_arn, settings.full_policy_arn)
        if mode == "restrict"
        else (settings.full_policy_arn, settings.restricted_policy_arn)
    )
    try:
        state = current_state(iam, settings)
        quotas = _quotas(iam)
    except ClientError as error:
        if _code(error) in THROTTLING:
            raise IamThrottledError(f"IAM throttled the checks: {error}") from error
        raise
    records: list[AuditRecord] = []
    planned: list[tuple[Target, list[str], list[str]]] = []
    for target, before in state.items():
        now = datetime.now(UTC).isoformat(timespec="seconds")
        # Only a restore asks the record (one read per target): it gives back what Steward took.
        if mode == "restore" and table is not None and table.get(str(target)) is None:
            result = "unchanged" if add in before else "skipped"
            why_not = why if add in before else f"{why} (not restricted by Steward: left alone)"
            records.append(
                AuditRecord(str(target), mode, result, before, before, why_not, execution, who, now)
            )
            continue
        if remove not in before:
            # Restrict only what has the full policy; restore only what Steward restricted.
            result = "unchanged" if add in before else "skipped"
            if mode == "restore" and table is not None:
                table.delete(str(target))  # its restriction was undone by someone else since
            records.append(
                AuditRecord(str(target), mode, result, before, before, why, execution, who, now)
            )
            continue
        after = sorted({*before, add} - {remove})
        planned.append((target, before, after))
        records.append(
            AuditRecord(
                str(target),
                mode,
                "would-change" if settings.dry_run else "changed",
                before,
                after,
                why,
                execution,
                who,
                now,
            )
        )
    over = [
        f"{t} ({len(b)} attached, quota {quotas[t.kind]})"
        for t, b, _ in planned
        if add not in b and t.kind in quotas and len(b) + 1 > quotas[t.kind]
    ]
    if over:
        raise PolicyQuotaExceededError(
            f"{mode} needs room for one more managed policy on {', '.join(over)}: "
            "detach one, or raise the quota; nothing was changed"
        )
    if settings.dry_run:
        return records
    done: list[_Change] = []
    try:
        for target, before, _ in planned:
            if mode == "restrict" and table is not None:
                table.put(
                    Restriction(
                        str(target),
                        removed_policy=remove,
                        added_policy=add,
                        restricted_at=datetime.now(UTC).isoformat(timespec="seconds"),
                        execution=execution or "",
                        reason=why,
                    )
                )
            change = _Change(target, None, "")
            done.append(change)
            if add not in before:
                _change(iam, "attach", target, add)
                change.attached = add
            _change(iam, "detach", target, remove)
            change.detached = remove
        for target, _, after in planned:  # verify: what IAM now says
            if _attached(iam, target) != after:
                raise SwapFailedError(f"{target} does not show the change after it was made")
    except (ClientError, SwapFailedError) as error:
        _undo(iam, table, settings, mode, done, error)
        if isinstance(error, ClientError) and _code(error) in THROTTLING:
            raise IamThrottledError(f"IAM throttled the {mode}; undone: {error}") from error
        raise SwapFailedError(f"{mode} failed and was undone: {error}") from error
    if mode == "restore" and table is not None:
        for target, _, _ in planned:
            table.delete(str(target))
    return records


def _migrate(
    iam: Any,
    settings: SwapSettings,
    table: RestrictionTable | None,
    *,
    why: str,
    execution: str | None,
    who: str,
    apply: bool,
) -> list[AuditRecord]:
    """Record the principals an earlier version restricted (restricted policy, no full one,
    no record): a report unless `apply`, so that restore then gives them back."""
    if table is None:
        raise ConfigurationError("the migration step needs the restrictions table")
    records = []
    for target, before in current_state(iam, settings).items():
        now = datetime.now(UTC).isoformat(timespec="seconds")
        restricted_the_old_way = (
            settings.restricted_policy_arn in before
            and settings.full_policy_arn not in before
            and table.get(str(target)) is None
        )
        result = "skipped"
        if restricted_the_old_way:
            result = "adopted" if apply else "would-adopt"
            if apply:
                table.put(
                    Restriction(
                        str(target),
                        removed_policy=settings.full_policy_arn,
                        added_policy=settings.restricted_policy_arn,
                        restricted_at=now,
                        execution=execution or "",
                        reason=why,
                        adopted=True,
                    )
                )
        records.append(
            AuditRecord(str(target), "migrate", result, before, before, why, execution, who, now)
        )
    return records


def as_dicts(records: list[AuditRecord]) -> list[dict[str, Any]]:
    return [asdict(r) for r in records]
