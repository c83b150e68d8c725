"""What EventBridge does with a delivery that fails: RetryPolicy on the local cloud's clock, then
the target's DeadLetterConfig queue, with the documented message attributes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from localcloud import LocalCloud, testing
from tests.support.paths import LOCALCLOUD_TEMPLATES
from tests.support.queues import let_service_send, make_queue
from tests.support.roles import machine_role, service_role

# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
# "Each message in your DLQ will include the following custom attributes: RULE_ARN, TARGET_ARN,
# ERROR_CODE [...] ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION [...] MaximumRetryAttempts,
# MaximumEventAgeInSeconds [...] RETRY_ATTEMPTS" and "Event errors are handled in different
# ways. Some events are dropped or sent to a DLQ without any retry attempts. For example, for
# errors that result from missing permissions to a target, a target resource that no longer
# exists [...] no retry attempts will happen until action is taken to resolve the underlying
# issue. EventBridge sends these events directly to the target DLQ, if you have specified one."
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
# "When an event isn't successfully delivered to a target because of retriable errors,
# EventBridge retries sending the event. You set the length of time it tries, and number of
# retry attempts in the Retry policy settings for the target. By default, EventBridge retries
# sending the event for 24 hours and up to 185 times with an exponential back off and jitter"

PASS = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


def _eventually(cloud: LocalCloud, check: Callable[[], Any], *, step: float = 0.0) -> Any:
    """`check()` once it is truthy, moving the clock `step` seconds between looks (retries wait
    on the clock, and at time_scale 0 only a scaled wait moves it)."""
    deadline = time.monotonic() + 30
    while True:
        cloud.wait_idle(timeout=30)
        found = check()
        if found or time.monotonic() > deadline:
            return found
        if step:
            cloud.clock.sleep(step)
        time.sleep(0.02)


def _queue(cloud: LocalCloud, name: str, *, allow_rule: str | None = None) -> tuple[str, str]:
    url, arn = make_queue(cloud, name)
    if allow_rule is not None:
        let_service_send(cloud, url, arn, "events.amazonaws.com", allow_rule)
    return url, arn


def _dead_letters(cloud: LocalCloud, url: str) -> list[dict[str, Any]]:
    sqs = cloud.client("sqs")
    received = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", [])
    return [
        {
            "event": json.loads(m["Body"]),
            **{k: v["StringValue"] for k, v in m.get("MessageAttributes", {}).items()},
        }
        for m in received
    ]


def _rule(cloud: LocalCloud, name: str, target: dict[str, Any]) -> str:
    events = cloud.client("events")
    arn = events.put_rule(Name=name, EventPattern=json.dumps({"source": [name]}))["RuleArn"]
    events.put_targets(Rule=name, Targets=[{"Id": "t", **target}])
    return str(arn)


def _send(cloud: LocalCloud, source: str) -> None:
    cloud.put_events([{"Source": source, "DetailType": "test", "Detail": {"n": 1}}])


@pytest.fixture
def machine(cloud: LocalCloud) -> tuple[str, str]:
    """A state machine and a role EventBridge may start it with."""
    role = machine_role(cloud, "pass-machine")
    arn = cloud.client("stepfunctions").create_state_machine(
        name="pass", definition=json.dumps(PASS), roleArn=role
    )["stateMachineArn"]
    starter = service_role(
        cloud,
        "events-starter",
        "events.amazonaws.com",
        {"Effect": "Allow", "Action": "states:StartExecution", "Resource": arn},
    )
    return arn, starter


def _executions(cloud: LocalCloud, arn: str) -> list[dict[str, Any]]:
    listed = cloud.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]
    return list(listed)


def test_a_missing_target_goes_to_the_dead_letter_queue_at_once_without_retries(
    cloud: LocalCloud, machine: tuple[str, str]
) -> None:
    missing = machine[0].replace(":pass", ":no-such-machine")
    rule = f"arn:aws:events:{cloud.stack().region}:{cloud.account_id}:rule/gone"
    url, dlq = _queue(cloud, "gone-dlq", allow_rule=rule)
    assert _rule(cloud, "gone", {"Arn": missing, "DeadLetterConfig": {"Arn": dlq}}) == rule
    _send(cloud, "gone")
    cloud.wait_idle(timeout=30)  # the clock does not move: no retry is waited for
    [letter] = _dead_letters(cloud, url)
    assert letter["event"]["source"] == "gone" and letter["event"]["detail"] == {"n": 1}
    assert letter["RULE_ARN"] == rule
    assert letter["TARGET_ARN"] == missing
    assert letter["ERROR_CODE"] == "NO_RESOURCE"
    assert "no-such-machine" in letter["ERROR_MESSAGE"]
    assert letter["RETRY_ATTEMPTS"] == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in letter  # no retry condition ran out
    assert cloud.async_failures == []


def test_a_refused_function_is_not_retried_and_goes_to_the_dead_letter_queue(
    cloud: LocalCloud,
) -> None:
    # RecorderB's resource policy lets only its topic invoke it, not EventBridge.
    function = cloud.attribute("RecorderB", "Arn")
    rule = f"arn:aws:events:{cloud.stack().region}:{cloud.account_id}:rule/refused"
    url, dlq = _queue(cloud, "refused-dlq", allow_rule=rule)
    _rule(cloud, "refused", {"Arn": function, "DeadLetterConfig": {"Arn": dlq}})
    _send(cloud, "refused")
    cloud.wait_idle(timeout=30)
    [letter] = _dead_letters(cloud, url)
    assert (letter["ERROR_CODE"], letter["RETRY_ATTEMPTS"]) == ("NO_PERMISSIONS", "0")
    assert not [line for line in cloud.function_log("RecorderB") if line.startswith("START")]


def test_throttling_is_retried_on_the_clock_until_the_target_accepts(
    cloud: LocalCloud, machine: tuple[str, str]
) -> None:
    arn, starter = machine
    target = {"Arn": arn, "RoleArn": starter, "RetryPolicy": {"MaximumRetryAttempts": 5}}
    _rule(cloud, "throttled", target)
    with testing.inject_fault(cloud, "stepfunctions", "StartExecution", count=2) as fault:
        _send(cloud, "throttled")
        cloud.wait_idle(timeout=30)
        assert _executions(cloud, arn) == []  # failed once; the retry waits on the clock
        assert fault.injected == 1
        started = _eventually(cloud, lambda: _executions(cloud, arn), step=5)
    assert len(started) == 1
    assert fault.injected == 2 and fault.calls == 3  # two throttled attempts, then the start
    assert cloud.async_failures == []


def test_retries_that_run_out_send_the_event_to_the_dead_letter_queue(
    cloud: LocalCloud, machine: tuple[str, str]
) -> None:
    arn, starter = machine
    rule = f"arn:aws:events:{cloud.stack().region}:{cloud.account_id}:rule/exhausted"
    url, dlq = _queue(cloud, "exhausted-dlq", allow_rule=rule)
    target = {
        "Arn": arn,
        "RoleArn": starter,
        "RetryPolicy": {"MaximumRetryAttempts": 2},
        "DeadLetterConfig": {"Arn": dlq},
    }
    _rule(cloud, "exhausted", target)
    with testing.inject_fault(cloud, "stepfunctions", "StartExecution") as fault:
        _send(cloud, "exhausted")
        [letter] = _eventually(cloud, lambda: _dead_letters(cloud, url), step=5)
    assert fault.injected == 3  # the attempt and its two retries
    assert letter["ERROR_CODE"] == "THROTTLING"
    assert letter["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert letter["RETRY_ATTEMPTS"] == "2"
    assert _executions(cloud, arn) == []


def test_the_event_age_limit_ends_retries_before_the_attempts_run_out(
    cloud: LocalCloud, machine: tuple[str, str]
) -> None:
    arn, starter = machine
    rule = f"arn:aws:events:{cloud.stack().region}:{cloud.account_id}:rule/aged"
    url, dlq = _queue(cloud, "aged-dlq", allow_rule=rule)
    target = {
        "Arn": arn,
        "RoleArn": starter,
        "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 60},
        "DeadLetterConfig": {"Arn": dlq},
    }
    _rule(cloud, "aged", target)
    began = cloud.clock.now()
    with testing.inject_fault(cloud, "stepfunctions", "StartExecution") as fault:
        _send(cloud, "aged")
        [letter] = _eventually(cloud, lambda: _dead_letters(cloud, url), step=5)
    assert letter["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert 1 < int(letter["RETRY_ATTEMPTS"]) < 185 and fault.injected > 2
    assert cloud.clock.now() - began < 60 + 60  # no retry later than the event's age allows


def test_without_a_dead_letter_queue_the_lost_event_is_recorded(
    cloud: LocalCloud, machine: tuple[str, str]
) -> None:
    arn, starter = machine
    _rule(
        cloud,
        "dropped",
        {"Arn": arn, "RoleArn": starter, "RetryPolicy": {"MaximumRetryAttempts": 0}},
    )
    with testing.inject_fault(cloud, "stepfunctions", "StartExecution"):
        _send(cloud, "dropped")
        cloud.wait_idle(timeout=30)
    [failure] = cloud.async_failures
    assert failure.what == "rule dropped"
    assert failure.error_type == "ThrottlingException"


def test_a_dead_letter_queue_eventbridge_may_not_send_to_loses_the_event(
    cloud: LocalCloud, machine: tuple[str, str]
) -> None:
    missing = machine[0].replace(":pass", ":absent")
    url, dlq = _queue(cloud, "closed-dlq")  # no policy for the rule
    _rule(cloud, "closed", {"Arn": missing, "DeadLetterConfig": {"Arn": dlq}})
    _send(cloud, "closed")
    cloud.wait_idle(timeout=30)
    assert _dead_letters(cloud, url) == []
    [failure] = cloud.async_failures
    assert failure.error_type == "StateMachineDoesNotExist"
    assert "dead-letter queue" in failure.error_message


def test_sam_makes_the_dead_letter_queue_of_a_schedule_event_and_lets_its_rule_send(
    cloud_factory: Any,
) -> None:
    # SAM's DeadLetterConfig (Schedule / EventBridgeRule events), Type: "When this property is
    # set, AWS SAM automatically creates a dead-letter queue and attaches necessary
    # resource-based policy to grant permission to rule resource to send events to the queue."
    # https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-statemachine-statemachinedeadletterconfig.html
    cloud = cloud_factory(template=LOCALCLOUD_TEMPLATES / "schedules.yaml")
    url = cloud.physical_id("EveryFiveMinutesTickQueue")  # <rule's logical id>Queue
    with testing.inject_fault(cloud, "stepfunctions", "StartExecution") as fault:
        assert cloud.fire_schedule("EveryFiveMinutes") == []
        [letter] = _eventually(cloud, lambda: _dead_letters(cloud, url), step=5)
    assert fault.injected == 2  # RetryPolicy: MaximumRetryAttempts 1
    assert letter["event"]["detail-type"] == "Scheduled Event"
    assert letter["RULE_ARN"] == cloud.attribute("EveryFiveMinutesTick", "Arn")
    assert letter["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
