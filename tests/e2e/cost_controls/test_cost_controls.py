"""Cost controls end to end: Budgets -> SNS -> router -> state machine -> IAM, on the local cloud."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.testing import TopicTap, inject_fault, pass_time, publish_as_service
from tests.support.events import load_event
from tests.support.taps import drain

FULL = "arn:aws:iam::aws:policy/AmazonEC2FullAccess"
READ_ONLY = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "ec2.amazonaws.com"},
            }
        ],
    }
)


def start(stack: Any, **parameters: str) -> tuple[LocalCloud, TopicTap]:
    cloud: LocalCloud = stack(
        "EnableCostControls",
        CostControlGroups="beta-devs",
        CostControlRoles="beta-ci",
        **parameters,
    )
    iam = cloud.client("iam")
    iam.create_group(GroupName="beta-devs")
    iam.attach_group_policy(GroupName="beta-devs", PolicyArn=FULL)
    iam.create_role(RoleName="beta-ci", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="beta-ci", PolicyArn=FULL)
    return cloud, TopicTap(cloud, "AlertTopic")


def publish_budget_alert(cloud: LocalCloud, event_file: str = "budget_alert_actual.json") -> None:
    sns = load_event(f"cost_controls/{event_file}")["Records"][0]["Sns"]
    publish_as_service(  # as AWS Budgets, which the topic's policy alone lets publish
        cloud,
        cloud.physical_id("BudgetAlertTopic"),
        "budgets.amazonaws.com",
        message=sns["Message"],
        subject=sns["Subject"],
    )
    cloud.wait_idle(timeout=60)


def policies(cloud: LocalCloud) -> tuple[list[str], list[str]]:
    iam = cloud.client("iam")
    group = [
        p["PolicyArn"]
        for p in iam.list_attached_group_policies(GroupName="beta-devs")["AttachedPolicies"]
    ]
    role = [
        p["PolicyArn"]
        for p in iam.list_attached_role_policies(RoleName="beta-ci")["AttachedPolicies"]
    ]
    return group, role


def test_a_budget_notification_restricts_the_targets_and_publishes_an_audit(stack: Any) -> None:
    cloud, alerts = start(stack)
    publish_budget_alert(cloud)
    assert policies(cloud) == ([READ_ONLY], [READ_ONLY])
    [execution] = cloud.executions("CostControlStateMachine")
    assert execution["status"] == "SUCCEEDED"
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in execution["history"]
        if "stateEnteredEventDetails" in e
    ]
    assert entered == [
        "KeepRequest",
        "NeedsApproval",
        "ApplyPolicySwap",
        "StopOrStartInstances",
        "NotifyAudit",
    ]
    [audit] = alerts.messages()
    assert audit["Subject"] == "Steward cost controls: restrict (2 changed)"
    body = json.loads(audit["Message"])
    records = {r["target"]: r for r in body["records"]}
    assert records["group/beta-devs"]["before"] == [FULL]
    assert records["group/beta-devs"]["after"] == [READ_ONLY]
    assert records["role/beta-ci"]["execution"] == execution["arn"]
    assert "steward-cost-control" in records["role/beta-ci"]["why"]


def test_the_same_alert_again_or_a_later_one_in_the_period_starts_no_second_execution(
    stack: Any,
) -> None:
    cloud, _ = start(stack)
    publish_budget_alert(cloud)
    publish_budget_alert(cloud)
    publish_budget_alert(cloud, "budget_alert_forecasted.json")
    assert len(cloud.executions("CostControlStateMachine")) == 1
    assert cloud.async_failures == []


def test_the_period_schedule_restores_the_full_policy(stack: Any) -> None:
    cloud, alerts = start(stack)
    publish_budget_alert(cloud)
    cloud.fire_schedule("CostControlStateMachine")
    cloud.wait_idle(timeout=60)
    assert policies(cloud) == ([FULL], [FULL])
    restore = json.loads(alerts.messages()[-1]["Message"])
    assert restore["mode"] == "restore" and restore["changed"] == 2


def test_a_manual_restore_with_the_documented_input(stack: Any) -> None:
    cloud, _ = start(stack)
    publish_budget_alert(cloud)
    cloud.start_execution(
        "CostControlStateMachine", load_event("cost_controls/restore_request.json")
    )
    cloud.wait_idle(timeout=60)
    assert policies(cloud) == ([FULL], [FULL])


def test_a_missing_target_fails_clearly_and_changes_no_other_target(stack: Any) -> None:
    cloud, alerts = start(stack, CostControlUsers="ghost")
    publish_budget_alert(cloud)
    assert policies(cloud) == ([FULL], [FULL])
    [execution] = cloud.executions("CostControlStateMachine")
    assert (execution["status"], execution["error"]) == ("FAILED", "CostControlFailed")
    [failure] = alerts.messages()
    assert failure["Subject"].startswith("Steward cost controls FAILED")
    assert failure["MessageAttributes"]["kind"]["Value"] == "failure"
    details = json.loads(failure["Message"])
    assert details["Error"] == "TargetNotFoundError"
    assert "user/ghost" in details["Cause"]


def test_dry_run_reports_and_changes_nothing(stack: Any) -> None:
    cloud, alerts = start(stack, CostControlDryRun="true")
    publish_budget_alert(cloud)
    assert policies(cloud) == ([FULL], [FULL])
    body = json.loads(alerts.messages()[0]["Message"])
    assert body["dry_run"] is True
    assert {r["result"] for r in body["records"]} == {"would-change"}


def test_free_text_on_the_topic_still_restricts_with_reason_unparsed(stack: Any) -> None:
    cloud, alerts = start(stack)
    publish_budget_alert(cloud, "budget_alert_free_text.json")
    assert policies(cloud) == ([READ_ONLY], [READ_ONLY])
    body = json.loads(alerts.messages()[0]["Message"])
    assert {r["why"] for r in body["records"]} == {"unparsed"}


def test_the_budget_notifies_the_budget_topic(stack: Any) -> None:
    cloud, _ = start(stack, CostControlForecastThresholdPercent="80")
    budgets = cloud.client("budgets")
    name = "steward-cost-control"
    notifications = budgets.describe_notifications_for_budget(
        AccountId=cloud.account_id, BudgetName=name
    )
    thresholds = sorted(
        (n["NotificationType"], n["Threshold"]) for n in notifications["Notifications"]
    )
    assert thresholds == [("ACTUAL", 100.0), ("FORECASTED", 80.0)]
    budget = budgets.describe_budget(AccountId=cloud.account_id, BudgetName=name)["Budget"]
    assert (budget["BudgetLimit"]["Amount"], budget["TimeUnit"]) in {
        ("100", "MONTHLY"),
        ("100.0", "MONTHLY"),
    }


@pytest.mark.parametrize("enabled", ["false"])
def test_cost_controls_can_be_left_out(stack: Any, enabled: str) -> None:
    cloud = stack(EnableCostControls=enabled)
    with pytest.raises(LookupError, match="condition CostControlsEnabled is false"):
        cloud.physical_id("CostControlStateMachine")


@pytest.mark.parametrize(
    ("parameters", "expression", "state"),
    [
        ({}, "cron(5 0 1 * ? *)", "ENABLED"),
        ({"CostControlBudgetTimeUnit": "QUARTERLY"}, "cron(5 0 1 1/3 ? *)", "ENABLED"),
        ({"CostControlRestoreSchedule": "cron(0 8 1 * ? *)"}, "cron(0 8 1 * ? *)", "ENABLED"),
        ({"CostControlRestoreSchedule": "off"}, None, "DISABLED"),
    ],
)
def test_the_restore_schedule_follows_the_budget_period(
    stack: Any, parameters: dict[str, str], expression: str | None, state: str
) -> None:
    cloud = stack("EnableCostControls", **parameters)
    rule = cloud.client("events").describe_rule(
        Name=cloud.physical_id("CostControlStateMachineRestore")
    )
    assert rule["State"] == state
    if expression:
        assert rule["ScheduleExpression"] == expression


def test_principals_with_iam_paths_are_restricted_with_enforcement_on(stack: Any) -> None:
    # With IAM evaluated, the swap statements must name principals that live under a path
    # (group/teams/devs): before, they were written for the root path only and were denied.
    cloud: LocalCloud = stack(
        "EnableCostControls",
        CostControlGroups="devs",
        CostControlRoles="ci",
        CostControlUsers="ana",
    )
    iam = cloud.client("iam")
    iam.create_group(GroupName="devs", Path="/teams/")
    iam.create_role(RoleName="ci", Path="/pipelines/build/", AssumeRolePolicyDocument=TRUST)
    iam.create_user(UserName="ana", Path="/people/")
    iam.attach_group_policy(GroupName="devs", PolicyArn=FULL)
    iam.attach_role_policy(RoleName="ci", PolicyArn=FULL)
    iam.attach_user_policy(UserName="ana", PolicyArn=FULL)
    publish_budget_alert(cloud)
    [execution] = cloud.executions("CostControlStateMachine")
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    attached = {
        "group": iam.list_attached_group_policies(GroupName="devs")["AttachedPolicies"],
        "role": iam.list_attached_role_policies(RoleName="ci")["AttachedPolicies"],
        "user": iam.list_attached_user_policies(UserName="ana")["AttachedPolicies"],
    }
    assert {kind: [p["PolicyArn"] for p in policies] for kind, policies in attached.items()} == {
        "group": [READ_ONLY],
        "role": [READ_ONLY],
        "user": [READ_ONLY],
    }
    assert cloud.iam.denials == []


def test_only_aws_budgets_may_publish_to_the_budget_topic(stack: Any) -> None:
    cloud, _ = start(stack)
    topic = cloud.physical_id("BudgetAlertTopic")
    with pytest.raises(PermissionError, match=r"cloudwatch\.amazonaws\.com may not publish"):
        publish_as_service(cloud, topic, "cloudwatch.amazonaws.com", message="not a budget")
    assert cloud.executions("CostControlStateMachine") == []


def test_a_budget_alert_the_router_fails_on_waits_in_the_failed_invocations_queue_intact(
    stack: Any,
) -> None:
    """SNS invokes the router asynchronously: after Lambda's two retries, "Lambda sends a
    record of the invocation to the destination" (Lambda Developer Guide, "Capturing records
    of Lambda asynchronous invocations"), here FailedInvocationsQueue, whose record keeps the
    request payload, the SNS event with the Budgets notification as it was sent."""
    cloud, alerts = start(stack)
    sent = load_event("cost_controls/budget_alert_actual.json")["Records"][0]["Sns"]
    with inject_fault(
        cloud,
        "stepfunctions",
        "StartExecution",
        code="StateMachineDoesNotExist",  # not retried by the SDK: Lambda's retries only
        status=400,
        callers=cloud.physical_id("BudgetRouterFunction"),
    ) as fault:
        publish_budget_alert(cloud)  # and wait for Lambda's retries
    assert fault.injected == 3  # the invocation and Lambda's two retries
    assert cloud.executions("CostControlStateMachine") == []
    # The queue's depth alarm tells AlertTopic within its five-minute period and the next
    # evaluation: minute by minute on the clock, as the metric and the alarm's timers run.
    messages: list[dict[str, Any]] = []
    for _ in range(12):
        pass_time(cloud, 60)
        cloud.wait_idle(timeout=60)
        messages += alerts.messages()
        if messages:
            break
    [alarm] = [json.loads(m["Message"]) for m in messages]
    assert (alarm["AlarmName"], alarm["NewStateValue"]) == (
        cloud.physical_id("FailedInvocationsAlarm"),
        "ALARM",
    )
    [record] = drain(cloud, "FailedInvocationsQueue")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"].split(":")[6] == cloud.physical_id(
        "BudgetRouterFunction"
    )
    [kept] = record["requestPayload"]["Records"]
    assert (kept["Sns"]["Message"], kept["Sns"]["Subject"]) == (sent["Message"], sent["Subject"])
    assert kept["Sns"]["TopicArn"] == cloud.physical_id("BudgetAlertTopic")
    # Replayed as the README says (the record's payload, invoked again), it restricts now.
    cloud.client("lambda").invoke(
        FunctionName=record["requestContext"]["functionArn"],
        InvocationType="Event",
        Payload=json.dumps(record["requestPayload"]).encode(),
    )
    cloud.wait_idle(timeout=60)
    [run] = cloud.executions("CostControlStateMachine")
    assert run["status"] == "SUCCEEDED"


# ------------------------------------------------------------------ never half-applied


def _fill_to_quota(cloud: LocalCloud, role: str) -> list[str]:
    """Attach managed policies to the role until it holds IAM's quota of them (10)."""
    iam = cloud.client("iam")
    quota = iam.get_account_summary()["SummaryMap"]["AttachedPoliciesPerRoleQuota"]
    held = len(iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"])
    extra = []
    for n in range(quota - held):
        arn = iam.create_policy(
            PolicyName=f"extra-{n}",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}
                    ],
                }
            ),
        )["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        extra.append(arn)
    return extra


def test_a_principal_at_its_quota_fails_the_restriction_whole_and_a_later_alert_restricts(
    stack: Any,
) -> None:
    """IAM's quota: "Managed policies attached to an IAM role: 10" by default (IAM User Guide,
    "IAM and AWS STS quotas"); the swap attaches before it detaches, so a role at the quota
    cannot take the restricted policy. Nothing is changed, the failure is alerted, and the
    period stays armed: the next alert, once the quota is freed, restricts."""
    cloud, alerts = start(stack)
    extra = _fill_to_quota(cloud, "beta-ci")
    publish_budget_alert(cloud)
    [failed] = cloud.executions("CostControlStateMachine")
    assert (failed["status"], failed["error"]) == ("FAILED", "CostControlFailed")
    group, role = policies(cloud)
    assert group == [FULL] and FULL in role and READ_ONLY not in role  # nothing half-changed
    [failure] = alerts.messages()
    details = json.loads(failure["Message"])
    assert details["Error"] == "PolicyQuotaExceededError" and "role/beta-ci" in details["Cause"]
    cloud.client("iam").detach_role_policy(RoleName="beta-ci", PolicyArn=extra[0])
    publish_budget_alert(cloud, "budget_alert_forecasted.json")
    runs = cloud.executions("CostControlStateMachine")
    assert sorted(r["status"] for r in runs) == ["FAILED", "SUCCEEDED"]
    group, role = policies(cloud)
    assert group == [READ_ONLY] and READ_ONLY in role and FULL not in role


def test_restore_leaves_alone_a_principal_someone_else_restricted(stack: Any) -> None:
    cloud, _ = start(stack, CostControlUsers="alice")
    iam = cloud.client("iam")
    iam.create_user(UserName="alice")
    iam.attach_user_policy(UserName="alice", PolicyArn=READ_ONLY)  # restricted by hand
    publish_budget_alert(cloud)
    cloud.fire_schedule("CostControlStateMachine")
    cloud.wait_idle(timeout=60)
    assert policies(cloud) == ([FULL], [FULL])
    alice = [
        p["PolicyArn"]
        for p in iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]
    ]
    assert alice == [READ_ONLY]


