"""Amazon SNS: deliveries to Lambda are asynchronous invocations carrying a real SNS event.

moto invokes a Lambda subscriber synchronously inside Publish. SNS invokes it asynchronously
(InvocationType=Event), so Lambda's retries apply and Publish returns at once; here the
delivery goes through the Lambda API in the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from localcloud.core import Core
from localcloud.services.lambda_ import invoke_async


def _iso_ms(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sns_lambda_event(
    *,
    topic_arn: str,
    subscription_arn: str,
    message: str,
    message_id: str,
    subject: str | None,
    attributes: dict[str, Any] | None,
) -> dict[str, Any]:
    """The event Lambda receives from SNS, field for field."""
    region = topic_arn.split(":")[3]
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": topic_arn,
                    "Subject": subject,
                    "Message": message,
                    "Timestamp": _iso_ms(),
                    "SignatureVersion": "1",
                    "Signature": "bG9jYWxjbG91ZA==",
                    "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-local.pem",
                    "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription_arn}",
                    "MessageAttributes": {
                        k: {
                            "Type": v.get("Type", v.get("DataType", "String")),
                            "Value": v.get("Value", v.get("StringValue")),
                        }
                        for k, v in (attributes or {}).items()
                    },
                },
            }
        ]
    }


def install(core: Core) -> None:
    from moto.sns.models import Subscription

    original = core.hooks.original(Subscription, "publish")

    def publish(
        self: Any,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        message_structure: str | None = None,
    ) -> None:
        if self.protocol == "sqs" and not core.service("iam").service_may_send(
            self.endpoint, "sns.amazonaws.com", source_arn=self.topic.arn
        ):
            # SNS cannot deliver: the queue's policy does not let the topic send to it.
            core.record_failure(
                f"SNS delivery from {self.topic.arn}",
                "AccessDenied",
                f"sns.amazonaws.com may not send to {self.endpoint} (its queue policy)",
                message,
            )
            return None
        if self.protocol != "lambda" or core.functions.get(self.endpoint) is None:
            return original(  # type: ignore[no-any-return]
                self,
                message,
                message_id,
                subject=subject,
                message_attributes=message_attributes,
                group_id=group_id,
                deduplication_id=deduplication_id,
                message_structure=message_structure,
            )
        if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(
            message_attributes, message
        ):
            return None
        if message_structure == "json":
            message = self._parse_message_structure(message, self.protocol)
        event = sns_lambda_event(
            topic_arn=self.topic.arn,
            subscription_arn=self.arn,
            message=message,
            message_id=message_id,
            subject=subject,
            attributes=message_attributes,
        )
        if core.service("iam").service_may_invoke(
            self.endpoint, "sns.amazonaws.com", source_arn=self.topic.arn
        ):
            invoke_async(core, self.endpoint, event)
        else:  # SNS records the failed delivery; the function never runs
            core.record_failure(
                f"SNS delivery from {self.topic.arn}",
                "AccessDeniedException",
                f"sns.amazonaws.com may not invoke {self.endpoint} (its resource policy)",
                event,
            )
        return None

    core.hooks.replace(Subscription, "publish", publish)
