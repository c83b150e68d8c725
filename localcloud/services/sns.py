"""Amazon SNS: deliveries to Lambda are asynchronous invocations carrying a real SNS event.

moto invokes a Lambda subscriber synchronously inside Publish. SNS invokes it asynchronously
(InvocationType=Event), so Lambda's retries apply and Publish returns at once; here the
delivery goes through the Lambda API in the same way.

- A delivery SNS cannot make (the queue's policy or the function's resource policy refuses
  SNS, the endpoint does not exist) is a client-side error, which "Amazon SNS doesn't retry";
  "Amazon SNS discards the message—unless a dead-letter queue is attached to the
  subscription" (SNS Developer Guide, "Amazon SNS dead-letter queues (DLQs)",
  https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html). The subscription's
  `RedrivePolicy` names that queue, and SNS sends to it only as its queue policy allows.
- An encrypted topic (`KmsMasterKeyId`): a publisher needs the key (`iam.permissions`), an AWS
  service publishing needs the key policy to allow it (`publish_as_service`), and a key that
  does not exist or is not enabled fails the Publish with SNS's KMS errors.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from localcloud.core import Core
from localcloud.services.kms import SNS_MANAGED_ALIAS, alias_name
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


def publish_as_service(
    core: Core,
    topic_arn: str,
    service: str,
    message: str,
    *,
    source_arn: str | None,
    subject: str | None = None,
) -> bool:
    """Publish as an AWS service does (EventBridge for a rule's target, S3 for a bucket's
    notification): only if the topic's access policy, and for an encrypted topic its key's
    policy, let the service publish. A refused or failed publish is recorded (on AWS the
    service's message is lost); returns whether SNS took the message."""
    iam = core.service("iam")
    decision = iam.service_may_publish(
        topic_arn, service, source_arn=source_arn, source_account=core.account_id
    )
    if not decision.allowed and iam.mode == "enforce":
        core.record_failure(
            f"{service} publishing to {topic_arn}",
            "AuthorizationError",
            f"{service} may not publish to {topic_arn}: {decision.reason}",
            message,
        )
        return False
    try:
        core.clients.for_arn("sns", topic_arn).publish(
            TopicArn=topic_arn, Message=message, **({"Subject": subject} if subject else {})
        )
    except ClientError as exc:
        error = exc.response["Error"]
        core.record_failure(
            f"{service} publishing to {topic_arn}", error["Code"], error["Message"], message
        )
        return False
    return True


def _check_topic_key(core: Core, topic: Any) -> None:
    """ "KMSNotFound: The request was rejected because the specified entity or resource can't
    be found", "KMSDisabled: ... the specified Amazon Web Services KMS key isn't enabled",
    "KMSInvalidState: ... the state of the specified resource isn't valid for this request"
    (API reference, Publish, Errors)."""
    from moto.sns.exceptions import SNSException

    key = str(topic.kms_master_key_id or "")
    if not key or alias_name(key) == SNS_MANAGED_ALIAS:
        return  # not encrypted, or SNS's own AWS managed key (made on first use)
    region = topic.arn.split(":")[3]
    kms = core.clients("kms", key.split(":")[3] if key.startswith("arn:") else region)
    try:
        metadata = kms.describe_key(KeyId=key)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        raise SNSException("KMSNotFound", f"Key {key} does not exist") from None
    state = metadata.get("KeyState")
    if state == "Disabled":
        raise SNSException("KMSDisabled", f"{metadata['Arn']} is disabled.")
    if state != "Enabled":
        raise SNSException("KMSInvalidState", f"{metadata['Arn']} is {state}.")


def _queue_exists(core: Core, queue_arn: str) -> bool:
    _, _, _, region, account, name = queue_arn.split(":")
    sqs = core.clients("sqs", region)
    try:
        sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
    except sqs.exceptions.QueueDoesNotExist:
        return False
    return True


def _function_exists(core: Core, function_arn: str) -> bool:
    lambda_ = core.clients.for_arn("lambda", function_arn)
    try:
        lambda_.get_function(FunctionName=function_arn)
    except lambda_.exceptions.ResourceNotFoundException:
        return False
    return True


def _undeliverable(core: Core, subscription: Any) -> tuple[str, str] | None:
    """Why SNS cannot deliver to the subscription's endpoint (a client-side error), or None."""
    topic, endpoint, iam = subscription.topic.arn, subscription.endpoint, core.service("iam")
    if subscription.protocol == "sqs":
        if not _queue_exists(core, endpoint):
            return "QueueDoesNotExist", f"{endpoint} does not exist"
        if not iam.service_may_send(endpoint, "sns.amazonaws.com", source_arn=topic):
            return (
                "AccessDenied",
                f"sns.amazonaws.com may not send to {endpoint} (its queue policy)",
            )
    if subscription.protocol == "lambda":
        if not _function_exists(core, endpoint):
            return "ResourceNotFoundException", f"{endpoint} does not exist"
        if not iam.service_may_invoke(endpoint, "sns.amazonaws.com", source_arn=topic):
            return (
                "AccessDeniedException",
                f"sns.amazonaws.com may not invoke {endpoint} (its resource policy)",
            )
    return None


def _dead_letter(
    core: Core,
    subscription: Any,
    why: tuple[str, str],
    message: str,
    message_id: str,
    subject: str | None,
    attributes: dict[str, Any] | None,
    group_id: str | None,
    deduplication_id: str | None,
) -> None:
    """The undeliverable message to the subscription's dead-letter queue, or lost."""
    topic = subscription.topic.arn
    what = f"SNS delivery from {topic}"
    redrive = subscription.attributes.get("RedrivePolicy")
    target = json.loads(redrive).get("deadLetterTargetArn") if redrive else None
    if not target:
        core.record_failure(what, why[0], why[1], message)
        return
    # The dead-letter queue's policy must let SNS send, as the guide's prerequisite says: "To
    # give Amazon SNS principal access to the Amazon SQS API action, set the following queue
    # policy" (SNS Developer Guide, "Configuring an Amazon SNS dead-letter queue for a
    # subscription").
    if not _queue_exists(core, target) or not core.service("iam").service_may_send(
        target, "sns.amazonaws.com", source_arn=topic
    ):
        core.record_failure(
            what,
            why[0],
            f"{why[1]}; SNS may not send to the dead-letter queue {target} either",
            message,
        )
        return
    # The guide does not show what SNS puts in the dead-letter queue: here it is what the
    # endpoint would have had, the notification document (or the raw message with raw
    # delivery on), without attributes of its own.
    raw = str(subscription.attributes.get("RawMessageDelivery", "false")).lower() == "true"
    body = (
        message
        if raw
        else json.dumps(
            subscription.get_post_data(message, message_id, subject, message_attributes=attributes)
        )
    )
    _, _, _, region, account, name = target.split(":")
    sqs = core.clients("sqs", region)
    url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    fifo = {"MessageGroupId": group_id} if group_id and name.endswith(".fifo") else {}
    if fifo and deduplication_id:
        fifo["MessageDeduplicationId"] = deduplication_id
    sqs.send_message(QueueUrl=url, MessageBody=body, **fifo)


def install(core: Core) -> None:
    import moto.s3.notifications as s3_notifications
    from moto.sns.models import SNSBackend, Subscription

    original = core.hooks.original(Subscription, "publish")
    backend_publish = core.hooks.original(SNSBackend, "publish")

    def publish_to_topic(
        self: Any, message: str, arn: str | None, *args: Any, **kwargs: Any
    ) -> str:
        if arn and ":" in arn and arn in self.topics:
            _check_topic_key(core, self.topics[arn])
        return backend_publish(self, message, arn, *args, **kwargs)  # type: ignore[no-any-return]

    core.hooks.replace(SNSBackend, "publish", publish_to_topic)

    def send_sns_message(
        account_id: str, event_body: Any, topic_arn: str, region_name: str
    ) -> None:
        # S3 publishes a bucket's notifications as the service principal s3.amazonaws.com,
        # for the bucket (its ARN is the source the topic's and key's policies may name).
        records = event_body.get("Records") or [{}]
        bucket = records[0].get("s3", {}).get("bucket", {}).get("name") or event_body.get("Bucket")
        publish_as_service(
            core,
            topic_arn,
            "s3.amazonaws.com",
            json.dumps(event_body),
            source_arn=f"arn:aws:s3:::{bucket}" if bucket else None,
            subject="Amazon S3 Notification",
        )

    core.hooks.replace(s3_notifications, "_send_sns_message", send_sns_message)

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
        if self.protocol in ("sqs", "lambda"):
            if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(
                message_attributes, message
            ):
                return None  # filtered out: not a delivery, so not a failed one either
            why = _undeliverable(core, self)
            if why is not None:
                _dead_letter(
                    core,
                    self,
                    why,
                    message,
                    message_id,
                    subject,
                    message_attributes,
                    group_id,
                    deduplication_id,
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
        invoke_async(core, self.endpoint, event)
        return None

    core.hooks.replace(Subscription, "publish", publish)
