"""Every function and machine of template.yaml keeps its logs for a bounded time and has a
failure path that ends on AlertTopic: a function or machine added without them fails here.

(Issue #18: "A test fails when a new function or machine lacks its log group, retention or
failure path.")
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud.template import load_yaml
from tests.support.paths import TEMPLATE

RESOURCES: dict[str, Any] = load_yaml(TEMPLATE)["Resources"]
FUNCTIONS = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}
MACHINES = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::StateMachine"}
RULES = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Events::Rule"}
ALARMS = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
# SAM event sources whose deliveries are asynchronous invocations or EventBridge targets.
RULE_EVENTS = {"Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent"}
ASYNC_EVENTS = RULE_EVENTS | {"SNS", "S3"}
# Machines whose input may carry a secret (a Batch job's environment), so their logs never
# include execution data.
MAY_CARRY_SECRETS = {
    "BatchJobPollerStateMachine",
    "GenomicsWorkflowStateMachine",
    "GenomicsWorkflowSyncStateMachine",
}


def _events(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(body["Properties"].get("Events") or {})


def _ref(value: Any) -> str | None:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return str(value["Ref"])
    return None


def _get_att(value: Any) -> tuple[str, str] | None:
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        target = value["Fn::GetAtt"]
        logical_id, attribute = target.split(".", 1) if isinstance(target, str) else target
        return str(logical_id), str(attribute)
    return None


def _log_group(logical_id: str, reference: tuple[str, str] | str | None) -> dict[str, Any]:
    name = reference[0] if isinstance(reference, tuple) else reference
    assert name in RESOURCES, f"{logical_id}: its log group {name!r} is not in the template"
    group = RESOURCES[name]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, (
        f"{name}: retention must be LogRetentionDays"
    )
    assert group.get("Condition") == RESOURCES[logical_id].get("Condition"), (
        f"{name} must exist exactly when {logical_id} does"
    )
    return dict(group)


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_logs_to_its_own_group_kept_log_retention_days(logical_id: str) -> None:
    config = FUNCTIONS[logical_id]["Properties"].get("LoggingConfig") or {}
    group = _log_group(logical_id, _ref(config.get("LogGroup")))
    name = json.dumps(group["Properties"]["LogGroupName"])
    assert logical_id in name, f"{logical_id}: its group's name should say whose it is"


@pytest.mark.parametrize("logical_id", sorted(MACHINES))
def test_every_machine_logs_at_the_chosen_level_to_its_own_group(logical_id: str) -> None:
    props = MACHINES[logical_id]["Properties"]
    logging = props.get("Logging") or {}
    assert logging.get("Level") == {"Ref": "StateMachineLogLevel"}
    [destination] = logging["Destinations"]
    arn = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]
    assert _get_att(arn) == (f"{logical_id}LogGroup", "Arn")
    _log_group(logical_id, _get_att(arn))
    # Step Functions sets the delivery up with the machine's own role.
    assert {"Ref": "StateMachineLogDeliveryPolicy"} in props["Policies"]
    assert logging["IncludeExecutionData"] is (logical_id not in MAY_CARRY_SECRETS)


def _invoked_asynchronously(logical_id: str) -> bool:
    if any(e["Type"] in ASYNC_EVENTS for e in _events(FUNCTIONS[logical_id]).values()):
        return True
    targets = [
        target for rule in RULES.values() for target in rule["Properties"].get("Targets") or []
    ]
    subscriptions = [
        r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::SNS::Subscription"
    ]
    return any(_get_att(t["Arn"]) == (logical_id, "Arn") for t in targets) or any(
        s["Protocol"] == "lambda" and _get_att(s["Endpoint"]) == (logical_id, "Arn")
        for s in subscriptions
    )


def test_the_asynchronously_invoked_functions_are_known() -> None:
    """If this changes, the next test covers the new one: say so in the README's replay part."""
    assert {f for f in FUNCTIONS if _invoked_asynchronously(f)} == {
        "AlertFormatterFunction",
        "BudgetRouterFunction",
        "SnapshotNotifyFunction",
        "SnapshotScheduleFunction",
    }


@pytest.mark.parametrize("logical_id", sorted(f for f in FUNCTIONS if _invoked_asynchronously(f)))
def test_every_asynchronously_invoked_function_keeps_the_events_it_failed_on(
    logical_id: str,
) -> None:
    props = FUNCTIONS[logical_id]["Properties"]
    on_failure = ((props.get("EventInvokeConfig") or {}).get("DestinationConfig") or {}).get(
        "OnFailure"
    ) or {}
    destination = on_failure.get("Destination") or (props.get("DeadLetterQueue") or {}).get(
        "TargetArn"
    )
    assert destination is not None, f"{logical_id} has no OnFailure destination or DLQ"
    _watched_queue(_get_att(destination))


def _rule_targets() -> list[tuple[str, dict[str, Any]]]:
    found = [
        (f"{k}.{e}", dict(event["Properties"]))
        for k, body in {**FUNCTIONS, **MACHINES}.items()
        for e, event in _events(body).items()
        if event["Type"] in RULE_EVENTS
    ]
    for logical_id, rule in RULES.items():
        found += [(f"{logical_id}.{t['Id']}", dict(t)) for t in rule["Properties"]["Targets"]]
    return found


@pytest.mark.parametrize(("where", "target"), _rule_targets(), ids=[w for w, _ in _rule_targets()])
def test_every_eventbridge_target_retries_then_dead_letters(
    where: str, target: dict[str, Any]
) -> None:
    assert "RetryPolicy" in target, f"{where} has no RetryPolicy"
    dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
    assert dead_letter is not None, f"{where} has no DeadLetterConfig"
    _watched_queue(_get_att(dead_letter))


