"""The deployer provisions KMS keys and aliases, SNS subscriptions with a RedrivePolicy and
DynamoDB tables with conditions, TTL, point-in-time recovery, encryption and indexes, as the
CloudFormation User Guide describes each (quoted in each test)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from localcloud.errors import TemplateError
from localcloud.testing import drain, publish_as_service

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  EnableArchive:
    Type: String
    Default: "false"
Conditions:
  ArchiveEnabled: !Equals [!Ref EnableArchive, "true"]
Resources:
  TopicKey:
    Type: AWS::KMS::Key
    Properties:
      Description: alerts
      EnableKeyRotation: true
      PendingWindowInDays: 7
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Sid: Enable IAM User Permissions
            Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: "*"
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: [kms:GenerateDataKey*, kms:Decrypt]
            Resource: "*"
  TopicKeyAlias:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: alias/steward-alerts
      TargetKeyId: !Ref TopicKey
  SigningKey:
    Type: AWS::KMS::Key
    Properties:
      KeySpec: ECC_NIST_P256
      KeyUsage: SIGN_VERIFY
  SpareKey:
    Type: AWS::KMS::Key
    Properties:
      Enabled: false
  AlertTopic:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: !Ref TopicKeyAlias
  AlertTopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref AlertTopic]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: [events.amazonaws.com, cloudwatch.amazonaws.com]}
            Action: sns:Publish
            Resource: !Ref AlertTopic
  ClosedQueue:
    Type: AWS::SQS::Queue
  AlertDeadLetters:
    Type: AWS::SQS::Queue
  AlertDeadLettersPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref AlertDeadLetters]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: sns.amazonaws.com}
            Action: SQS:SendMessage
            Resource: !GetAtt AlertDeadLetters.Arn
            Condition: {ArnEquals: {aws:SourceArn: !Ref AlertTopic}}
  ClosedSubscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref AlertTopic
      Protocol: sqs
      Endpoint: !GetAtt ClosedQueue.Arn
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt AlertDeadLetters.Arn
  Ledger:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: id, AttributeType: S}
        - {AttributeName: owner, AttributeType: S}
      KeySchema:
        - {AttributeName: id, KeyType: HASH}
      GlobalSecondaryIndexes:
        - IndexName: by-owner
          KeySchema: [{AttributeName: owner, KeyType: HASH}]
          Projection: {ProjectionType: ALL}
      TimeToLiveSpecification: {AttributeName: expires, Enabled: true}
      PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
      SSESpecification: {SSEEnabled: true}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  Archive:
    Type: AWS::DynamoDB::Table
    Condition: ArchiveEnabled
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 1}
Outputs:
  KeyArn:
    Value: !GetAtt TopicKey.Arn
  KeyId:
    Value: !GetAtt TopicKey.KeyId
  LedgerStream:
    Value: !GetAtt Ledger.StreamArn
"""


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[LocalCloud]:
    (tmp_path / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    with LocalCloud(template=tmp_path / "template.yaml") as cloud:
        yield cloud


def _deploy(tmp_path: Path, resources: str) -> None:
    (tmp_path / "bad.yaml").write_text(f"Resources:\n{resources}", encoding="utf-8")
    LocalCloud(template=tmp_path / "bad.yaml").start().stop()


def test_a_kms_key_and_its_alias_are_provisioned_as_cloudformation_documents(
    cloud: LocalCloud,
) -> None:
    """AWS::KMS::Key: "Ref returns the key ID, such as 1234abcd-12ab-34cd-56ef-1234567890ab";
    `Arn` is "The Amazon Resource Name (ARN) of the AWS KMS customer master key (CMK)";
    EnableKeyRotation "Enables automatic rotation of the key material". AWS::KMS::Alias: "Ref
    returns the alias name, such as alias/myKeyAlias" (CloudFormation User Guide,
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kms-key.html,
    .../aws-resource-kms-alias.html)."""
    kms = cloud.client("kms")
    key_id = cloud.physical_id("TopicKey")
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    stack = cloud.stacks[0]
    assert stack.outputs["KeyArn"] == metadata["Arn"]
    assert stack.outputs["KeyId"] == key_id == metadata["KeyId"]
    assert metadata["Description"] == "alerts"
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    assert policy["Statement"][1]["Principal"] == {"Service": "events.amazonaws.com"}
    assert cloud.physical_id("TopicKeyAlias") == "alias/steward-alerts"
    assert kms.describe_key(KeyId="alias/steward-alerts")["KeyMetadata"]["KeyId"] == key_id
    # Enabled: "When Enabled is false, the key state of the CMK is Disabled."
    spare = kms.describe_key(KeyId=cloud.physical_id("SpareKey"))["KeyMetadata"]
    assert (spare["Enabled"], spare["KeyState"]) == (False, "Disabled")
    signing = kms.describe_key(KeyId=cloud.physical_id("SigningKey"))["KeyMetadata"]
    assert (signing["KeySpec"], signing["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")


def test_a_key_policy_made_by_the_template_is_evaluated(cloud: LocalCloud) -> None:
    """The template's key policy is the key's: it lets events.amazonaws.com use the key (the
    SNS Developer Guide's statement for event sources, "To allow the AWS service to have the
    kms:GenerateDataKey* and kms:Decrypt permissions, add the following statement to the KMS
    policy"), and no other service, though the topic's policy lets both publish."""
    topic = cloud.physical_id("AlertTopic")
    publish_as_service(cloud, topic, "events.amazonaws.com", message="{}")
    with pytest.raises(PermissionError, match="key"):
        publish_as_service(cloud, topic, "cloudwatch.amazonaws.com", message="alarm")


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        (
            "  K:\n    Type: AWS::KMS::Key\n    Properties: {PendingWindowInDays: 3}\n",
            "between 7 and 30",
        ),
        (
            "  K:\n    Type: AWS::KMS::Key\n"
            "  A:\n    Type: AWS::KMS::Alias\n"
            "    Properties: {AliasName: alias/aws/mine, TargetKeyId: !Ref K}\n",
            "alias/aws/",
        ),
        (
            "  K:\n    Type: AWS::KMS::Key\n"
            "  A:\n    Type: AWS::KMS::Alias\n"
            "    Properties: {AliasName: mine, TargetKeyId: !Ref K}\n",
            "must start with alias/",
        ),
    ],
)
def test_a_key_or_alias_cloudformation_would_refuse_does_not_deploy(
    tmp_path: Path, resources: str, message: str
) -> None:
    """PendingWindowInDays: "Enter a value between 7 and 30 days." AliasName: "The name must
    start with alias followed by a forward slash, such as alias/. You can't specify aliases
    that begin with alias/AWS. These aliases are reserved." (CloudFormation User Guide)."""
    with pytest.raises(TemplateError, match=message):
        _deploy(tmp_path, resources)


