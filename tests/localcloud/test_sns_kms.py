"""SNS topics encrypted with KMS, KMS key policies, and SNS subscriptions' dead-letter queues,
each as the AWS documentation quoted in its test says."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from localcloud.testing import drain, publish_as_service
from tests.localcloud.test_iam_enforcement import error_code, user
from tests.support.queues import let_service_send, make_queue

SNS_KEY_DOC = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html"
DLQ_DOC = "https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html"


def _root_policy(cloud: LocalCloud, *extra: dict[str, Any]) -> str:
    """KMS's default key policy ("Enable IAM User Permissions") and `extra` statements."""
    root = {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{cloud.account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [root, *extra]})


def _service_statement(service: str) -> dict[str, Any]:
    # The statement the SNS Developer Guide tells you to add, for the service publishing.
    return {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
        "Resource": "*",
    }


def _topic(cloud: LocalCloud, name: str, key: str, *services: str) -> str:
    """An encrypted topic whose access policy lets these services publish."""
    sns = cloud.client("sns")
    arn = sns.create_topic(Name=name, Attributes={"KmsMasterKeyId": key})["TopicArn"]
    if services:
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": list(services)},
                    "Action": "sns:Publish",
                    "Resource": arn,
                }
            ],
        }
        sns.set_topic_attributes(
            TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(policy)
        )
    return str(arn)


def _queue(
    cloud: LocalCloud, name: str, topic: str | None = None, key: str | None = None
) -> tuple[str, str]:
    """A queue (url, arn); with `topic`, its policy lets SNS send for that topic; with `key`,
    it is encrypted with that KMS key."""
    url, arn = make_queue(cloud, name, kms_key=key)
    if topic:
        let_service_send(cloud, url, arn, "sns.amazonaws.com", topic)
    return url, arn


def test_a_service_publishes_to_an_encrypted_topic_only_if_the_key_policy_allows_it(
    cloud: LocalCloud,
) -> None:
    """SNS Developer Guide, "Enable compatibility between event sources from AWS services and
    encrypted topics" (SNS_KEY_DOC): "Several AWS services publish events to Amazon SNS
    topics. To allow these event sources to work with encrypted topics, you must perform the
    following steps. [...] To allow the AWS service to have the kms:GenerateDataKey* and
    kms:Decrypt permissions, add the following statement to the KMS policy." The topic's
    access policy alone is not enough."""
    kms = cloud.client("kms")
    key = kms.create_key(Policy=_root_policy(cloud))["KeyMetadata"]["KeyId"]
    topic = _topic(cloud, "budget-alerts", key, "budgets.amazonaws.com")
    url, arn = _queue(cloud, "mailbox", topic)
    cloud.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)

    with pytest.raises(PermissionError, match="kms:GenerateDataKey"):
        publish_as_service(cloud, topic, "budgets.amazonaws.com", message="over budget")
    assert drain(cloud, url) == []
    assert cloud.iam.denials[-1].principal == "budgets.amazonaws.com"

    kms.put_key_policy(
        KeyId=key,
        PolicyName="default",
        Policy=_root_policy(cloud, _service_statement("budgets.amazonaws.com")),
    )
    publish_as_service(cloud, topic, "budgets.amazonaws.com", message="over budget")
    [notification] = drain(cloud, url)
    assert notification["Message"] == "over budget"
    # Another service is still refused: the statement names budgets.amazonaws.com only.
    with pytest.raises(PermissionError):
        publish_as_service(cloud, topic, "cloudwatch.amazonaws.com", message="alarm")


def test_the_aws_managed_key_for_sns_serves_publishers_but_no_aws_service(
    cloud: LocalCloud,
) -> None:
    """The guide's first step for event sources: "Use a customer managed KMS" key
    (SNS_KEY_DOC), since of AWS managed keys "you cannot change any properties of AWS managed
    keys, rotate them, change their key policies, or schedule them for deletion" (KMS Developer
    Guide, "AWS managed keys",
    https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key): no
    statement for a service principal can be added to alias/aws/sns. A principal of the
    account publishing with sns:Publish is served: SNS uses the key on its behalf."""
    topic = _topic(cloud, "managed", "alias/aws/sns", "events.amazonaws.com")
    with pytest.raises(PermissionError, match="AWS managed key"):
        publish_as_service(cloud, topic, "events.amazonaws.com", message="{}")

    sns = user(
        cloud, "publisher", {"Effect": "Allow", "Action": "sns:Publish", "Resource": topic}
    ).client("sns")
    assert sns.publish(TopicArn=topic, Message="hello")["MessageId"]