def test_the_migration_step_adopts_a_principal_restricted_the_old_way(stack: Any) -> None:
    cloud, alerts = start(stack)
    iam = cloud.client("iam")
    iam.attach_role_policy(RoleName="beta-ci", PolicyArn=READ_ONLY)  # as the old version left it
    iam.detach_role_policy(RoleName="beta-ci", PolicyArn=FULL)
    cloud.start_execution("CostControlStateMachine", {"mode": "migrate", "reason": "upgrade"})
    cloud.wait_idle(timeout=60)
    report = json.loads(alerts.messages()[-1]["Message"])
    assert {r["target"]: r["result"] for r in report["records"]} == {
        "group/beta-devs": "skipped",
        "role/beta-ci": "would-adopt",
    }
    cloud.start_execution(
        "CostControlStateMachine", {"mode": "migrate", "reason": "upgrade", "apply": True}
    )
    cloud.wait_idle(timeout=60)
    cloud.start_execution(
        "CostControlStateMachine", load_event("cost_controls/restore_request.json")
    )
    cloud.wait_idle(timeout=60)
    assert policies(cloud) == ([FULL], [FULL])


# ------------------------------------------------------------------ the instance action


def _instance(cloud: LocalCloud, **tags: str) -> str:
    ec2 = cloud.client("ec2")
    image = ec2.register_image(Name=f"base-{len(tags)}-{sorted(tags)}", RootDeviceName="/dev/xvda")[
        "ImageId"
    ]
    spec = (
        [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
        if tags
        else []
    )
    [made] = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, TagSpecifications=spec)[
        "Instances"
    ]
    return str(made["InstanceId"])


