"""Steward's one alert path end to end: each failure is exactly one readable AlertTopic message."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from fakes.x_provider import FakeXProvider
from localcloud import LocalCloud
from localcloud.testing import batch_job_behaviour
from steward_cli.scenarios.batch_jobs import batch_infrastructure
from tests.support.events import load_event
from tests.support.taps import alert_tap, drain
from tests.support.x_apps import APP_A, APP_B, bearer_stack

SRC, DST = "staging-site", "production-site"


def sync_stack(stack: Any) -> LocalCloud:
    cloud: LocalCloud = stack(
        "EnableBucketSync", BucketSyncSourceBuckets=SRC, BucketSyncDestinationBuckets=DST
    )
    for bucket in (SRC, DST):
        cloud.client("s3").create_bucket(Bucket=bucket)
    return cloud


def bodies(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(m["Message"]) for m in messages]


def test_a_failed_bucket_sync_is_one_message_naming_the_state_and_the_input(stack: Any) -> None:
    cloud = sync_stack(stack)
    tap = alert_tap(cloud)
    for i in range(5):  # an empty source would empty the destination: refused
        cloud.client("s3").put_object(Bucket=DST, Key=f"k{i}", Body=b"x")
    arn = cloud.start_execution(
        "BucketSyncStateMachine", {"source": SRC, "destination": DST}, name="nightly-site"
    )
    cloud.wait_idle(timeout=300)
    assert cloud.describe_execution(arn)["status"] == "FAILED"
    [message] = tap.messages()
    body = json.loads(message["Message"])
    assert body["automation"] == "bucket_sync"
    assert (body["status"], body["error"]) == ("FAILED", "DeletionRefused")
    assert body["execution"] == "nightly-site" and body["execution_arn"] == arn
    assert body["state_machine"] == cloud.physical_id("BucketSyncStateMachine")
    assert body["failed_state"] not in ("", "unknown")
    assert body["input"] == {"source": SRC, "destination": DST}
    assert "source is empty" in body["cause"]
    region = arn.split(":")[3]
    assert body["link"].startswith(f"https://{region}.console.aws.amazon.com/states/")
    assert message["Subject"].startswith("Steward bucket_sync: ")
    assert "nightly-site" in message["Subject"]


def test_the_failed_sync_is_in_its_machines_log_group_at_the_default_error_level(
    stack: Any,
) -> None:
    """StateMachineLogLevel=ERROR (the default): the failure, not the states that succeeded
    ("ERROR - Logging of errors only"), kept LogRetentionDays (30) in the machine's own group."""
    cloud = sync_stack(stack)
    for i in range(5):
        cloud.client("s3").put_object(Bucket=DST, Key=f"k{i}", Body=b"x")
    arn = cloud.start_execution("BucketSyncStateMachine", {"source": SRC, "destination": DST})
    cloud.wait_idle(timeout=300)
    logs = cloud.client("logs")
    group = cloud.physical_id("BucketSyncStateMachineLogGroup")
    [described] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert described["retentionInDays"] == 30

    def logged() -> list[dict[str, Any]]:
        events = logs.filter_log_events(logGroupName=group)["events"]
        return [json.loads(e["message"]) for e in events]

    deadline = time.monotonic() + 10  # execution logs are delivered asynchronously
    while not any(e["type"] == "ExecutionFailed" for e in logged()):
        assert time.monotonic() < deadline, logged()
        time.sleep(0.1)
    entries = logged()
    assert {e["execution_arn"] for e in entries} == {arn}
    assert "ExecutionSucceeded" not in {e["type"] for e in entries}
    assert not any(e["type"].endswith("StateExited") for e in entries)
    [failed] = [e for e in entries if e["type"] == "ExecutionFailed"]
    assert failed["details"]["error"] == "DeletionRefused"


def test_a_failure_the_formatter_cannot_publish_waits_in_the_failed_invocations_queue(
    stack: Any,
) -> None:
    """The topics' key disabled: SNS refuses the formatter's Publish ("KMSDisabled", API
    reference, Publish, Errors), Lambda retries twice, then its OnFailure destination keeps
    the status change event, to be replayed once the key is back."""
    cloud = sync_stack(stack)
    for i in range(5):
        cloud.client("s3").put_object(Bucket=DST, Key=f"k{i}", Body=b"x")
    cloud.client("kms").disable_key(KeyId=cloud.physical_id("TopicKey"))
    arn = cloud.start_execution("BucketSyncStateMachine", {"source": SRC, "destination": DST})
    cloud.wait_idle(timeout=300)
    [record] = drain(cloud, "FailedInvocationsQueue")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responsePayload"]["errorMessage"].count("KMSDisabled") >= 1
    event = record["requestPayload"]
    assert (event["detail"]["executionArn"], event["detail"]["status"]) == (arn, "FAILED")
    cloud.client("kms").enable_key(KeyId=cloud.physical_id("TopicKey"))
    tap = alert_tap(cloud)
    cloud.client("lambda").invoke(
        FunctionName=record["requestContext"]["functionArn"],
        InvocationType="Event",
        Payload=json.dumps(event).encode(),
    )
    cloud.wait_idle(timeout=60)
    [body] = bodies(tap.messages())
    assert (body["execution_arn"], body["error"]) == (arn, "DeletionRefused")


