"""CostControlInstanceFunction: the instance step (stop tagged instances, start them on restore)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cost_controls.instances import InstanceSettings, act
from cost_controls.policy_swap import as_dicts
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
    settings = InstanceSettings.from_env()
    if action.plan:
        settings = replace(settings, dry_run=True)
    records = act(
        aws.client("ec2"),
        RestrictionTable.from_env(aws.client("dynamodb")),
        settings,
        action.request.mode,
        why=action.request.reason,
        execution=action.execution_id,
        who=who(context.function_name, action.request),
    )
    for record in as_dicts(records):
        logger.info("audit", extra={"audit": record})
    changed = sum(r.result == "changed" for r in records)
    metrics.add_metric(name="InstancesChanged", unit=MetricUnit.Count, value=changed)
    return {"instances": as_dicts(records), "instances_changed": changed}
