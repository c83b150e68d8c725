"""Secrets Manager rotation as AWS runs it: RotateSecret, the rotation function's steps, the
staging labels, the refusals, the configuration test, and the events rotation sends.

The rotation function (templates/fixtures/stage_rotator) follows AWS's generic rotation
template and records, for each step, the event and what it saw of the secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud, RotationTestError, testing
from tests.support.paths import LOCALCLOUD_TEMPLATES
from tests.support.taps import drain

TEMPLATE = LOCALCLOUD_TEMPLATES / "secrets_rotation.yaml"
STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"]
CLOUDTRAIL = "AWS Service Event via CloudTrail"


@pytest.fixture
def clouds() -> Iterator[Any]:
    opened: list[LocalCloud] = []

    def start(**parameters: str) -> LocalCloud:
        cloud = LocalCloud(template=TEMPLATE, parameters=parameters).start()
        opened.append(cloud)
        return cloud

    yield start
    for cloud in opened:
        cloud.stop()


@pytest.fixture
def cloud(clouds: Any) -> LocalCloud:
    started: LocalCloud = clouds()
    return started


def records(cloud: LocalCloud) -> list[dict[str, Any]]:
    """What the rotation function saw, step by step, in the order it ran."""
    seen: list[dict[str, Any]] = drain(cloud)
    order = {step: i for i, step in enumerate(STEPS)}
    return sorted(seen, key=lambda r: order[r["event"]["Step"]])


def stages(cloud: LocalCloud, secret: str) -> dict[str, list[str]]:
    versions = cloud.client("secretsmanager").describe_secret(SecretId=secret)
    return {v: sorted(s) for v, s in versions["VersionIdsToStages"].items() if s}


def rotator(cloud: LocalCloud) -> str:
    return cloud.attribute("RotatorFunction", "Arn")


def client_secret(cloud: LocalCloud, value: str = "v1") -> str:
    """A secret a client made (not the template)."""
    arn: str = cloud.client("secretsmanager").create_secret(Name="app/db", SecretString=value)[
        "ARN"
    ]
    return arn


def rotation_events(cloud: LocalCloud) -> list[str]:
    return [e["detail"]["eventName"] for e in testing.service_events(cloud, CLOUDTRAIL)]


# ------------------------------------------------------------------ RotateImmediately=false


def test_rotate_immediately_false_tests_a_pending_copy_of_the_current_value_then_removes_it(
    cloud: LocalCloud,
) -> None:
    """API reference, RotateSecret, RotateImmediately: "If you set RotateImmediately to false,
    Secrets Manager tests the rotation configuration by running the testSecret step of the
    Lambda rotation function. This test creates an AWSPENDING version of the secret and then
    removes it."
    (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html)

    What that AWSPENDING version holds, the documentation does not say. The local cloud gives
    it the current value: Secrets Manager makes no credentials itself, and the rotation
    templates' testSecret reads the AWSPENDING value back to log in with it."""
    sm = cloud.client("secretsmanager")
    secret = client_secret(cloud, "v1")
    [original] = stages(cloud, secret)
    answer = sm.rotate_secret(
        SecretId=secret, RotationLambdaARN=rotator(cloud), RotateImmediately=False
    )
    cloud.wait_idle(timeout=30)
    [test] = records(cloud)
    assert test["event"]["Step"] == "testSecret"
    token = test["event"]["ClientRequestToken"]
    assert answer["VersionId"] == token
    assert test["pending"] == "v1"  # the current value
    assert test["stages"][token] == ["AWSPENDING"]
    assert test["stages"][original] == ["AWSCURRENT"]
    assert test["rotation_enabled"] is True
    # ... and then removes it: nothing else changed, but rotation is configured.
    assert stages(cloud, secret) == {original: ["AWSCURRENT"]}
    assert token not in sm.describe_secret(SecretId=secret)["VersionIdsToStages"]
    assert sm.get_secret_value(SecretId=secret)["SecretString"] == "v1"
    described = sm.describe_secret(SecretId=secret)
    assert described["RotationEnabled"] is True
    assert described["RotationLambdaARN"] == rotator(cloud)
    assert rotation_events(cloud) == []  # a test, not a rotation
    sm.rotate_secret(SecretId=secret)  # configured: no function ARN needed now
    cloud.wait_idle(timeout=30)
    assert [r["event"]["Step"] for r in records(cloud)] == STEPS


