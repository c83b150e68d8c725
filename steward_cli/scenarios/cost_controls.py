"""Demo: a project's budget is exceeded, its developers lose EC2 write access, then get it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from localcloud.testing import TopicTap, publish_as_service
from steward_cli.report import Reporter
from steward_cli.scenarios import Scenario, expect

FULL = "arn:aws:iam::aws:policy/AmazonEC2FullAccess"
READ_ONLY = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"
EVENTS = Path(__file__).resolve().parents[2] / "events" / "cost_controls"


def _policies(iam: Any) -> list[str]:
    attached = iam.list_attached_group_policies(GroupName="beta-developers")["AttachedPolicies"]
    return [p["PolicyName"] for p in attached]


def run(cloud: Any, report: Reporter, services: Any) -> None:
    iam = cloud.client("iam")
    iam.create_group(GroupName="beta-developers")
    iam.attach_group_policy(GroupName="beta-developers", PolicyArn=FULL)
    mailbox = TopicTap(cloud, "AlertTopic", name="ops-mailbox")
    report.step("IAM group beta-developers launches what it likes")
    report.detail(f"policies: {_policies(iam)}")

    notification = json.loads((EVENTS / "budget_alert_actual.json").read_text())["Records"][0][
        "Sns"
    ]
    report.step("AWS Budgets publishes its ACTUAL alert to BudgetAlertTopic")
    for line in notification["Message"].splitlines():
        if ":" in line and not line.startswith("[") and "http" not in line:
            report.detail(line)
    topic = cloud.physical_id("BudgetAlertTopic")

    def budgets_publishes() -> None:  # as AWS Budgets, which the topic's policy alone allows
        publish_as_service(
            cloud,
            topic,
            "budgets.amazonaws.com",
            message=notification["Message"],
            subject=notification["Subject"],
        )
        cloud.wait_idle(timeout=60)

    budgets_publishes()
    [execution] = cloud.executions("CostControlStateMachine")
    report.step(f"CostControlStateMachine ran as {execution['name']}")
    report.execution(execution)
    expect(_policies(iam) == ["AmazonEC2ReadOnlyAccess"], f"group still has {_policies(iam)}")
    report.step("beta-developers is now read-only")
    report.detail(f"policies: {_policies(iam)}")
    [audit] = mailbox.messages()
    report.step(f"audit on AlertTopic: {audit['Subject']}")
    for record in json.loads(audit["Message"])["records"]:
        report.detail(f"{record['target']}: {record['result']}, why: {record['why']}")

    report.step("Budgets repeats the alert (and SNS delivers twice): nothing new starts")
    budgets_publishes()
    count = len(cloud.executions("CostControlStateMachine"))
    expect(count == 1, f"{count} executions after a repeated alert")
    report.detail("still one execution for this budget period")

    report.step("a new budget period begins: the restore schedule fires")
    cloud.fire_schedule("CostControlStateMachine")
    cloud.wait_idle(timeout=60)
    report.execution(cloud.executions("CostControlStateMachine")[-1])
    expect(_policies(iam) == ["AmazonEC2FullAccess"], f"group has {_policies(iam)} after restore")
    report.detail(f"policies: {_policies(iam)}")


SCENARIO = Scenario(
    name="cost_controls",
    title="Cost controls: a budget alert swaps a group to read-only, and back",
    run=run,
    enables=("EnableCostControls",),
    parameters={"CostControlGroups": "beta-developers"},
    order=60,
)
