"""Every call is evaluated against its caller's IAM policies, with the service's own error."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from tests.support.roles import machine_role


def user(cloud: LocalCloud, name: str, *statements: dict[str, Any], path: str = "/") -> Any:
    """An IAM user with these statements and an access key; a boto3 session signing as it."""
    iam = cloud.client("iam")
    iam.create_user(UserName=name, Path=path)
    if statements:
        iam.put_user_policy(
            UserName=name,
            PolicyName="p",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
        )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name="us-east-1",
    )


def error_code(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def test_a_call_with_a_users_key_is_allowed_by_action_and_by_the_key_prefix_of_its_resource(
    cloud: LocalCloud,
) -> None:
    cloud.client("s3").create_bucket(Bucket="drop")
    session = user(
        cloud,
        "uploader",
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::drop/in/*"},
    )
    s3 = session.client("s3")
    s3.put_object(Bucket="drop", Key="in/a.txt", Body=b"a")
    assert error_code(lambda: s3.put_object(Bucket="drop", Key="out/a.txt", Body=b"a")) == (
        "AccessDenied"
    )
    assert error_code(lambda: s3.get_object(Bucket="drop", Key="in/a.txt")) == "AccessDenied"
    [denial, _] = cloud.iam.denials
    assert denial.principal.endswith(":user/uploader")
    assert (denial.action, denial.resource) == ("s3:PutObject", "arn:aws:s3:::drop/out/a.txt")


def test_an_explicit_deny_wins_and_not_action_allows_the_rest(cloud: LocalCloud) -> None:
    topic = cloud.client("sns").create_topic(Name="t")["TopicArn"]
    session = user(
        cloud,
        "poweruser",
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "sns:Publish", "Resource": topic},
    )
    assert session.client("sqs").list_queues() is not None  # allowed by NotAction
    assert error_code(lambda: session.client("iam").list_users()) == "AccessDenied"
    assert (
        error_code(lambda: session.client("sns").publish(TopicArn=topic, Message="x"))
        == "AuthorizationError"
    )
    assert cloud.iam.denials[-1].reason == "explicitly denied"


def test_deleting_a_snapshot_is_allowed_by_its_tag_with_ec2s_own_error(cloud: LocalCloud) -> None:
    ec2 = cloud.client("ec2")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    ours, theirs = (ec2.create_snapshot(VolumeId=volume)["SnapshotId"] for _ in range(2))
    ec2.create_tags(Resources=[ours], Tags=[{"Key": "owner", "Value": "steward"}])
    session = user(
        cloud,
        "janitor",
        {
            "Effect": "Allow",
            "Action": "ec2:DeleteSnapshot",
            "Resource": "arn:aws:ec2:us-east-1::snapshot/*",
            "Condition": {"StringEquals": {"aws:ResourceTag/owner": "steward"}},
        },
    )
    session.client("ec2").delete_snapshot(SnapshotId=ours)
    assert error_code(lambda: session.client("ec2").delete_snapshot(SnapshotId=theirs)) == (
        "UnauthorizedOperation"
    )


def test_attaching_a_policy_is_allowed_by_the_policy_arn_and_the_groups_path(
    cloud: LocalCloud,
) -> None:
    iam = cloud.client("iam")
    iam.create_group(GroupName="devs", Path="/teams/")
    read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    session = user(
        cloud,
        "swapper",
        {
            "Effect": "Allow",
            "Action": "iam:AttachGroupPolicy",
            "Resource": ["arn:*:iam::*:group/devs", "arn:*:iam::*:group/*/devs"],
            "Condition": {"ArnEquals": {"iam:PolicyARN": read_only}},
        },
    )
    mine = session.client("iam")
    mine.attach_group_policy(GroupName="devs", PolicyArn=read_only)
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert error_code(lambda: mine.attach_group_policy(GroupName="devs", PolicyArn=admin)) == (
        "AccessDenied"
    )


def test_a_function_calls_with_its_own_roles_credentials(cloud: LocalCloud) -> None:
    cloud.invoke("RecorderA", {"n": 1})  # its role may send to the record queue
    assert cloud.iam.denials == []
    assert cloud.iam.exercised  # the role's statement decided the SendMessage


def test_an_unknown_access_key_is_refused(cloud: LocalCloud) -> None:
    stranger = boto3.session.Session(
        aws_access_key_id="AKIANOBODY", aws_secret_access_key="x", region_name="us-east-1"
    )
    assert error_code(lambda: stranger.client("sqs").list_queues()) == "InvalidClientTokenId"


def test_warn_mode_reports_the_denial_and_lets_the_call_through(cloud_factory: Any) -> None:
    cloud = cloud_factory(iam="warn")
    cloud.client("s3").create_bucket(Bucket="open")
    session = user(cloud, "nobody")
    session.client("s3").put_object(Bucket="open", Key="k", Body=b"x")
    [denial] = cloud.iam.denials
    assert denial.action == "s3:PutObject"


def test_a_machine_whose_role_may_not_invoke_its_function_fails_as_step_functions_says(
    cloud: LocalCloud,
) -> None:
    arn = cloud.start_execution("UnauthorizedStateMachine", {})
    cloud.wait_idle(timeout=30)
    execution = cloud.describe_execution(arn)
    assert (execution["status"], execution["error"]) == ("FAILED", "Lambda.AWSLambdaException")
    assert "is not authorized to perform: lambda:InvokeFunction" in execution["cause"]
    assert (
        "(Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException;"
        in (execution["cause"])
    )
    assert cloud.function_log("RecorderA") == []  # never invoked


def test_a_machine_calls_its_functions_with_its_own_role(cloud: LocalCloud) -> None:
    a, b = cloud.attribute("RecorderA", "Arn"), cloud.attribute("RecorderB", "Arn")
    arn = cloud.start_execution("FanStateMachine", {"items": [{"fn": a}, {"fn": b}]})
    cloud.wait_idle(timeout=30)
    assert cloud.describe_execution(arn)["status"] == "SUCCEEDED"
    assert any(
        policy.startswith("role/steward-FanStateMachineRole") for policy, _ in cloud.iam.exercised
    )


def test_sns_delivers_only_to_functions_whose_resource_policy_allows_its_topic(
    cloud: LocalCloud,
) -> None:
    sns = cloud.client("sns")
    other = sns.create_topic(Name="not-in-the-template")["TopicArn"]
    recorder = cloud.attribute("RecorderB", "Arn")
    sns.subscribe(TopicArn=other, Protocol="lambda", Endpoint=recorder)
    sns.publish(TopicArn=other, Message="from a topic SAM gave no permission for")
    sns.publish(TopicArn=cloud.physical_id("FanoutTopic"), Message="from its own topic")
    cloud.wait_idle(timeout=30)
    [refused] = cloud.async_failures
    assert refused.what == f"SNS delivery from {other}"
    assert refused.error_type == "AccessDeniedException"
    starts = [line for line in cloud.function_log("RecorderB") if line.startswith("START")]
    assert len(starts) == 1  # the delivery its permission allows


def test_rotation_by_a_function_secrets_manager_may_not_invoke_is_refused(
    cloud: LocalCloud,
) -> None:
    sm = cloud.client("secretsmanager")
    with pytest.raises(ClientError) as caught:
        sm.rotate_secret(
            SecretId=cloud.physical_id("RotatedSecret"),
            RotationLambdaARN=cloud.attribute("RecorderA", "Arn"),
        )
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "secretsmanager.amazonaws.com" in caught.value.response["Error"]["Message"]


def test_a_kms_key_policy_decides_before_iam_as_kms_documents(cloud: LocalCloud) -> None:
    # "No AWS principal has any permissions to a KMS key unless that permission is explicitly
    # allowed in a key policy"; the default key policy allows the account, leaving it to IAM.
    kms, s3 = cloud.client("kms"), cloud.client("s3")
    default_key = kms.create_key()["KeyMetadata"]["Arn"]
    own_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{cloud.account_id}:user/someone-else"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    closed_key = kms.create_key(Policy=json.dumps(own_policy))["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket="vault")
    for name, key in (("open", default_key), ("closed", closed_key)):
        s3.put_object(
            Bucket="vault", Key=name, Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key
        )
    session = user(
        cloud,
        "reader",
        {"Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": "*"},
    )
    reader = session.client("s3")
    assert reader.get_object(Bucket="vault", Key="open")["Body"].read() == b"x"
    assert error_code(lambda: reader.get_object(Bucket="vault", Key="closed")) == "AccessDenied"
    assert cloud.iam.denials[-1].action == "kms:Decrypt"


UNTRUSTING = """
Transform: AWS::Serverless-2016-10-31
Resources:
  EcsOnlyRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: ecs-tasks.amazonaws.com}
            Action: sts:AssumeRole
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: CODE
      Handler: app.lambda_handler
      Runtime: python3.13
      Role: !GetAtt EcsOnlyRole.Arn