def test_a_failed_configuration_test_fails_the_call_and_changes_nothing(clouds: Any) -> None:
    """The documentation does not say whether a failed configuration test fails RotateSecret.
    The local cloud fails it (InvalidRequestException, with the function's error type) and
    leaves the secret as it was, so a wrong configuration is seen where it was made."""
    cloud = clouds(FailStep="testSecret")
    sm = cloud.client("secretsmanager")
    secret = client_secret(cloud, "v1")
    before = stages(cloud, secret)
    with pytest.raises(ClientError) as raised:
        sm.rotate_secret(SecretId=secret, RotationLambdaARN=rotator(cloud), RotateImmediately=False)
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidRequestException"
    assert (
        "testSecret step failed with RuntimeError: testSecret failed as configured"
        in (error["Message"])
    )
    cloud.wait_idle(timeout=30)
    assert stages(cloud, secret) == before
    described = sm.describe_secret(SecretId=secret)
    assert not described.get("RotationEnabled")
    assert not described.get("RotationLambdaARN")
    assert sm.get_secret_value(SecretId=secret)["SecretString"] == "v1"
    assert cloud.async_failures == []  # reported to the caller, not in the background


# ------------------------------------------------------------------ a rotation


def test_a_rotation_leaves_the_stages_as_aws_does_and_a_second_rotation_works(
    cloud: LocalCloud,
) -> None:
    """How rotation works, finishSecret: "rotation moves the label AWSCURRENT from the previous
    secret version to this version. Secrets Manager adds the AWSPREVIOUS staging label to the
    previous version" (https://docs.aws.amazon.com/secretsmanager/latest/userguide/
    rotate-secrets_how.html). The function moves AWSCURRENT; Secrets Manager, nothing else:
    API reference, RotateSecret: "When rotation is successful, the AWSPENDING staging label
    might be attached to the same version as the AWSCURRENT version, or it might not be
    attached to any version." A second RotateSecret then starts (moto refused it with
    "Previous rotation request is still in progress", reading that sentence backwards)."""
    sm = cloud.client("secretsmanager")
    secret = client_secret(cloud, "v1")
    [first] = stages(cloud, secret)
    answer = sm.rotate_secret(SecretId=secret, RotationLambdaARN=rotator(cloud))
    token = answer["VersionId"]
    cloud.wait_idle(timeout=30)
    steps = records(cloud)
    assert [r["event"]["Step"] for r in steps] == STEPS
    assert {r["event"]["ClientRequestToken"] for r in steps} == {token}
    # RotateSecret made the AWSPENDING version with no value; createSecret gave it one.
    assert steps[0]["stages"][token] == ["AWSPENDING"]
    assert steps[2]["pending"] == f"v1+{token[:8]}"
    assert stages(cloud, secret) == {
        first: ["AWSPREVIOUS"],
        token: ["AWSCURRENT", "AWSPENDING"],  # as the function left it
    }
    assert sm.get_secret_value(SecretId=secret)["SecretString"] == f"v1+{token[:8]}"
    assert cloud.async_failures == []

    again = sm.rotate_secret(SecretId=secret)["VersionId"]
    cloud.wait_idle(timeout=30)
    assert [r["event"]["Step"] for r in records(cloud)] == STEPS
    assert stages(cloud, secret) == {
        token: ["AWSPREVIOUS"],
        again: ["AWSCURRENT", "AWSPENDING"],
    }
    assert sm.get_secret_value(SecretId=secret)["SecretString"] == f"v1+{token[:8]}+{again[:8]}"
    assert sm.describe_secret(SecretId=secret).get("LastRotatedDate")


def test_rotate_secret_is_refused_while_awspending_is_on_another_version(clouds: Any) -> None:
    """API reference, RotateSecret: "If the AWSPENDING staging label is present but not
    attached to the same version as AWSCURRENT, then any later invocation of RotateSecret
    assumes that a previous rotation request is still in progress and returns an error. When
    rotation is unsuccessful, the AWSPENDING staging label might be attached to an empty
    secret version." The error's words are not in the reference; users report them as
    "InvalidRequestException: A previous rotation isn't complete. That rotation will be
    reattempted." (https://github.com/hashicorp/terraform-provider-aws/issues/35023)."""
    cloud = clouds(FailStep="setSecret")
    sm = cloud.client("secretsmanager")
    secret = client_secret(cloud, "v1")
    [current] = stages(cloud, secret)
    token = sm.rotate_secret(SecretId=secret, RotationLambdaARN=rotator(cloud))["VersionId"]
    cloud.wait_idle(timeout=30)
    assert [r["event"]["Step"] for r in records(cloud)] == ["createSecret", "setSecret"]
    [failure] = cloud.async_failures
    assert failure.what == "rotation setSecret (" + rotator(cloud).rsplit(":", 1)[-1] + ")"
    assert stages(cloud, secret) == {current: ["AWSCURRENT"], token: ["AWSPENDING"]}
    for kwargs in ({}, {"RotateImmediately": False}):
        with pytest.raises(ClientError) as raised:
            sm.rotate_secret(SecretId=secret, **kwargs)
        assert raised.value.response["Error"] == {
            "Code": "InvalidRequestException",
            "Message": "A previous rotation isn't complete. That rotation will be reattempted.",
        }
    cloud.wait_idle(timeout=30)
    assert records(cloud) == []  # the function was not called again
    assert sm.get_secret_value(SecretId=secret)["SecretString"] == "v1"


