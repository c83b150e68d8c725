"""What the cost-control machine passes its steps: the request, and the execution it runs in."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.utilities.parser import BaseModel


class CostControlRequest(BaseModel):
    mode: Literal["restrict", "restore", "migrate"]
    reason: str = "requested by hand"
    alert: dict[str, Any] | None = None
    apply: bool = False  # migrate: record what it finds (else only report it)


class ActionEvent(BaseModel):
    request: CostControlRequest
    execution_id: str | None = None