"""


def test_a_function_whose_role_does_not_trust_lambda_does_not_deploy(tmp_path: Any) -> None:
    from localcloud import TemplateError
    from tests.support.paths import LOCALCLOUD_TEMPLATES as TEMPLATES

    template = tmp_path / "template.yaml"
    template.write_text(UNTRUSTING.replace("CODE", str(TEMPLATES / "fixtures" / "worker")))
    with pytest.raises(TemplateError, match="cannot be assumed by Lambda"):
        LocalCloud(template=template).start()


def test_creating_a_function_needs_pass_role_on_its_role(cloud: LocalCloud) -> None:
    role = cloud.attribute("RecorderARole", "Arn")
    create = {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"}
    without = user(cloud, "builder", create).client("lambda")
    with_pass = user(
        cloud,
        "deployer",
        create,
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": role,
            "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
        },
    ).client("lambda")
    function = {
        "Runtime": "python3.13",
        "Role": role,
        "Handler": "app.lambda_handler",
        "Code": {"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    }
    assert error_code(lambda: without.create_function(FunctionName="f1", **function)) == (
        "AccessDeniedException"
    )
    assert cloud.iam.denials[-1].action == "iam:PassRole"
    with_pass.create_function(FunctionName="f2", **function)


def test_sns_sends_to_a_queue_only_as_the_queues_policy_allows(cloud: LocalCloud) -> None:
    sns, sqs = cloud.client("sns"), cloud.client("sqs")
    topic = sns.create_topic(Name="news")["TopicArn"]
    url = sqs.create_queue(QueueName="closed-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="dropped: the queue has no policy for the topic")
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    [refused] = cloud.async_failures
    assert refused.error_type == "AccessDenied"


def test_copying_a_snapshot_under_a_kms_key_needs_the_keys_ebs_permissions(
    cloud: LocalCloud,
) -> None:
    # "You must grant users permission to call the following actions in order to use EBS
    # encryption: kms:CreateGrant, kms:Decrypt, kms:DescribeKey,
    # kms:GenerateDataKeyWithoutPlainText, kms:ReEncrypt" (EBS User Guide, "Requirements for
    # Amazon EBS encryption"). EC2 calls KMS for the copy, so kms:ViaService is EC2's endpoint.
    ec2 = cloud.client("ec2")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    source = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    key = cloud.client("kms", region="us-west-2").create_key()["KeyMetadata"]["Arn"]
    copy = {"Effect": "Allow", "Action": "ec2:CopySnapshot", "Resource": "*"}
    ebs_key = {
        "Effect": "Allow",
        "Action": [
            "kms:CreateGrant",
            "kms:Decrypt",
            "kms:DescribeKey",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:ReEncrypt*",
        ],
        "Resource": key,
        "Condition": {"StringEquals": {"kms:ViaService": "ec2.us-west-2.amazonaws.com"}},
    }
    without_kms = user(cloud, "copier", copy).client("ec2", region_name="us-west-2")
    request = {"SourceRegion": "us-east-1", "SourceSnapshotId": source, "Encrypted": True}
    assert error_code(lambda: without_kms.copy_snapshot(**request, KmsKeyId=key)) == (
        "UnauthorizedOperation"
    )
    assert (cloud.iam.denials[-1].action, cloud.iam.denials[-1].resource) == (
        "kms:CreateGrant",
        key,
    )
    with_kms = user(cloud, "keyed-copier", copy, ebs_key).client("ec2", region_name="us-west-2")
    copied = with_kms.copy_snapshot(**request, KmsKeyId=key)["SnapshotId"]
    [snapshot] = cloud.client("ec2", region="us-west-2").describe_snapshots(SnapshotIds=[copied])[
        "Snapshots"
    ]
    assert snapshot["Encrypted"] and snapshot["KmsKeyId"] == key


def test_a_sync_task_needs_its_managed_rule_when_the_machine_is_created(cloud: LocalCloud) -> None:
    # Step Functions' "IAM policies for AWS Batch" (Run a Job (.sync)): events:PutTargets,
    # events:PutRule and events:DescribeRule on rule/StepFunctionsGetEventsForBatchJobsRule.
    # Without them CreateStateMachine answers "'<role>' is not authorized to create
    # managed-rule." whoever calls it.
    definition = json.dumps(
        {
            "StartAt": "Each",
            "States": {
                "Each": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "StartAt": "Run",
                        "States": {
                            "Run": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::batch:submitJob.sync",
                                "Parameters": {
                                    "JobName": "j",
                                    "JobQueue": "q",
                                    "JobDefinition": "d",
                                },
                                "End": True,
                            }
                        },
                    },
                    "End": True,
                }
            },
        }
    )
    batch = {"Effect": "Allow", "Action": "batch:*", "Resource": "*"}
    rule = {
        "Effect": "Allow",
        "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
        "Resource": f"arn:aws:events:us-east-1:{cloud.account_id}:rule/StepFunctionsGetEventsForBatchJobsRule",
    }
    sfn = cloud.client("stepfunctions")
    without_rule = machine_role(cloud, "batch-only", batch)
    with pytest.raises(ClientError) as caught:
        sfn.create_state_machine(name="jobs", definition=definition, roleArn=without_rule)
    assert caught.value.response["Error"] == {
        "Code": "AccessDeniedException",
        "Message": f"'{without_rule}' is not authorized to create managed-rule.",
    }
    assert cloud.iam.denials[-1].action == "events:PutTargets"
    with_rule = machine_role(cloud, "batch-and-rule", batch, rule)
    arn = sfn.create_state_machine(name="jobs", definition=definition, roleArn=with_rule)[
        "stateMachineArn"
    ]
    with pytest.raises(ClientError) as caught:
        sfn.update_state_machine(stateMachineArn=arn, roleArn=without_rule)
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"


def test_sessions_issued_before_a_revocation_are_denied_by_token_issue_time(
    cloud: LocalCloud,
) -> None:
    # aws:TokenIssueTime is "the date and time that temporary security credentials were
    # issued" (IAM User Guide, "AWS global condition context keys"); the console's "Revoke
    # active sessions" denies every session issued before a moment with DateLessThan on it.
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{cloud.account_id}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam = cloud.client("iam")
    role = iam.create_role(RoleName="operator", AssumeRolePolicyDocument=json.dumps(trust))
    allow = {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}
    iam.put_role_policy(
        RoleName="operator",
        PolicyName="work",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]}),
    )

    def session() -> Any:
        credentials = cloud.client("sts").assume_role(
            RoleArn=role["Role"]["Arn"], RoleSessionName="someone"
        )["Credentials"]
        return boto3.client(
            "s3",
            region_name="us-east-1",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    before = session()
    cloud.clock.sleep(60)
    revoked_at = datetime.fromtimestamp(cloud.clock.wall(), UTC)
    cloud.clock.sleep(60)
    after = session()
    revoke = {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {
            "DateLessThan": {"aws:TokenIssueTime": revoked_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
        },
    }
    iam.put_role_policy(
        RoleName="operator",
        PolicyName="AWSRevokeOlderSessions",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [revoke]}),
    )
    assert error_code(before.list_buckets) == "AccessDenied"
    after.list_buckets()


def test_reading_a_missing_object_is_404_only_with_list_bucket(cloud: LocalCloud) -> None:
    """API Reference, GetObject and HeadObject, Permissions: "If you have the s3:ListBucket
    permission on the bucket, Amazon S3 returns an HTTP status code 404 Not Found error. If
    you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403
    Access Denied error." """
    cloud.client("s3").create_bucket(Bucket="site")
    read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}
    listing = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::site"}
    reader = user(cloud, "reader", read).client("s3")
    lister = user(cloud, "lister", read, listing).client("s3")
    cloud.client("s3").put_object(Bucket="site", Key="here", Body=b"x")
    assert reader.head_object(Bucket="site", Key="here")["ContentLength"] == 1
    assert error_code(lambda: reader.head_object(Bucket="site", Key="gone")) == "403"
    assert error_code(lambda: reader.get_object(Bucket="site", Key="gone")) == "AccessDenied"
    assert error_code(lambda: lister.head_object(Bucket="site", Key="gone")) == "404"
    assert error_code(lambda: lister.get_object(Bucket="site", Key="gone")) == "NoSuchKey"