def test_a_subscriptions_redrive_policy_receives_what_sns_cannot_deliver(
    cloud: LocalCloud,
) -> None:
    """AWS::SNS::Subscription RedrivePolicy: "When specified, sends undeliverable messages to
    the specified Amazon SQS dead-letter queue" (API reference, Subscribe, RedrivePolicy). The
    subscribed queue has no policy for SNS, a client-side error that "Amazon SNS doesn't retry"
    (SNS Developer Guide, "Amazon SNS dead-letter queues (DLQs)",
    https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html)."""
    sns = cloud.client("sns")
    topic = cloud.physical_id("AlertTopic")
    assert topic.rsplit(":", 1)[1] == f"{cloud.stacks[0].name}-AlertTopic"
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["KmsMasterKeyId"] == "alias/steward-alerts"
    subscription = cloud.physical_id("ClosedSubscription")
    redrive = sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"][
        "RedrivePolicy"
    ]
    assert json.loads(redrive) == {
        "deadLetterTargetArn": cloud.attribute("AlertDeadLetters", "Arn")
    }
    sns.publish(TopicArn=topic, Message="to the dead letters")
    [held] = drain(cloud, cloud.physical_id("AlertDeadLetters"))
    assert held["Message"] == "to the dead letters"
    assert drain(cloud, cloud.physical_id("ClosedQueue")) == []


