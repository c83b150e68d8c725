"""Starting the cost-control state machine once per budget and budget period."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cost_controls.notification import BudgetAlert
from steward_common.errors import ConfigurationError
from steward_common.settings import env_str

TIME_UNITS = ("DAILY", "MONTHLY", "QUARTERLY", "ANNUALLY")
# Executions of a period that did not restrict (failed, timed out, aborted) do not disarm it:
# the next alert starts the next attempt. Bounded, so a restriction failing on every alert of a
# period (each failure alerted) stops being retried after this many.
MAX_ATTEMPTS = 20
NOT_RESTRICTED = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})


@dataclass(frozen=True)
class RouterSettings:
    state_machine_arn: str
    budget_name: str
    time_unit: str

    @classmethod
    def from_env(cls) -> RouterSettings:
        time_unit = env_str("BUDGET_TIME_UNIT", "MONTHLY").upper()
        if time_unit not in TIME_UNITS:
            raise ConfigurationError(f"BUDGET_TIME_UNIT={time_unit!r} is not one of {TIME_UNITS}")
        return cls(
            state_machine_arn=env_str("COST_CONTROL_STATE_MACHINE_ARN"),
            budget_name=env_str("BUDGET_NAME"),
            time_unit=time_unit,
        )


@dataclass(frozen=True)
class RouteResult:
    execution_name: str
    execution_arn: str | None
    duplicate: bool
    attempt: int = 1


def budget_period(time_unit: str, now: datetime) -> str:
    """The budget period `now` falls in, as AWS Budgets counts it (UTC)."""
    if time_unit == "DAILY":
        return now.strftime("%Y-%m-%d")
    if time_unit == "MONTHLY":
        return now.strftime("%Y-%m")
    if time_unit == "QUARTERLY":
        return f"{now.year}-Q{(now.month - 1) // 3 + 1}"
    return str(now.year)


def execution_name(budget_name: str, period: str, attempt: int = 1) -> str:
    """A deterministic execution name: one restriction per budget per period.

    Step Functions keeps names unique per state machine for 90 days, so a duplicate SNS
    delivery or a second alert (ACTUAL after FORECASTED) in the period starts nothing new
    while the period's execution runs or has restricted. Its later attempts (after one that
    failed) are `-a2`, `-a3`, …. Names allow letters, digits, '-' and '_' and at most 80
    characters.
    """
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", budget_name).strip("-")[:56] or "budget"
    suffix = "" if attempt == 1 else f"-a{attempt}"
    return f"restrict-{slug}-{period}"[: 80 - len(suffix)] + suffix


def _execution_arn(state_machine_arn: str, name: str) -> str:
    # arn:aws:states:<region>:<account>:stateMachine:<machine> -> …:execution:<machine>:<name>
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


def route(
    alert: BudgetAlert,
    *,
    sfn: Any,
    settings: RouterSettings,
    now: datetime,
    message_id: str,
) -> RouteResult:
    budget = alert.budget_name or settings.budget_name
    period = budget_period(settings.time_unit, now)
    request = {
        "mode": "restrict",
        "reason": alert.reason,
        "alert": {**alert.as_dict(), "budget_name": budget, "message_id": message_id},
    }
    for attempt in range(1, MAX_ATTEMPTS + 1):
        name = execution_name(budget, period, attempt)
        try:
            response = sfn.start_execution(
                stateMachineArn=settings.state_machine_arn, name=name, input=json.dumps(request)
            )
        except sfn.exceptions.ExecutionAlreadyExists:
            status = sfn.describe_execution(
                executionArn=_execution_arn(settings.state_machine_arn, name)
            )["status"]
            if status in NOT_RESTRICTED:
                continue  # that attempt did not restrict: this alert makes the next one
            return RouteResult(name, None, duplicate=True, attempt=attempt)
        return RouteResult(name, response["executionArn"], duplicate=False, attempt=attempt)
    return RouteResult(name, None, duplicate=True, attempt=MAX_ATTEMPTS)