def _states(cloud: LocalCloud, *ids: str) -> list[str]:
    found = cloud.client("ec2").describe_instances(InstanceIds=list(ids))["Reservations"]
    by_id = {i["InstanceId"]: i["State"]["Name"] for r in found for i in r["Instances"]}
    return [by_id[i] for i in ids]


def test_the_instance_action_stops_tagged_instances_but_no_auto_scaling_one_and_restore_starts_them(
    stack: Any,
) -> None:
    cloud, alerts = start(stack, CostControlStopInstances="beta")
    tag = {"steward:cost-control": "beta"}
    plain = _instance(cloud, **tag)
    scaled = _instance(cloud, **tag, **{"aws:autoscaling:groupName": "web"})
    nodes = _instance(cloud, **tag, **{"eks:nodegroup-name": "workers"})
    by_hand = _instance(cloud, **tag)
    untagged = _instance(cloud)
    cloud.client("ec2").stop_instances(InstanceIds=[by_hand])  # someone stopped it earlier
    publish_budget_alert(cloud)
    [run] = cloud.executions("CostControlStateMachine")
    assert run["status"] == "SUCCEEDED", run["cause"]
    assert _states(cloud, plain, scaled, nodes, untagged) == [
        "stopped",
        "running",
        "running",
        "running",
    ]
    audit = json.loads(alerts.messages()[-1]["Message"])
    results = {r["target"]: r["result"] for r in audit["instances"]}
    assert results == {
        f"instance/{plain}": "changed",
        f"instance/{scaled}": "skipped",
        f"instance/{nodes}": "skipped",
        f"instance/{by_hand}": "unchanged",
    }
    cloud.fire_schedule("CostControlStateMachine")
    cloud.wait_idle(timeout=60)
    assert _states(cloud, plain, by_hand) == ["running", "stopped"]  # only what Steward stopped
    assert policies(cloud) == ([FULL], [FULL])