def test_a_secret_with_no_rotation_function_cannot_be_rotated(cloud: LocalCloud) -> None:
    """API reference, RotateSecret, InvalidRequestException: "You tried to enable rotation on
    a secret that doesn't already have a Lambda function ARN configured and you didn't include
    such an ARN as a parameter in this call." The AWS CLI prints it as "An error occurred
    (InvalidRequestException) when calling the RotateSecret operation: No Lambda rotation
    function ARN is associated with this secret." (quoted in
    https://github.com/getmoto/moto/pull/3912). moto emptied the secret's value instead."""
    sm = cloud.client("secretsmanager")
    secret = client_secret(cloud, "keep me")
    before = stages(cloud, secret)
    with pytest.raises(ClientError) as raised:
        sm.rotate_secret(SecretId=secret)
    assert raised.value.response["Error"] == {
        "Code": "InvalidRequestException",
        "Message": "No Lambda rotation function ARN is associated with this secret.",
    }
    assert stages(cloud, secret) == before
    assert sm.get_secret_value(SecretId=secret)["SecretString"] == "keep me"
    assert not sm.describe_secret(SecretId=secret).get("RotationEnabled")


# ------------------------------------------------------------------ events


def test_rotation_events_reach_eventbridge_as_cloudtrail_service_events(clouds: Any) -> None:
    """User Guide, "Logging AWS Secrets Manager events with AWS CloudTrail": CloudTrail
    captures "RotationStarted event - A secret started rotation", "RotationSucceeded event -
    A successful rotation event" and "RotationFailed event - Secret rotation failed."
    (https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieve-ct-entries.html).
    They reach EventBridge with "detail-type": "AWS Service Event via CloudTrail", in the shape
    of the RotationSucceeded sample of
    https://aws.amazon.com/blogs/database/multi-user-secrets-rotation-for-amazon-rds/ ."""
    cloud = clouds()
    sm = cloud.client("secretsmanager")
    secret = client_secret(cloud)
    token = sm.rotate_secret(SecretId=secret, RotationLambdaARN=rotator(cloud))["VersionId"]
    cloud.wait_idle(timeout=30)
    started, succeeded = testing.service_events(cloud, CLOUDTRAIL)
    assert [started["detail"]["eventName"], succeeded["detail"]["eventName"]] == [
        "RotationStarted",
        "RotationSucceeded",
    ]
    assert succeeded["source"] == "aws.secretsmanager"
    assert succeeded["resources"] == []
    detail = succeeded["detail"]
    assert sorted(detail) == sorted(
        [
            "eventVersion",
            "userIdentity",
            "eventTime",
            "eventSource",
            "eventName",
            "awsRegion",
            "sourceIPAddress",
            "userAgent",
            "requestParameters",
            "responseElements",
            "additionalEventData",
            "requestID",
            "eventID",
            "readOnly",
            "eventType",
            "managementEvent",
            "recipientAccountId",
            "eventCategory",
        ]
    )
    assert detail["eventSource"] == "secretsmanager.amazonaws.com"
    assert detail["userIdentity"] == {
        "accountId": cloud.account_id,
        "invokedBy": "secretsmanager.amazonaws.com",
    }
    assert detail["additionalEventData"] == {"SecretId": secret}
    assert detail["eventType"] == "AwsServiceEvent"
    assert detail["requestID"] == f"Rotation-{secret}-{token}"
    [delivered] = drain(cloud, "RotationEventQueue")  # the rule matches Succeeded and Failed
    assert delivered["detail"]["eventName"] == "RotationSucceeded"
    assert delivered["detail-type"] == CLOUDTRAIL


def test_a_failed_rotation_sends_rotation_failed(clouds: Any) -> None:
    cloud = clouds(FailStep="testSecret")
    sm = cloud.client("secretsmanager")
    secret = client_secret(cloud)
    sm.rotate_secret(SecretId=secret, RotationLambdaARN=rotator(cloud))
    cloud.wait_idle(timeout=30)
    assert rotation_events(cloud) == ["RotationStarted", "RotationFailed"]
    [delivered] = drain(cloud, "RotationEventQueue")
    assert delivered["detail"]["eventName"] == "RotationFailed"
    assert delivered["detail"]["additionalEventData"] == {"SecretId": secret}


