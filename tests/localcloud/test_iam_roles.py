"""Roles as SAM generates them, and IAM's own rules for the policies in them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud import LocalCloud


def inline_policies(cloud: LocalCloud, role_id: str) -> list[dict[str, Any]]:
    iam, name = cloud.client("iam"), cloud.physical_id(role_id)
    return [
        iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
    ]


def test_a_function_role_has_the_statements_sam_expands_from_a_policy_template(
    cloud: LocalCloud,
) -> None:
    role = cloud.client("iam").get_role(RoleName=cloud.physical_id("RecorderARole"))["Role"]
    assert (
        cloud.client("lambda").get_function(FunctionName=cloud.physical_id("RecorderA"))[
            "Configuration"
        ]["Role"]
        == role["Arn"]
    )
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": ["lambda.amazonaws.com"]
    }
    queue_arn = cloud.attribute("RecordQueue", "Arn")
    [policy] = inline_policies(cloud, "RecorderARole")
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert "sqs:SendMessage*" in statement["Action"]
    assert statement["Resource"] == queue_arn  # the template's QueueName, resolved
    attached = cloud.client("iam").list_attached_role_policies(RoleName=role["RoleName"])
    assert [p["PolicyName"] for p in attached["AttachedPolicies"]] == [
        "AWSLambdaBasicExecutionRole"
    ]


def test_a_rule_that_starts_a_state_machine_has_the_role_sam_generates_for_it(
    cloud: LocalCloud,
) -> None:
    [target] = cloud.client("events").list_targets_by_rule(
        Rule=cloud.physical_id("FanStateMachineAudit")
    )["Targets"]
    assert target["RoleArn"] == cloud.attribute("FanStateMachineAuditRole", "Arn")
    [policy] = inline_policies(cloud, "FanStateMachineAuditRole")
    assert policy["Statement"][0]["Action"] == "states:StartExecution"
    assert policy["Statement"][0]["Resource"] == cloud.physical_id("FanStateMachine")


@pytest.mark.parametrize("version", [None, "2008-10-17", "2012-10-17"])
def test_a_policy_in_either_language_version_or_none_is_accepted_as_iam_does(
    cloud: LocalCloud, version: str | None
) -> None:
    # IAM User Guide, "IAM JSON policy elements: Version": "IAM supports the following Version
    # element values: 2012-10-17 ... 2008-10-17", and a policy without one is the earlier.
    # (SAM's policy templates produce policies with no Version.)
    document: dict[str, Any] = {
        "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]
    }
    if version:
        document["Version"] = version
    iam = cloud.client("iam")
    iam.create_role(RoleName="versioned", AssumeRolePolicyDocument=json.dumps(document))
    iam.put_role_policy(RoleName="versioned", PolicyName="p", PolicyDocument=json.dumps(document))


def test_a_policy_without_statements_is_refused_as_iam_refuses_it(cloud: LocalCloud) -> None:
    iam = cloud.client("iam")
    iam.create_role(
        RoleName="empty",
        AssumeRolePolicyDocument=json.dumps(
            {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}
        ),
    )
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException):
        iam.put_role_policy(
            RoleName="empty", PolicyName="p", PolicyDocument=json.dumps({"Statement": []})
        )


POLICIES = """
Resources:
  Inbox:
    Type: AWS::SQS::Queue
  News:
    Type: AWS::SNS::Topic
  InboxPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Inbox]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: sns.amazonaws.com}
            Action: sqs:SendMessage
            Resource: !GetAtt Inbox.Arn
            Condition: {ArnEquals: {aws:SourceArn: !Ref News}}
  Subscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref News
      Protocol: sqs
      Endpoint: !GetAtt Inbox.Arn
  Reader:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
  ReadInbox:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: read-inbox
      Roles: [!Ref Reader]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: sqs:ReceiveMessage, Resource: !GetAtt Inbox.Arn}
"""


def test_a_queue_policy_and_an_inline_policy_in_the_template_take_effect(
    cloud_factory: Any, tmp_path: Any
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(POLICIES)
    cloud = cloud_factory(template=template)
    policy = cloud.client("iam").get_role_policy(
        RoleName=cloud.physical_id("Reader"), PolicyName="read-inbox"
    )["PolicyDocument"]
    assert policy["Statement"][0]["Action"] == "sqs:ReceiveMessage"
    cloud.client("sns").publish(TopicArn=cloud.physical_id("News"), Message="let in")
    cloud.wait_idle(timeout=30)
    messages = cloud.client("sqs").receive_message(QueueUrl=cloud.physical_id("Inbox"))
    assert [json.loads(m["Body"])["Message"] for m in messages["Messages"]] == ["let in"]
    assert cloud.async_failures == []