def test_a_table_has_its_indexes_ttl_recovery_encryption_and_stream(cloud: LocalCloud) -> None:
    """AWS::DynamoDB::Table: "Ref returns the resource name"; `StreamArn` is "The ARN of the
    DynamoDB stream"; TimeToLiveSpecification "Specifies the Time to Live (TTL) settings for
    the table"; PointInTimeRecoverySpecification "The settings used to enable point in time
    recovery"; SSESpecification "Specifies the settings to enable server-side encryption"
    (CloudFormation User Guide,
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-table.html)."""
    dynamodb = cloud.client("dynamodb")
    name = cloud.physical_id("Ledger")
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["by-owner"]
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert cloud.stacks[0].outputs["LedgerStream"] == table["LatestStreamArn"]
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires")
    backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_a_table_under_a_false_condition_is_not_made(cloud: LocalCloud, tmp_path: Path) -> None:
    """ "At stack creation or stack update, AWS CloudFormation evaluates all the conditions in
    your template before creating any resources. Resources that are associated with a true
    condition are created. Resources that are associated with a false condition are ignored."
    (User Guide, "Conditions syntax",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/conditions-section-structure.html);
    with the condition true, the table is made."""
    tables = cloud.client("dynamodb").list_tables()["TableNames"]
    assert tables == [cloud.physical_id("Ledger")]
    assert cloud.stacks[0].skipped == {"Archive": "ArchiveEnabled"}
    (tmp_path / "archive" / "template.yaml").parent.mkdir()
    archive_only = TEMPLATE[: TEMPLATE.index("Resources:")] + (
        "Resources:\n" + TEMPLATE[TEMPLATE.index("  Archive:") : TEMPLATE.index("Outputs:")]
    )
    (tmp_path / "archive" / "template.yaml").write_text(archive_only, encoding="utf-8")
    (tmp_path / "archive" / "samconfig.toml").write_text(
        'version = 0.1\n[default.deploy.parameters]\nstack_name = "archive"\n', encoding="utf-8"
    )
    stack = cloud.deploy(
        template=tmp_path / "archive" / "template.yaml",
        config_env="default",
        parameters={"EnableArchive": "true"},
    )
    assert "Archive" in stack.resources and stack.skipped == {}


def test_a_conditional_write_fails_as_dynamodb_documents(cloud: LocalCloud) -> None:
    """ConditionExpression: "A condition that must be satisfied in order for a conditional
    PutItem operation to succeed"; when it is not, "ConditionalCheckFailedException: A
    condition specified in the operation failed to be evaluated." (API reference, PutItem,
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html); the item
    is left as it was. The same holds for UpdateItem and DeleteItem."""
    dynamodb = cloud.client("dynamodb")
    table = cloud.physical_id("Ledger")
    item: dict[str, Any] = {"id": {"S": "run-1"}, "owner": {"S": "steward"}}
    once = {"ConditionExpression": "attribute_not_exists(id)"}
    dynamodb.put_item(TableName=table, Item=item, **once)
    for call in (
        lambda: dynamodb.put_item(
            TableName=table, Item={**item, "owner": {"S": "intruder"}}, **once
        ),
        lambda: dynamodb.update_item(
            TableName=table,
            Key={"id": {"S": "run-1"}},
            UpdateExpression="SET #o = :o",
            ConditionExpression="#o = :expected",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":o": {"S": "x"}, ":expected": {"S": "nobody"}},
        ),
        lambda: dynamodb.delete_item(
            TableName=table,
            Key={"id": {"S": "run-1"}},
            ConditionExpression="attribute_not_exists(id)",
        ),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    stored = dynamodb.get_item(TableName=table, Key={"id": {"S": "run-1"}})["Item"]
    assert stored == item