def test_a_publisher_needs_generate_data_key_and_decrypt_on_the_topics_key(
    cloud: LocalCloud,
) -> None:
    """ "The publisher must have the kms:GenerateDataKey and kms:Decrypt permissions for the AWS
    KMS key" (SNS Developer Guide, "Allow a user to send messages to a topic with SSE",
    SNS_KEY_DOC); without them Publish fails with KMSAccessDenied, "The ciphertext references a
    key that doesn't exist or that you don't have access to" (API reference, Publish, Errors).
    And "Unless the key policy explicitly allows it, you cannot use IAM policies to allow
    access to a KMS key. Without permission from the key policy, IAM policies that allow
    permissions have no effect." (KMS Developer Guide, "Key policies",
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html)."""
    kms = cloud.client("kms")
    delegating = kms.create_key()["KeyMetadata"]["Arn"]  # the default key policy
    closed = kms.create_key(
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{cloud.account_id}:user/admin"},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ],
            }
        )
    )["KeyMetadata"]["Arn"]
    open_topic = _topic(cloud, "delegating", delegating)
    closed_topic = _topic(cloud, "closed", closed)
    publish = {"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}
    use_keys = {
        "Effect": "Allow",
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": [delegating, closed],
    }

    without_kms = user(cloud, "no-kms", publish).client("sns")
    assert error_code(lambda: without_kms.publish(TopicArn=open_topic, Message="x")) == (
        "KMSAccessDenied"
    )
    assert cloud.iam.denials[-1].action == "kms:GenerateDataKey"

    with_kms = user(cloud, "with-kms", publish, use_keys).client("sns")
    assert with_kms.publish(TopicArn=open_topic, Message="x")["MessageId"]
    # The closed key's policy does not leave the key to IAM: the IAM allow has no effect.
    assert error_code(lambda: with_kms.publish(TopicArn=closed_topic, Message="x")) == (
        "KMSAccessDenied"
    )


def test_a_topic_whose_key_is_missing_or_disabled_refuses_the_publish(cloud: LocalCloud) -> None:
    """API reference, Publish, Errors: "KMSNotFound: The request was rejected because the
    specified entity or resource can't be found", "KMSDisabled: The request was rejected
    because the specified Amazon Web Services KMS key isn't enabled"."""
    kms, sns = cloud.client("kms"), cloud.client("sns")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    topic = _topic(cloud, "keyed", key)
    kms.disable_key(KeyId=key)
    assert error_code(lambda: sns.publish(TopicArn=topic, Message="x")) == "KMSDisabled"
    missing = _topic(cloud, "keyless", "alias/no-such-key")
    assert error_code(lambda: sns.publish(TopicArn=missing, Message="x")) == "KMSNotFound"


def test_an_eventbridge_rule_delivers_to_an_encrypted_topic_only_with_the_key_policy(
    cloud: LocalCloud,
) -> None:
    """EventBridge is one of the AWS services whose events reach a topic (SNS_KEY_DOC's
    "Enable compatibility between event sources from AWS services and encrypted topics"): the
    key policy must allow events.amazonaws.com, or the event never reaches the topic."""
    kms, events = cloud.client("kms"), cloud.client("events")
    key = kms.create_key(Policy=_root_policy(cloud))["KeyMetadata"]["Arn"]
    topic = _topic(cloud, "ops", key, "events.amazonaws.com")
    url, arn = _queue(cloud, "ops-mailbox", topic)
    cloud.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    events.put_rule(Name="to-topic", EventPattern=json.dumps({"source": ["steward.test"]}))
    events.put_targets(Rule="to-topic", Targets=[{"Id": "topic", "Arn": topic}])
    entry = {"Source": "steward.test", "DetailType": "Ping", "Detail": {"n": 1}}

    cloud.put_events([entry])
    cloud.wait_idle()
    assert drain(cloud, url) == []
    assert cloud.async_failures[-1].error_type == "AuthorizationError"

    kms.put_key_policy(
        KeyId=key,
        PolicyName="default",
        Policy=_root_policy(cloud, _service_statement("events.amazonaws.com")),
    )
    cloud.put_events([entry])
    cloud.wait_idle()
    [notification] = drain(cloud, url)
    assert json.loads(notification["Message"])["detail"] == {"n": 1}


def test_kms_calls_are_decided_by_the_key_policy_first(cloud: LocalCloud) -> None:
    """ "Unless the key policy explicitly allows it, you cannot use IAM policies to allow
    access to a KMS key" (KMS Developer Guide, "Key policies"); the default key policy "gives
    the AWS account (root user) that owns the KMS key full access to the KMS key" and so
    "enables IAM policies to allow access to the KMS key" (KMS Developer Guide, "Default key
    policy", https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
    Decrypt names its key by the ciphertext."""
    kms = cloud.client("kms")
    delegating = kms.create_key()["KeyMetadata"]["Arn"]
    closed = kms.create_key(
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{cloud.account_id}:user/keyholder"},
                        "Action": ["kms:Encrypt", "kms:Decrypt"],
                        "Resource": "*",
                    }
                ],
            }
        )
    )["KeyMetadata"]["Arn"]
    everything = {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}
    crypto = user(cloud, "crypto", everything).client("kms")
    sealed = crypto.encrypt(KeyId=delegating, Plaintext=b"secret")["CiphertextBlob"]
    assert crypto.decrypt(CiphertextBlob=sealed)["Plaintext"] == b"secret"
    assert error_code(lambda: crypto.encrypt(KeyId=closed, Plaintext=b"x")) == (
        "AccessDeniedException"
    )
    assert cloud.iam.denials[-1].resource == closed

    # The key policy names the user itself: no IAM policy is needed.
    keyholder = user(cloud, "keyholder").client("kms")
    blob = keyholder.encrypt(KeyId=closed, Plaintext=b"mine")["CiphertextBlob"]
    assert keyholder.decrypt(CiphertextBlob=blob)["Plaintext"] == b"mine"
    assert error_code(lambda: crypto.decrypt(CiphertextBlob=blob)) == "AccessDeniedException"
    assert cloud.iam.denials[-1].action == "kms:Decrypt"


