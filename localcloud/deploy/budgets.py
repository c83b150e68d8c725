"""AWS Budgets: a budget with its notifications and subscribers."""

from __future__ import annotations

from typing import Any

from localcloud.deploy.context import DeployContext
from localcloud.deploy.stack import Deployed


def budget(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    spec = props["Budget"]
    name = str(spec.get("BudgetName") or ctx.physical_name(logical_id, 100))
    spec = {**spec, "BudgetName": name}
    if "BudgetLimit" in spec:  # CloudFormation takes numbers; the API wants a string
        spec["BudgetLimit"] = {**spec["BudgetLimit"], "Amount": str(spec["BudgetLimit"]["Amount"])}
    notifications = [
        {
            **n,
            "Notification": {
                **n["Notification"],
                "Threshold": float(n["Notification"]["Threshold"]),
            },
        }
        for n in props.get("NotificationsWithSubscribers") or []
    ]
    ctx.client("budgets").create_budget(
        AccountId=ctx.core.account_id, Budget=spec, NotificationsWithSubscribers=notifications
    )
    return Deployed(logical_id, body["Type"], name)


PROVISIONERS = {"AWS::Budgets::Budget": budget}