def test_a_new_current_version_put_by_hand_abandons_the_rotation_in_progress(
    clouds: Any,
) -> None:
    """User Guide: "RotationAbandoned event - Secrets Manager removed the AWSPENDING label from
    an existing version of a secret. When you manually create a new version of a secret, you
    send a message signalling the abandonment of the current ongoing rotation in favor of the
    new secret version. As a result, Secrets Manager removes the AWSPENDING label to allow
    future rotations to succeed and publish a CloudTrail event to provide awareness of the
    change." (https://docs.aws.amazon.com/secretsmanager/latest/userguide/
    retrieve-ct-entries.html)"""
    cloud = clouds(FailStep="setSecret")
    sm = cloud.client("secretsmanager")
    secret = client_secret(cloud, "v1")
    stuck = sm.rotate_secret(SecretId=secret, RotationLambdaARN=rotator(cloud))["VersionId"]
    cloud.wait_idle(timeout=30)
    assert "AWSPENDING" in stages(cloud, secret)[stuck]
    # The function's own createSecret puts AWSPENDING, not AWSCURRENT: no abandonment there.
    assert "RotationAbandoned" not in rotation_events(cloud)
    by_hand = sm.put_secret_value(SecretId=secret, SecretString="v2")["VersionId"]
    assert stages(cloud, secret)[by_hand] == ["AWSCURRENT"]
    assert stuck not in stages(cloud, secret)  # its AWSPENDING label is gone (it had no other)
    cloud.wait_idle(timeout=30)
    abandoned = testing.service_events(cloud, CLOUDTRAIL)[-1]["detail"]
    assert abandoned["eventName"] == "RotationAbandoned"
    assert abandoned["additionalEventData"] == {"SecretId": secret}
    # ... "to allow future rotations to succeed": RotateSecret starts again.
    drain(cloud)
    sm.rotate_secret(SecretId=secret)
    cloud.wait_idle(timeout=30)
    assert [r["event"]["Step"] for r in records(cloud)] == ["createSecret", "setSecret"]


# ------------------------------------------------------------------ RotationSchedule


def test_a_rotation_schedule_rotates_on_creation_by_default(clouds: Any) -> None:
    """CloudFormation, AWS::SecretsManager::RotationSchedule, RotateImmediatelyOnUpdate: "If
    you don't specify this value, then by default, Secrets Manager rotates the secret
    immediately." (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/
    aws-resource-secretsmanager-rotationschedule.html)"""
    cloud = clouds(ScheduleRotation="true", RotateOnCreate="true")
    cloud.wait_idle(timeout=30)
    assert [r["event"]["Step"] for r in records(cloud)] == STEPS
    secret = cloud.physical_id("RotatedSecret")
    value = cloud.client("secretsmanager").get_secret_value(SecretId=secret)["SecretString"]
    assert value.startswith("original+")


def test_a_rotation_schedule_that_waits_tests_the_configuration_on_creation(
    clouds: Any,
) -> None:
    """RotateImmediatelyOnUpdate: "If you don't immediately rotate the secret, Secrets Manager
    tests the rotation configuration by running the testSecret step of the Lambda rotation
    function. The test creates an AWSPENDING version of the secret and then removes it."""
    cloud = clouds(ScheduleRotation="true", RotateOnCreate="false")
    cloud.wait_idle(timeout=30)
    [test] = records(cloud)
    assert test["event"]["Step"] == "testSecret"
    assert test["pending"] == "original"
    secret = cloud.physical_id("RotatedSecret")
    assert list(stages(cloud, secret).values()) == [["AWSCURRENT"]]
    cloud.fire_schedule("RotatedSecretSchedule")  # the schedule's rotation needs no ARN
    cloud.wait_idle(timeout=30)
    assert [r["event"]["Step"] for r in records(cloud)] == STEPS


def test_a_rotation_schedule_whose_configuration_test_fails_fails_the_deploy(
    clouds: Any,
) -> None:
    with pytest.raises(RotationTestError) as raised:
        clouds(ScheduleRotation="true", RotateOnCreate="false", FailStep="testSecret")
    assert raised.value.resource == "RotatedSecretSchedule"
    assert raised.value.error_type == "RuntimeError"
    assert "configuration test (testSecret)" in str(raised.value)
    assert "testSecret failed as configured" in str(raised.value)