def _subscriptions() -> list[tuple[str, dict[str, Any]]]:
    found = [
        (f"{k}.{e}", dict(event["Properties"]))
        for k, body in FUNCTIONS.items()
        for e, event in _events(body).items()
        if event["Type"] == "SNS"
    ]
    found += [
        (k, dict(r["Properties"]))
        for k, r in RESOURCES.items()
        if r["Type"] == "AWS::SNS::Subscription"
    ]
    return found


@pytest.mark.parametrize(("where", "props"), _subscriptions(), ids=[w for w, _ in _subscriptions()])
def test_every_sns_subscription_redrives_what_it_cannot_deliver(
    where: str, props: dict[str, Any]
) -> None:
    redrive = props.get("RedrivePolicy") or {}
    assert "deadLetterTargetArn" in redrive, f"{where} has no redrive policy"
    _watched_queue(_get_att(redrive["deadLetterTargetArn"]))


def _watched_queue(reference: tuple[str, str] | None) -> None:
    """The queue is in the template and an alarm on its depth notifies AlertTopic."""
    assert reference is not None and reference[1] == "Arn", "a queue's ARN by Fn::GetAtt"
    queue = reference[0]
    assert RESOURCES[queue]["Type"] == "AWS::SQS::Queue"
    watching = [
        alarm["Properties"]
        for alarm in ALARMS.values()
        if alarm["Properties"].get("Namespace") == "AWS/SQS"
        and alarm["Properties"]["Dimensions"]
        == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
    ]
    assert watching, f"no alarm watches {queue}'s depth"
    for alarm in watching:
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert alarm["AlarmActions"] == [{"Ref": "AlertTopic"}]
        assert alarm["TreatMissingData"] == "notBreaching"  # an idle queue sends no data


def test_every_queue_that_holds_failures_is_watched() -> None:
    for logical_id, body in RESOURCES.items():
        if body["Type"] != "AWS::SQS::Queue":
            continue
        redrive = body["Properties"].get("RedrivePolicy")
        if redrive:  # a working queue: its dead-letter queue holds the failures
            _watched_queue(_get_att(redrive["deadLetterTargetArn"]))
        elif logical_id != "EcsMetricsSampleQueue":
            _watched_queue((logical_id, "Arn"))


def test_the_alert_formatters_own_failures_reach_alert_topic() -> None:
    [alarm] = [
        a["Properties"]
        for a in ALARMS.values()
        if a["Properties"].get("Namespace") == "AWS/Lambda"
        and a["Properties"]["Dimensions"]
        == [{"Name": "FunctionName", "Value": {"Ref": "AlertFormatterFunction"}}]
    ]
    assert alarm["MetricName"] == "Errors"
    assert alarm["AlarmActions"] == [{"Ref": "AlertTopic"}]


def test_the_topics_are_encrypted_with_the_key_their_publishers_may_use() -> None:
    for topic in ("AlertTopic", "BudgetAlertTopic"):
        assert RESOURCES[topic]["Properties"]["KmsMasterKeyId"] == {"Ref": "TopicKey"}
    statements = RESOURCES["TopicKey"]["Properties"]["KeyPolicy"]["Statement"]
    services: set[str] = set()
    for statement in statements:
        named = statement["Principal"].get("Service") or []
        if {"kms:GenerateDataKey*", "kms:Decrypt"} <= set(statement["Action"]):
            services |= {named} if isinstance(named, str) else set(named)
    assert services == {"budgets.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"}


def test_whoever_publishes_alerts_has_the_topics_key() -> None:
    """A role allowed sns:Publish on AlertTopic without the key would fail every publish
    (SNS answers KMSAccessDenied): every publisher takes PublishAlertsPolicy."""
    for logical_id, body in {**FUNCTIONS, **MACHINES}.items():
        policies = json.dumps(body["Properties"].get("Policies") or [])
        if "SNSPublishMessagePolicy" in policies:
            raise AssertionError(f"{logical_id}: publish with PublishAlertsPolicy")
        environment = json.dumps(body["Properties"].get("DefinitionSubstitutions") or {})
        if '"AlertTopicArn": {"Ref": "AlertTopic"}' in environment:
            assert {"Ref": "PublishAlertsPolicy"} in body["Properties"]["Policies"], logical_id


def _suppressions(body: dict[str, Any]) -> list[tuple[str, str]]:
    metadata = body.get("Metadata") or {}
    found = [
        (s["id"], s.get("comment", "")) for s in (metadata.get("checkov") or {}).get("skip", [])
    ]
    ignored = ((metadata.get("cfn-lint") or {}).get("config") or {}).get("ignore_checks", [])
    return found + [(check, "cfn-lint") for check in ignored]


@pytest.mark.parametrize("logical_id", sorted(k for k, v in RESOURCES.items() if _suppressions(v)))
def test_every_suppressed_finding_says_why(logical_id: str) -> None:
    """checkov's skips carry their reason as `comment`; cfn-lint's ignore_checks carry it as
    the YAML comment on the same line, which the parsed template no longer has: read the line."""
    for check, comment in _suppressions(RESOURCES[logical_id]):
        if comment == "cfn-lint":
            lines = TEMPLATE.read_text(encoding="utf-8").splitlines()
            assert any(check in line and "  # " in line for line in lines), check
        else:
            assert len(comment.split()) >= 4, f"{logical_id}: {check} needs its reason"
