"""S3 calls KMS on the caller's behalf for SSE-KMS objects, so the caller's KMS permissions
(through S3: kms:ViaService) and the key's policy decide, as on AWS."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud

BUCKET = "kms-vault"


def _role_session(cloud: LocalCloud, name: str, *statements: dict[str, Any]) -> Any:
    """A role of the account with these statements, assumed: a boto3 session signing as it."""
    iam = cloud.client("iam")
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
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="p",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
    )
    credentials = cloud.client("sts").assume_role(RoleArn=arn, RoleSessionName="session")[
        "Credentials"
    ]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=cloud.stack().region,
    )


def _denied(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException")
    return str(caught.value.response["Error"]["Message"])


S3_OBJECTS = {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "*"}


def test_sse_kms_needs_generate_data_key_and_decrypt_through_s3(cloud: LocalCloud) -> None:
    # "To upload an object encrypted with an AWS KMS key, you need kms:GenerateDataKey
    # permissions on the key. To download an object encrypted with an AWS KMS key, you need
    # kms:Decrypt permissions on the key." (S3 User Guide, "Using server-side encryption with
    # AWS KMS keys (SSE-KMS)", https://docs.aws.amazon.com/AmazonS3/latest/userguide/
    # UsingKMSEncryption.html). "The kms:ViaService condition key limits use of a KMS key to
    # requests from specified AWS services" (KMS Developer Guide, "kms:ViaService",
    # https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
    region = cloud.stack().region
    key = cloud.client("kms").create_key()["KeyMetadata"]["Arn"]  # the default key policy
    cloud.client("s3").create_bucket(Bucket=BUCKET)
    through_s3 = {
        "Effect": "Allow",
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": key,
        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
    }
    put = {"Bucket": BUCKET, "Key": "k", "Body": b"x", "ServerSideEncryption": "aws:kms"}

    without_kms = _role_session(cloud, "no-kms", S3_OBJECTS).client("s3")
    message = _denied(lambda: without_kms.put_object(**put, SSEKMSKeyId=key))
    assert f"is not authorized to perform: kms:GenerateDataKey on resource: {key}" in message
    assert message.endswith(
        "because no identity-based policy allows the kms:GenerateDataKey action"
    )

    writer = _role_session(cloud, "writer", S3_OBJECTS, through_s3)
    writer.client("s3").put_object(**put, SSEKMSKeyId=key)
    assert writer.client("s3").get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"x"
    assert _denied(lambda: without_kms.get_object(Bucket=BUCKET, Key="k")).endswith(
        "because no identity-based policy allows the kms:Decrypt action"
    )
    # The same permission does not let the role call KMS itself: it is only through S3.
    _denied(lambda: writer.client("kms").generate_data_key(KeyId=key, KeySpec="AES_256"))


def test_a_key_policy_that_does_not_allow_the_role_refuses_its_put_object(
    cloud: LocalCloud,
) -> None:
    # "No AWS principal has any permissions to a KMS key unless that permission is explicitly
    # allowed in a key policy" (KMS Developer Guide, "Key policies in AWS KMS"). A key policy
    # is the key's resource-based policy, and IAM's message says which policy type denied:
    # "When the policy implicitly denies access, then AWS includes the phrase because no type
    # policy allows the action action in the access denied error message" (IAM User Guide,
    # "Troubleshoot access denied error messages", https://docs.aws.amazon.com/IAM/latest/
    # UserGuide/troubleshoot_access-denied.html).
    someone_else = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{cloud.account_id}:role/key-admin"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    key = cloud.client("kms").create_key(Policy=json.dumps(someone_else))["KeyMetadata"]["Arn"]
    cloud.client("s3").create_bucket(Bucket=BUCKET)
    everything = {"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"}
    s3 = _role_session(cloud, "uploader", everything).client("s3")

    message = _denied(
        lambda: s3.put_object(
            Bucket=BUCKET, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key
        )
    )

    assert message.startswith(
        f"User: arn:aws:sts::{cloud.account_id}:assumed-role/uploader/session "
    )
    assert message.endswith(
        f"is not authorized to perform: kms:GenerateDataKey on resource: {key} "
        "because no resource-based policy allows the kms:GenerateDataKey action"
    )
    assert cloud.iam.denials[-1].action == "kms:GenerateDataKey"
