"""BudgetRouterFunction on moto Step Functions: one execution per budget and period."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from steward_common.errors import InvalidInputError
from tests.support.events import load_event
from tests.support.handlers import lambda_context, load_handler
from tests.support.paths import ACCOUNT_ID

PASS_MACHINE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})


@pytest.fixture
def machine(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> str:
    sfn = boto3.client("stepfunctions")
    arn: str = sfn.create_state_machine(
        name="cost-control",
        definition=PASS_MACHINE,
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/sfn",
    )["stateMachineArn"]
    monkeypatch.setenv("COST_CONTROL_STATE_MACHINE_ARN", arn)
    monkeypatch.setenv("BUDGET_NAME", "steward-cost-control")
    monkeypatch.setenv("BUDGET_TIME_UNIT", "MONTHLY")
    return arn


def route(event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = load_handler("cost_controls", "budget_router").lambda_handler(
        event, lambda_context()
    )
    return result


def executions(arn: str) -> list[dict[str, Any]]:
    return boto3.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]


def test_a_budget_alert_starts_one_restriction_named_after_budget_and_period(machine: str) -> None:
    [routed] = route(load_event("cost_controls/budget_alert_actual.json"))["routed"]
    assert not routed["duplicate"] and routed["parsed"]
    [execution] = executions(machine)
    assert execution["name"].startswith("restrict-steward-cost-control-20")
    described = boto3.client("stepfunctions").describe_execution(
        executionArn=execution["executionArn"]
    )
    request = json.loads(described["input"])
    assert request["mode"] == "restrict"
    assert request["alert"]["amount"] == {"amount": "112.47", "currency": "USD"}


def test_duplicate_delivery_and_a_later_alert_in_the_period_start_nothing_new(machine: str) -> None:
    route(load_event("cost_controls/budget_alert_actual.json"))
    route(load_event("cost_controls/budget_alert_actual.json"))  # SNS delivered it again
    [again] = route(load_event("cost_controls/budget_alert_forecasted.json"))["routed"]
    assert again["duplicate"]
    assert len(executions(machine)) == 1


def test_an_attempt_that_failed_does_not_disarm_the_period(machine: str) -> None:
    sfn = boto3.client("stepfunctions")
    route(load_event("cost_controls/budget_alert_actual.json"))
    [first] = executions(machine)
    sfn.stop_execution(executionArn=first["executionArn"], error="Boom")  # it did not restrict
    [again] = route(load_event("cost_controls/budget_alert_forecasted.json"))["routed"]
    assert not again["duplicate"]
    assert again["execution_name"] == first["name"] + "-a2"
    [later] = route(load_event("cost_controls/budget_alert_actual.json"))["routed"]
    assert later["duplicate"]  # attempt 2 did not fail: the period is restricting
    assert len(executions(machine)) == 2


def test_free_text_still_restricts_with_the_reason_unparsed(machine: str) -> None:
    [routed] = route(load_event("cost_controls/budget_alert_free_text.json"))["routed"]
    assert routed["parsed"] is False
    [execution] = executions(machine)
    described = boto3.client("stepfunctions").describe_execution(
        executionArn=execution["executionArn"]
    )
    assert json.loads(described["input"])["reason"] == "unparsed"
    assert execution["name"].startswith("restrict-steward-cost-control-")


def test_an_event_that_is_not_from_sns_is_a_typed_error(machine: str) -> None:
    with pytest.raises(InvalidInputError, match="invalid SNS event"):
        route({"detail": "not sns"})
    assert executions(machine) == []