def test_an_alias_may_not_begin_with_the_aws_managed_prefix(cloud: LocalCloud) -> None:
    """ "The alias name for a customer managed key cannot begin with alias/aws/. The alias/aws/
    prefix is reserved for AWS managed key." (KMS Developer Guide, "Create aliases",
    https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html)."""
    kms = cloud.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    for name in ("alias/aws/sns", "alias/aws/mine"):
        with pytest.raises(ClientError) as caught:
            kms.create_alias(AliasName=name, TargetKeyId=key)
        assert caught.value.response["Error"]["Code"] == "NotAuthorizedException"
    kms.create_alias(AliasName="alias/steward", TargetKeyId=key)


# ------------------------------------------------------------------ dead-letter queues


def test_an_undeliverable_message_goes_to_the_subscriptions_dead_letter_queue(
    cloud: LocalCloud,
) -> None:
    """SNS Developer Guide, "Amazon SNS dead-letter queues (DLQs)" (DLQ_DOC): client-side errors
    happen "when an owner changes the policy attached to the subscribed endpoint in a way that
    prevents Amazon SNS from delivering messages to the endpoint. Amazon SNS doesn't retry the
    message delivery that fails as a result of a client-side error." "When Amazon SNS receives
    a client-side error [...] Amazon SNS discards the message—unless a dead-letter queue is
    attached to the subscription." The guide does not show the message SNS puts there; here it
    is the notification the endpoint would have had."""
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="fanout")["TopicArn"]
    _, endpoint = _queue(cloud, "closed-endpoint")  # no policy: SNS may not send to it
    dlq_url, dlq = _queue(cloud, "fanout-dlq", topic)
    subscription = sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=endpoint,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq})},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    message_id = sns.publish(TopicArn=topic, Message="lost?", Subject="s")["MessageId"]
    [held] = drain(cloud, dlq_url)
    assert (held["Type"], held["Message"], held["MessageId"]) == (
        "Notification",
        "lost?",
        message_id,
    )
    assert held["TopicArn"] == topic
    assert cloud.async_failures == []
    assert subscription.startswith(topic)


