"""CostControlActionFunction: the policy-swap step of the cost-control state machine."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cost_controls.policy_swap import SwapSettings, as_dicts, swap
from cost_controls.requests import ActionEvent, who
from cost_controls.restrictions import RestrictionTable
from steward_common import aws
from steward_common.inputs import parse_event
from steward_common.observability import Powertools

ops = Powertools()
logger, metrics = ops.logger, ops.metrics


@ops.handler(correlation_id_path="execution_id")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action = parse_event(event, ActionEvent, "cost-control request")
    settings = SwapSettings.from_env()
    if action.plan:
        settings = replace(settings, dry_run=True)
    records = swap(
        aws.client("iam"),
        settings,
        action.request.mode,
        why=action.request.reason,
        execution=action.execution_id,
        who=who(context.function_name, action.request),
        table=RestrictionTable.from_env(aws.client("dynamodb")),
        apply=action.request.apply,
    )
    for record in as_dicts(records):
        logger.info("audit", extra={"audit": record})
    changed = sum(r.result in ("changed", "adopted") for r in records)
    metrics.add_metric(name="PrincipalsChanged", unit=MetricUnit.Count, value=changed)
    metrics.add_metric(
        name="PrincipalsUnchanged", unit=MetricUnit.Count, value=len(records) - changed
    )
    return {
        "mode": action.request.mode,
        "dry_run": settings.dry_run,
        "changed": changed,
        "would_change": sum(r.result == "would-change" for r in records),
        "records": as_dicts(records),
    }