def test_an_aborted_sync_is_one_message_not_one_per_nested_execution(stack: Any) -> None:
    cloud = sync_stack(stack)
    tap = alert_tap(cloud)
    for i in range(30):
        cloud.client("s3").put_object(Bucket=SRC, Key=f"k{i:02d}", Body=b"x")
    arn = cloud.start_execution("BucketSyncStateMachine", {"source": SRC, "destination": DST})
    cloud.client("stepfunctions").stop_execution(executionArn=arn, error="Operator")
    cloud.wait_idle(timeout=300)
    assert cloud.describe_execution(arn)["status"] == "ABORTED"
    [body] = bodies(tap.messages())
    assert (body["status"], body["execution_arn"]) == ("ABORTED", arn)


@pytest.fixture
def provider() -> Any:
    with FakeXProvider() as fake:
        fake.register_app(**APP_A)
        fake.register_app(**APP_B)
        yield fake


def test_a_failed_rotation_is_one_message_that_names_the_secret_and_no_secret_value(
    stack: Any, provider: FakeXProvider
) -> None:
    cloud = bearer_stack(stack, provider, alternating=True)
    sm = cloud.client("secretsmanager")
    secret = cloud.physical_id("BearerTokenSecret")
    sm.rotate_secret(SecretId=secret)
    cloud.wait_idle(timeout=60)
    tap = alert_tap(cloud)
    token = json.loads(sm.get_secret_value(SecretId=secret)["SecretString"])["access_token"]
    provider.fail_next("/2/usage/tweets", 500, times=50)  # testSecret's verify call
    sm.rotate_secret(SecretId=secret)
    cloud.wait_idle(timeout=120)
    [message] = tap.messages()
    body = json.loads(message["Message"])
    assert (body["automation"], body["status"], body["secret"]) == (
        "bearer_token",
        "RotationFailed",
        secret,
    )
    # Every token the secret ever held (the current one, the one testSecret refused) and the
    # API keys: none is anywhere in what reached the topic.
    text = json.dumps(message)
    tokens = set()
    for version in sm.describe_secret(SecretId=secret)["VersionIdsToStages"]:
        value = sm.get_secret_value(SecretId=secret, VersionId=version)["SecretString"]
        tokens.add(json.loads(value)["access_token"])
    tokens.discard("")  # the value the stack deployed, before any rotation
    assert token in tokens and len(tokens) >= 2
    for value in [*tokens, *APP_A.values(), *APP_B.values()]:
        assert value not in text


@pytest.mark.parametrize(
    "workflow", ["GenomicsWorkflowStateMachine", "GenomicsWorkflowSyncStateMachine"]
)
def test_a_failed_genomics_workflow_is_one_message_not_one_per_poller(
    stack: Any, workflow: str
) -> None:
    cloud: LocalCloud = stack("EnableBatchJobs")
    tools = ["isaac-myenv", "samtools_stats-myenv", "strelka-myenv", "snpeff-myenv"]
    batch_infrastructure(cloud.client("iam"), cloud.client("batch"), tools)
    tap = alert_tap(cloud)
    batch_job_behaviour(
        cloud, "strelka-myenv", seconds=60, outcome="FAILED", reason="out of memory"
    )
    arn = cloud.start_execution(workflow, load_event("batch_jobs/genomics_test_input.json"))
    cloud.wait_idle(timeout=120)
    assert cloud.describe_execution(arn)["status"] == "FAILED"
    [body] = bodies(tap.messages())
    assert (body["automation"], body["execution_arn"]) == ("batch_jobs", arn)
    assert "out of memory" in body["cause"]
    assert body["failed_state"] not in ("", "unknown")


def test_a_failed_ebs_run_is_still_one_message_with_the_formatter_deployed(stack: Any) -> None:
    # EBS and bucket sync together: the formatter is deployed, and leaves EBS to its notifier.
    cloud: LocalCloud = stack("EnableSnapshotManagement", "EnableBucketSync")
    tap = alert_tap(cloud)
    volume = cloud.client("ec2").create_volume(Size=8, AvailabilityZone="us-east-1a")["VolumeId"]
    event = load_event("ebs_snapshots/create_snapshot_succeeded.json")
    detail = event["detail"] | {  # a snapshot that does not exist: the Tag step fails
        "snapshot_id": "arn:aws:ec2::us-east-1:snapshot/snap-0badc0ffee0000000",
        "source": f"arn:aws:ec2::us-east-1:volume/{volume}",
    }
    cloud.put_events(
        [
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(detail),
                "Resources": event["resources"],
            }
        ]
    )
    cloud.wait_idle(timeout=60)
    [run] = cloud.executions("SnapshotPrimaryStateMachine")
    assert run["status"] == "FAILED"
    [message] = tap.messages()
    assert json.loads(message["Message"])["automation"] == "ebs-snapshot-management"