def test_without_a_redrive_policy_or_a_queue_sns_may_use_the_message_is_lost(
    cloud: LocalCloud,
) -> None:
    """Without a dead-letter queue "Amazon SNS discards the message" (DLQ_DOC); a dead-letter
    queue whose policy does not let SNS send is no better: the guide's prerequisite is "To give
    Amazon SNS principal access to the Amazon SQS API action, set the following queue policy
    for MyDeadLetterQueue" (SNS Developer Guide, "Configuring an Amazon SNS dead-letter queue
    for a subscription",
    https://docs.aws.amazon.com/sns/latest/dg/sns-configure-dead-letter-queue.html). A
    subscribed queue that no longer exists is a client-side error too."""
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="lossy")["TopicArn"]
    _, closed = _queue(cloud, "closed")
    closed_dlq_url, closed_dlq = _queue(cloud, "closed-dlq")  # no policy for SNS
    gone_url, gone = _queue(cloud, "gone", topic)
    cloud.client("sqs").delete_queue(QueueUrl=gone_url)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=closed)
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=gone,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": closed_dlq})},
    )
    sns.publish(TopicArn=topic, Message="m")
    assert drain(cloud, closed_dlq_url) == []
    codes = sorted(f.error_type for f in cloud.async_failures)
    assert codes == ["AccessDenied", "QueueDoesNotExist"]


def test_a_function_sns_may_not_invoke_sends_the_message_to_the_dead_letter_queue(
    cloud: LocalCloud,
) -> None:
    """The Lambda case of a client-side error: the function's resource policy "prevents Amazon
    SNS from delivering messages to the endpoint" (DLQ_DOC), so the message goes to the
    subscription's dead-letter queue and the function never runs."""
    sns = cloud.client("sns")
    topic = sns.create_topic(Name="to-function")["TopicArn"]
    function = cloud.attribute("RecorderA", "Arn")
    dlq_url, dlq = _queue(cloud, "function-dlq", topic)
    sns.subscribe(
        TopicArn=topic,
        Protocol="lambda",
        Endpoint=function,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq})},
    )
    sns.publish(TopicArn=topic, Message="never run")
    cloud.wait_idle()
    [held] = drain(cloud, dlq_url)
    assert held["Message"] == "never run"


def test_s3_notifications_reach_an_encrypted_topic_only_with_the_key_policy(
    cloud: LocalCloud,
) -> None:
    """S3 is an event source of the same kind (SNS_KEY_DOC, "Enable compatibility between event
    sources from AWS services and encrypted topics"): a bucket's notification reaches the
    topic only if the key policy lets s3.amazonaws.com use the key, as well as the topic's
    policy letting it publish."""
    kms, s3 = cloud.client("kms"), cloud.client("s3")
    key = kms.create_key(Policy=_root_policy(cloud))["KeyMetadata"]["Arn"]
    topic = _topic(cloud, "uploads", key, "s3.amazonaws.com")
    url, arn = _queue(cloud, "uploads-mailbox", topic)
    cloud.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    s3.create_bucket(Bucket="drop-zone")
    s3.put_bucket_notification_configuration(
        Bucket="drop-zone",
        NotificationConfiguration={
            "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    drain(cloud, url)  # the s3:TestEvent, if it got through
    s3.put_object(Bucket="drop-zone", Key="a.txt", Body=b"a")
    assert drain(cloud, url) == []
    assert cloud.iam.denials[-1].principal == "s3.amazonaws.com"

    kms.put_key_policy(
        KeyId=key,
        PolicyName="default",
        Policy=_root_policy(cloud, _service_statement("s3.amazonaws.com")),
    )
    s3.put_object(Bucket="drop-zone", Key="b.txt", Body=b"b")
    [notification] = drain(cloud, url)
    [record] = json.loads(notification["Message"])["Records"]
    assert record["s3"]["object"]["key"] == "b.txt"


def test_a_state_machine_publishes_to_an_encrypted_topic_with_its_roles_key_permissions(
    cloud: LocalCloud,
) -> None:
    """A state machine's sns:publish task publishes with the machine's role: the role is the
    publisher that "must have the kms:GenerateDataKey and kms:Decrypt permissions for the AWS
    KMS key" (SNS_KEY_DOC); without them the task fails with SNS's KMSAccessDenied."""
    from tests.support.roles import machine_role

    key = cloud.client("kms").create_key()["KeyMetadata"]["Arn"]  # the default key policy
    topic = _topic(cloud, "machine-alerts", key)
    definition = json.dumps(
        {
            "StartAt": "Notify",
            "States": {
                "Notify": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sns:publish",
                    "Parameters": {"TopicArn": topic, "Message": "done"},
                    "End": True,
                }
            },
        }
    )
    publish = {"Effect": "Allow", "Action": "sns:Publish", "Resource": topic}
    use_key = {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": key}
    sfn = cloud.client("stepfunctions")
    outcomes = {}
    for name, statements in (("publisher", [publish]), ("keyed-publisher", [publish, use_key])):
        role = machine_role(cloud, name, *statements)
        machine = sfn.create_state_machine(name=name, definition=definition, roleArn=role)
        execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])
        cloud.wait_idle(timeout=30)
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        outcomes[name] = (described["status"], described.get("error"))
    assert outcomes["keyed-publisher"] == ("SUCCEEDED", None)
    status, error = outcomes["publisher"]
    assert status == "FAILED" and "KMSAccessDenied" in str(error)


