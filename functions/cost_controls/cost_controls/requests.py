"""What the cost-control machine passes its steps: the request, and the execution it runs in."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.utilities.parser import BaseModel


class CostControlRequest(BaseModel):
    mode: Literal["restrict", "restore", "migrate"]
    reason: str = "requested by hand"
    alert: dict[str, Any] | None = None
    apply: bool = False  # migrate: record what it finds (else only report it)
    approved: bool | None = None  # manual approval: the answer SendTaskSuccess gave


class ActionEvent(BaseModel):
    request: CostControlRequest
    execution_id: str | None = None
    plan: bool = False  # report what would change (the plan a person approves), change nothing


def who(function_name: str, request: CostControlRequest) -> str:
    """Who makes the change, for the audit: Steward, and whether a person approved it (AWS
    CloudTrail records the caller of the SendTaskSuccess that approved)."""
    by = f"steward cost controls ({function_name})"
    if request.approved:
        by += ", approved by hand (CloudTrail records the SendTaskSuccess caller)"
    return by
