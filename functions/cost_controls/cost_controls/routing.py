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


def budget_period(time_unit: str, now: datetime) -> str:
    """The budget period `now` falls in, as AWS Budgets counts it (UTC)."""
    if time_unit == "DAILY":
        return now.strftime("%Y-%m-%d")
    if time_unit == "MONTHLY":
        return now.strftime("%Y-%m")
    if time_unit == "QUARTERLY":
        return f"{now.year}-Q{(now.month - 1) // 3 + 1}"
    return str(now.year)


def execution_name(budget_name: str, period: str) -> str:
    """A deterministic execution name: one restriction per budget per period.

    Step Functions keeps names unique per state machine for 90 days, so a duplicate SNS
    delivery or a second alert (ACTUAL after FORECASTED) in the period starts nothing new.
    Names allow letters, digits, '-' and '_' and at most 80 characters.
    """
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", budget_name).strip("-")[:60] or "budget"
    return f"restrict-{slug}-{period}"[:80]


def route(
    alert: BudgetAlert,
    *,
    sfn: Any,
    settings: RouterSettings,
    now: datetime,
    message_id: str,
) -> RouteResult:
    budget = alert.budget_name or settings.budget_name
    name = execution_name(budget, budget_period(settings.time_unit, now))
    request = {
        "mode": "restrict",
        "reason": alert.reason,
        "alert": {**alert.as_dict(), "budget_name": budget, "message_id": message_id},
    }
    try:
        response = sfn.start_execution(
            stateMachineArn=settings.state_machine_arn, name=name, input=json.dumps(request)
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        return RouteResult(name, None, duplicate=True)
    return RouteResult(name, response["executionArn"], duplicate=False)