# ------------------------------------------------------------------ manual approval


def _approval_request(alerts: TopicTap) -> tuple[dict[str, Any], str]:
    """The approval request on AlertTopic, and the task token its commands carry."""
    asked: list[dict[str, Any]] = []
    for _ in range(100):  # the Task publishes it as it starts waiting
        asked = [
            m for m in alerts.messages() if m["MessageAttributes"]["kind"]["Value"] == "approval"
        ]
        if asked:
            break
        time.sleep(0.05)
    [request] = asked
    token = request["Message"].split("send-task-success --task-token ", 1)[1].split(" ", 1)[0]
    return request, token


def test_manual_approval_restricts_only_once_approved(stack: Any) -> None:
    cloud, alerts = start(stack, CostControlApproval="manual")
    publish_budget_alert_and_let_it_wait(cloud)
    asked, token = _approval_request(alerts)
    assert asked["Subject"].startswith("Steward cost controls: approve restricting 2 principals?")
    assert "group/beta-devs" in asked["Message"] and "send-task-failure" in asked["Message"]
    assert policies(cloud) == ([FULL], [FULL])  # nothing changed while it waits
    cloud.client("stepfunctions").send_task_success(taskToken=token, output="true")
    cloud.wait_idle(timeout=60)
    assert policies(cloud) == ([READ_ONLY], [READ_ONLY])
    audit = json.loads(alerts.messages()[-1]["Message"])
    assert all("approved by hand" in r["who"] for r in audit["records"])