def test_a_key_policy_may_limit_a_service_to_one_topic_by_encryption_context(
    cloud: LocalCloud,
) -> None:
    """SNS encrypts with the topic's ARN as encryption context, which a key policy can name:
    the GameLift guide's key policy for an encrypted topic is conditioned on
    "kms:EncryptionContext:aws:sns:topicArn": "arn:aws:sns:your_region:your_account:your_sns_topic_name"
    ("Set up an SNS topic with server-side encryption",
    https://docs.aws.amazon.com/gamelift/latest/flexmatchguide/queue-notification-sns-sse.html)."""
    kms = cloud.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    named = _topic(cloud, "named", key, "events.amazonaws.com")
    other = _topic(cloud, "other", key, "events.amazonaws.com")
    statement = {
        **_service_statement("events.amazonaws.com"),
        "Condition": {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": named}},
    }
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=_root_policy(cloud, statement))
    publish_as_service(cloud, named, "events.amazonaws.com", message="{}")
    with pytest.raises(PermissionError):
        publish_as_service(cloud, other, "events.amazonaws.com", message="{}")


def test_sns_delivers_to_an_encrypted_queue_only_if_its_key_policy_allows_sns(
    cloud: LocalCloud,
) -> None:
    """ "Several AWS services act as event sources that can send events to Amazon SQS queues. To
    allow these event sources to work with encrypted queues, you must create a customer managed
    CMK and add permissions in the key policy for the service to use the required AWS KMS API
    methods" (SQS Developer Guide, "Key management",
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html);
    and "To use an encrypted Amazon SQS queue as a dead-letter queue, you must use a custom CMK
    with a key policy that grants the Amazon SNS service principal access to AWS KMS API
    actions" (DLQ_DOC). A queue SNS may not encrypt for is a client-side error: the message
    goes to the dead-letter queue, if SNS may use that one's key."""
    kms, sns = cloud.client("kms"), cloud.client("sns")
    closed_key = kms.create_key(Policy=_root_policy(cloud))["KeyMetadata"]["Arn"]
    open_key = kms.create_key(Policy=_root_policy(cloud, _service_statement("sns.amazonaws.com")))[
        "KeyMetadata"
    ]["Arn"]
    topic = sns.create_topic(Name="to-encrypted")["TopicArn"]
    closed_url, closed = _queue(cloud, "encrypted-closed", topic, closed_key)
    open_url, opened = _queue(cloud, "encrypted-open", topic, open_key)
    dlq_url, dlq = _queue(cloud, "encrypted-dlq", topic, open_key)
    redrive = {"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq})}
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=closed, Attributes=redrive)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=opened)
    sns.publish(TopicArn=topic, Message="sealed")
    assert [m["Message"] for m in drain(cloud, open_url)] == ["sealed"]
    assert drain(cloud, closed_url) == []
    assert [m["Message"] for m in drain(cloud, dlq_url)] == ["sealed"]


def test_setting_one_queue_attribute_leaves_its_policy_and_sns_still_delivers(
    cloud: LocalCloud,
) -> None:
    """SetQueueAttributes "Sets the value of one or more queue attributes, like a policy" (API
    reference, SetQueueAttributes): those the request names. Encrypting a queue after giving SNS
    its policy keeps the policy (moto dropped it)."""
    kms, sns, sqs = cloud.client("kms"), cloud.client("sns"), cloud.client("sqs")
    key = kms.create_key(Policy=_root_policy(cloud, _service_statement("sns.amazonaws.com")))[
        "KeyMetadata"
    ]["Arn"]
    topic = sns.create_topic(Name="later-encrypted")["TopicArn"]
    url, arn = _queue(cloud, "later-encrypted", topic)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": key})
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert json.loads(attributes["Policy"])["Statement"][0]["Principal"] == {
        "Service": "sns.amazonaws.com"
    }
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="still here")
    assert [m["Message"] for m in drain(cloud, url)] == ["still here"]
