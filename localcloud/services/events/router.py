"""EventBridge's router: a rule that matches an event sends it to each target, through the APIs.

moto matches rules with its own pattern code and delivers synchronously. Here rules match with
EventBridge's semantics (`pattern`), each target gets its Input, InputPath or InputTransformer
(`target_input`), and delivery is what EventBridge does: an asynchronous Lambda invocation,
StartExecution, SNS Publish or SQS SendMessage. Other target types go to moto's own delivery.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from localcloud.core import Core
from localcloud.services.events.pattern import matches
from localcloud.services.events.target_input import target_input
from localcloud.services.lambda_ import invoke_async


def _event_time(value: Any) -> str:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _text(payload: Any) -> str:
    return payload if isinstance(payload, str) else json.dumps(payload)


class Router:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._moto_send: Callable[..., None] | None = None

    def deliver(self, rule: Any, event: dict[str, Any]) -> list[Any]:
        """Send `event` to every target of a moto rule, as EventBridge does once it matched.

        Returns what each delivery started: an execution ARN for a state machine, else the
        target's ARN."""
        clients = self.core.clients
        results: list[Any] = []
        for target in rule.targets:
            arn: str = target["Arn"]
            payload = target_input(target, event, rule_arn=rule.arn, rule_name=rule.name)
            service = arn.split(":")[2]
            if service == "lambda":
                if self.core.service("iam").service_may_invoke(
                    arn, "events.amazonaws.com", source_arn=rule.arn
                ):
                    invoke_async(self.core, arn, payload)
                else:  # a FailedInvocations datapoint on AWS; the function never runs
                    self.core.record_failure(
                        f"rule {rule.name}",
                        "AccessDeniedException",
                        f"events.amazonaws.com may not invoke {arn} (its resource policy)",
                        payload,
                    )
                results.append(arn)
            elif service == "states":
                # EventBridge starts the machine with the target's role, as AWS requires.
                sfn = self._as_role(target.get("RoleArn"), "stepfunctions", arn)
                started = sfn.start_execution(stateMachineArn=arn, input=_text(payload))
                results.append(started["executionArn"])
            elif service == "sns":
                clients.for_arn("sns", arn).publish(TopicArn=arn, Message=_text(payload))
                results.append(arn)
            elif service == "sqs" and not self.core.service("iam").service_may_send(
                arn, "events.amazonaws.com", source_arn=rule.arn
            ):
                self.core.record_failure(
                    f"rule {rule.name}",
                    "AccessDenied",
                    f"events.amazonaws.com may not send to {arn} (its queue policy)",
                    payload,
                )
                results.append(arn)
            elif service == "sqs":
                _, _, _, _, account, name = arn.split(":")
                sqs = clients.for_arn("sqs", arn)
                url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
                sqs.send_message(QueueUrl=url, MessageBody=_text(payload))
                results.append(arn)
            else:
                assert self._moto_send is not None
                single = copy.copy(rule)
                single.targets = [target]
                self._moto_send(single, event)
                results.append(arn)
        return results

    def _as_role(self, role_arn: str | None, service: str, target_arn: str) -> Any:
        """A client signing with temporary credentials of the target's role (or, without one,
        the local cloud's own)."""
        region = target_arn.split(":")[3]
        if not role_arn:
            return self.core.clients(service, region)
        return self.core.clients.as_role(role_arn, "EventBridge", service, region)

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