def test_manual_approval_rejected_changes_nothing(stack: Any) -> None:
    cloud, alerts = start(stack, CostControlApproval="manual")
    publish_budget_alert_and_let_it_wait(cloud)
    _, token = _approval_request(alerts)
    cloud.client("stepfunctions").send_task_failure(taskToken=token, error="Rejected")
    cloud.wait_idle(timeout=60)
    assert policies(cloud) == ([FULL], [FULL])
    assert alerts.messages()[-1]["Subject"] == (
        "Steward cost controls: restriction not approved (Rejected)"
    )
    [run] = cloud.executions("CostControlStateMachine")
    assert run["status"] == "SUCCEEDED"


@pytest.mark.parametrize(("on_timeout", "restricted"), [("skip", False), ("restrict", True)])
def test_manual_approval_timed_out_decides_as_configured(
    stack: Any, on_timeout: str, restricted: bool
) -> None:
    cloud, alerts = start(
        stack,
        CostControlApproval="manual",
        CostControlApprovalTimeoutSeconds="3600",
        CostControlApprovalOnTimeout=on_timeout,
    )
    publish_budget_alert_and_let_it_wait(cloud)
    _approval_request(alerts)
    pass_time(cloud, 3601)
    cloud.wait_idle(timeout=60)
    expected = ([READ_ONLY], [READ_ONLY]) if restricted else ([FULL], [FULL])
    assert policies(cloud) == expected
    if not restricted:
        assert alerts.messages()[-1]["Subject"].endswith("not approved (States.Timeout)")


def publish_budget_alert_and_let_it_wait(cloud: LocalCloud) -> None:
    """Publish the alert; the execution then waits for its approval, so wait_idle cannot."""
    sns = load_event("cost_controls/budget_alert_actual.json")["Records"][0]["Sns"]
    publish_as_service(
        cloud,
        cloud.physical_id("BudgetAlertTopic"),
        "budgets.amazonaws.com",
        message=sns["Message"],
        subject=sns["Subject"],
    )
    for _ in range(400):
        runs = cloud.executions("CostControlStateMachine")
        entered = [
            e["stateEnteredEventDetails"]["name"]
            for r in runs
            for e in r["history"]
            if "stateEnteredEventDetails" in e
        ]
        if "AskApproval" in entered:
            pass_time(cloud, 0)
            return
        pass_time(cloud, 0)
    raise AssertionError("the restriction never asked for its approval")
