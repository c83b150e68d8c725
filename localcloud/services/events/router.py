"""EventBridge's router: a rule that matches an event sends it to each target, through the APIs.

moto matches rules with its own pattern code and delivers synchronously. Here rules match with
EventBridge's semantics (`pattern`), each target gets its Input, InputPath or InputTransformer
(`target_input`), and delivery is what EventBridge does: an asynchronous Lambda invocation,
StartExecution, SNS Publish or SQS SendMessage. Other target types go to moto's own delivery.

A delivery that fails is retried per the target's RetryPolicy, on the local cloud's clock, then
sent to its DeadLetterConfig queue (`delivery`); without one it is recorded as a failure.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.core import Core
from localcloud.services.events.delivery import Delivery, DeliveryFailed, Retries
from localcloud.services.events.pattern import InvalidEventPattern, matches, validate_pattern
from localcloud.services.events.target_input import target_input
from localcloud.services.lambda_ import invoke_async


def _event_time(value: Any) -> str:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


# The targets EventBridge delivers to here; others go to moto's own delivery.
_DELIVERED = frozenset({"lambda", "states", "sns", "sqs"})
# EventBridge's RetryPolicy is the retry: the SDK client it delivers with does not retry too.
# (Not the local cloud's internal client, so faults injected on the target's API apply.)
_ONE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})


def _text(payload: Any) -> str:
    return payload if isinstance(payload, str) else json.dumps(payload)


class Router:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._moto_send: Callable[..., None] | None = None
        self.retries = Retries(core, self._attempt)

    def deliver(self, rule: Any, event: dict[str, Any]) -> list[Any]:
        """Send `event` to every target of a moto rule, as EventBridge does once it matched.

        Returns what each first attempt started: an execution ARN for a state machine, else
        the target's ARN; a target whose delivery failed adds nothing (it is retried or sent to
        its dead-letter queue)."""
        results: list[Any] = []
        for target in rule.targets:
            arn: str = target["Arn"]
            if arn.split(":")[2] not in _DELIVERED:
                assert self._moto_send is not None
                single = copy.copy(rule)
                single.targets = [target]
                self._moto_send(single, event)
                results.append(arn)
                continue
            payload = target_input(target, event, rule_arn=rule.arn, rule_name=rule.name)
            delivery = Delivery(rule.arn, rule.name, copy.deepcopy(target), event, payload)
            started = self.retries.first(delivery)
            if started is not None:
                results.append(started)
        return results

    def _attempt(self, delivery: Delivery) -> Any:
        """One delivery attempt; raises DeliveryFailed as EventBridge would classify it."""
        target, payload = delivery.target, delivery.payload
        arn: str = target["Arn"]
        service = arn.split(":")[2]
        iam = self.core.service("iam")
        try:
            if service == "lambda":
                if not iam.service_may_invoke(
                    arn, "events.amazonaws.com", source_arn=delivery.rule_arn
                ):  # a FailedInvocations datapoint on AWS; the function never runs
                    raise DeliveryFailed.refused(
                        "AccessDeniedException",
                        f"events.amazonaws.com may not invoke {arn} (its resource policy)",
                    )
                invoke_async(self.core, arn, payload)
                return arn
            if service == "states":
                # EventBridge starts the machine with the target's role, as AWS requires.
                sfn = self._as_role(target.get("RoleArn"), "stepfunctions", arn)
                return sfn.start_execution(stateMachineArn=arn, input=_text(payload))[
                    "executionArn"
                ]
            if service == "sns":
                # EventBridge publishes as events.amazonaws.com: the topic's access policy, and
                # an encrypted topic's key policy, must let it (localcloud.services.sns).
                decision = iam.service_may_publish(
                    arn,
                    "events.amazonaws.com",
                    source_arn=delivery.rule_arn,
                    source_account=self.core.account_id,
                )
                if not decision.allowed and iam.mode == "enforce":
                    raise DeliveryFailed.refused(
                        "AuthorizationError",
                        f"events.amazonaws.com may not publish to {arn}: {decision.reason}",
                    )
                self.core.clients.for_arn("sns", arn).publish(TopicArn=arn, Message=_text(payload))
                return arn
            if not iam.service_may_send(arn, "events.amazonaws.com", source_arn=delivery.rule_arn):
                raise DeliveryFailed.refused(
                    "AccessDenied", f"events.amazonaws.com may not send to {arn} (its queue policy)"
                )
            _, _, _, _, account, name = arn.split(":")
            sqs = self.core.clients.for_arn("sqs", arn)
            url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=_text(payload))
            return arn
        except ClientError as error:
            raise DeliveryFailed.of(error) from error

    def _as_role(self, role_arn: str | None, service: str, target_arn: str) -> Any:
        """A client signing with temporary credentials of the target's role (or, without one,
        the local cloud's own)."""
        region = target_arn.split(":")[3]
        if not role_arn:
            return self.core.clients(service, region)
        try:
            return self.core.clients.as_role(
                role_arn, "EventBridge", service, region, config=_ONE_ATTEMPT
            )
        except ClientError as error:  # EventBridge could not assume the target's role
            raise DeliveryFailed(
                "FAILED_TO_ASSUME_ROLE",
                error.response["Error"].get("Code", "AccessDenied"),
                error.response["Error"].get("Message", str(error)),
                retriable=False,
            ) from error

    def install(self) -> None:
        from moto.events.models import Rule

        self._moto_send = self.core.hooks.original(Rule, "send_to_targets")
        router = self

        def send_to_targets(
            self: Any, original_event: dict[str, Any], transform_input: bool = True
        ) -> None:
            pattern = self.event_pattern.get_pattern()
            # A rule with only a schedule never matches events; a disabled rule delivers nothing.
            if self.state != "ENABLED" or not pattern:
                return None
            event = dict(original_event)
            event.pop("ingestion-time", None)
            event["time"] = _event_time(event.get("time"))
            if matches(pattern, event):
                router.deliver(self, event)
            return None

        self.core.hooks.replace(Rule, "send_to_targets", send_to_targets)
        self._validate_patterns_at_put_rule()

    def _validate_patterns_at_put_rule(self) -> None:
        """PutRule (and every other API taking a pattern) refuses what EventBridge refuses, with
        its InvalidEventPatternException; moto only checks that values are arrays."""
        from moto.events.exceptions import InvalidEventPatternException
        from moto.events.models import EventPatternParser

        original = self.core.hooks.original(EventPatternParser, "parse")

        def parse(self: Any) -> dict[str, Any]:
            parsed: dict[str, Any] = original(self)
            try:
                validate_pattern(parsed)
            except InvalidEventPattern as refused:
                raise InvalidEventPatternException(reason=refused.reason) from None
            return parsed

        self.core.hooks.replace(EventPatternParser, "parse", parse)
