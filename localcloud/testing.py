"""What tests, the demo and benchmarks set up and read on the local cloud, as a supported API.

Nothing outside `localcloud` reaches into moto: what cannot be done through an AWS API (a job
that runs six hours, a snapshot taken last week, a cluster's task counts) is done here, and
what every test would otherwise write again (a mailbox on a topic, a stack with only one
automation, a metric's data points) is written once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localcloud.core import Hooks, faults
from localcloud.core.calls import ApiCall, observe
from localcloud.services import ec2, ecs, iam, s3, secretsmanager
from localcloud.template import load_yaml

if TYPE_CHECKING:
    from localcloud import LocalCloud
    from localcloud.services.s3.listing import ShortPages

__all__ = [
    "ApiCall",
    "TopicTap",
    "batch_job_behaviour",
    "before_call",
    "begin_rotation",
    "bucket_digest",
    "drain",
    "history_quota",
    "inject_fault",
    "managed_policies_loaded_once",
    "metric_series",
    "only",
    "pass_time",
    "publish_as_service",
    "set_cluster_task_counts",
    "set_rotation_enabled",
    "set_snapshot_start_time",
    "short_pages",
    "snapshot_timings",
]

# ------------------------------------------------------------------------------ stacks

ENABLE_PREFIX = "Enable"


def only(template: str | Path, *enabled: str, **parameters: str) -> dict[str, str]:
    """Parameters for a stack with only these automations: every `Enable…` parameter of the
    template "false" but the ones named ("EnableBucketSync"), which are "true"; then
    `parameters` on top."""
    declared = load_yaml(Path(template)).get("Parameters") or {}
    switches = [name for name in declared if name.startswith(ENABLE_PREFIX)]
    unknown = sorted(set(enabled) - set(switches))
    if unknown:
        raise KeyError(f"{unknown} are not Enable… parameters of {template}; it has {switches}")
    return {**{name: str(name in enabled).lower() for name in switches}, **parameters}


# ------------------------------------------------------------------------------ Batch


def batch_job_behaviour(
    cloud: LocalCloud,
    job_definition: str,
    *,
    seconds: float = 0.0,
    outcome: str = "SUCCEEDED",
    reason: str = "Essential container in task exited",
) -> None:
    """Jobs of this definition (name, any revision) run `seconds` on the scaled clock, then end
    as `outcome`. Without a behaviour, a job succeeds the moment it is submitted."""
    cloud.core.service("batch").set_behaviour(job_definition, seconds, outcome, reason)


# ------------------------------------------------------------------------------ EC2, ECS, S3


def set_snapshot_start_time(
    cloud: LocalCloud, snapshot_id: str, started: datetime, region: str | None = None
) -> None:
    """A snapshot made earlier: it started at `started` and has completed, its completion
    notification sent back then (so none is sent now). For a test's history of snapshots."""
    ec2.set_snapshot_start_time(cloud.core, region or cloud.stack().region, snapshot_id, started)


def set_snapshot_archived(
    cloud: LocalCloud, snapshot_id: str, archived: datetime, region: str | None = None
) -> None:
    """A snapshot archived earlier: in the archive tier since `archived`, as
    DescribeSnapshotTierStatus reports it (ArchivalCompleteTime). For a test's history."""
    ec2.set_snapshot_archived(cloud.core, region or cloud.stack().region, snapshot_id, archived)


def set_cluster_task_counts(
    cloud: LocalCloud, cluster: str, *, running: int, pending: int, region: str | None = None
) -> None:
    """Set a cluster's running and pending task counts (moto has no scheduler to move them)."""
    ecs.set_cluster_task_counts(
        cloud.core, region or cloud.stack().region, cluster, running, pending
    )


def bucket_digest(bucket: str, account_id: str | None = None) -> dict[str, str]:
    """key -> MD5 of every current object's body, read from the store without a request."""
    if account_id is None:
        from moto.core.models import DEFAULT_ACCOUNT_ID

        account_id = DEFAULT_ACCOUNT_ID
    return s3.object_digests(account_id, bucket)


# ------------------------------------------------------------------------------ Step Functions


@contextmanager
def history_quota(cloud: LocalCloud, events: int) -> Iterator[None]:
    """While the block runs, Standard executions end at `events` history events instead of
    AWS's 25,000, exactly as they would at 25,000: to test a machine that loops without running
    25,000 events through moto."""
    from localcloud.services.stepfunctions import quotas

    if events < 2:
        raise ValueError("a history has at least ExecutionStarted and its last event")
    state: quotas.Quotas = cloud.core.service(quotas.SERVICE)
    previous, state.history_events = state.history_events, events
    try:
        yield
    finally:
        state.history_events = previous


# ------------------------------------------------------------------------------ Secrets Manager

begin_rotation = secretsmanager.begin_rotation
set_rotation_enabled = secretsmanager.set_rotation_enabled


# ------------------------------------------------------------------------------ IAM


@contextmanager
def managed_policies_loaded_once() -> Iterator[None]:
    """For plain `mock_aws` tests: AWS managed policies in the `aws` partition only, parsed
    once per process, as the local cloud has them (moto loads them into six partitions)."""
    hooks = Hooks()
    iam.install_hooks(hooks)
    try:
        yield
    finally:
        hooks.remove()


# ------------------------------------------------------------------------------ calls


@contextmanager
def before_call(service: str, operation: str, callback: Callable[[ApiCall], Any]) -> Iterator[None]:
    """Run `callback` before every `service` `operation` call in the block (from any client,
    a function's included): to change the world between two calls, as a real one would."""

    def observer(call: ApiCall) -> None:
        if call.service == service and call.operation == operation:
            callback(call)

    stop = observe(observer)
    try:
        yield
    finally:
        stop()


def inject_fault(
    cloud: LocalCloud,
    service: str,
    operation: str,
    *,
    code: str = "ThrottlingException",
    status: int = 400,
    message: str | None = None,
    count: int | None = None,
    share: float | None = None,
    callers: str | Iterable[str] | None = None,
) -> faults.Fault:
    """Make `service` (botocore's name: "s3", "stepfunctions") `operation` ("PutObject") fail
    with error `code` and HTTP `status`, as the service answers it, from now until the handle's
    `.stop()` (or the end of its `with` block, or the cloud's stop).

    Every matching call made through botocore in the process fails (a test's, a function's,
    a Step Functions integration's), before it reaches moto: nothing is done. The answer is
    the service's own error format at each attempt, so botocore retries it as it would on AWS
    (standard and adaptive modes retry throttling codes, `SlowDown` and 500/502/503/504;
    e.g. `code="SlowDown", status=503` on S3, `code="InternalFailure", status=500`).
    The local cloud's own calls are never failed, and `cloud.client(...)` clients are the
    local cloud's own: make the client under test with `boto3.client(...)`.

    `count`: only the first `count` matching calls fail. `share`: the fraction of matching
    calls that fail, deterministically (0.5: the 2nd, 4th, 6th, ...; with `count`, at most
    `count` of them). `callers`: only calls made inside invocations of these functions
    (function names, as `localcloud.metering.invoking_function` gives them).
    The handle counts the matching calls (`.calls`, every attempt) and the failed ones
    (`.injected`)."""
    named = None
    if callers is not None:
        named = frozenset([callers] if isinstance(callers, str) else callers)
    return faults.inject(
        cloud.core,
        service,
        operation,
        code=code,
        status=status,
        message=message,
        count=count,
        share=share,
        callers=named,
    )


# ------------------------------------------------------------------------------ SNS and SQS


def drain(cloud: LocalCloud, queue_url: str, region: str | None = None) -> list[Any]:
    """Receive and delete every visible message of a queue; their bodies, JSON parsed."""
    sqs = cloud.client("sqs", region=region)
    bodies: list[Any] = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def publish_as_service(
    cloud: LocalCloud,
    topic_arn: str,
    service: str,
    *,
    message: str,
    subject: str | None = None,
    source_arn: str | None = None,
) -> None:
    """Publish as an AWS service does (Budgets: `budgets.amazonaws.com`): only if the topic's
    access policy lets that service publish for this account, and for a topic encrypted with
    KMS, the key's policy lets the service use the key. A refused publish raises, where
    on AWS the service's notification would be lost without a word."""
    decision = cloud.iam.service_may_publish(
        topic_arn, service, source_arn=source_arn, source_account=cloud.account_id
    )
    if not decision.allowed and cloud.iam.mode == "enforce":
        raise PermissionError(f"{service} may not publish to {topic_arn}: {decision.reason}")
    kwargs = {"Subject": subject} if subject else {}
    cloud.client("sns").publish(TopicArn=topic_arn, Message=message, **kwargs)


class TopicTap:
    """An SQS queue subscribed to a topic, as an operator's mailbox would be (in the topic's
    stack's `region`: the default stack's by default)."""

    def __init__(
        self,
        cloud: LocalCloud,
        topic_logical_id: str,
        name: str | None = None,
        region: str | None = None,
    ) -> None:
        self.cloud = cloud
        self.region = region
        sqs = cloud.client("sqs", region=region)
        self.url = sqs.create_queue(QueueName=name or f"tap-{topic_logical_id}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        topic = cloud.physical_id(topic_logical_id, region=region)
        # As on AWS, SNS may send to the queue only if the queue's policy says so.
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
                }
            ],
        }
        sqs.set_queue_attributes(QueueUrl=self.url, Attributes={"Policy": json.dumps(policy)})
        cloud.client("sns", region=region).subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)

    def messages(self) -> list[dict[str, Any]]:
        """Every notification received since the last call (Subject, Message, attributes)."""
        return drain(self.cloud, self.url, region=self.region)


# ------------------------------------------------------------------------------ CloudWatch


def metric_series(
    cloud: LocalCloud,
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    *,
    stat: str = "Maximum",
    period: int = 1,
    around: timedelta = timedelta(minutes=10),
) -> dict[datetime, float]:
    """A metric's data points within `around` of now on the local cloud's clock, by UTC
    timestamp."""
    now = datetime.fromtimestamp(cloud.clock.wall(), UTC)
    query = {
        "Id": "m",
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            },
            "Period": period,
            "Stat": stat,
        },
    }
    series: dict[datetime, float] = {}
    for page in (
        cloud.client("cloudwatch")
        .get_paginator("get_metric_data")
        .paginate(MetricDataQueries=[query], StartTime=now - around, EndTime=now + around)
    ):
        for result in page["MetricDataResults"]:
            for moment, value in zip(result["Timestamps"], result["Values"], strict=True):
                series[moment.astimezone(UTC)] = value
    return series


# ------------------------------------------------------------------------------ EventBridge


def service_events(cloud: LocalCloud, detail_type: str | None = None) -> list[dict[str, Any]]:
    """Every event an AWS service sent to a default bus (EC2, S3, Batch, Secrets Manager),
    oldest first; only those of `detail_type` if given."""
    sent: list[dict[str, Any]] = cloud.core.service("aws_events").sent
    return [dict(e) for e in sent if detail_type is None or e["detail-type"] == detail_type]


# ------------------------------------------------------------------------------ EC2 snapshots


def snapshot_timings(
    cloud: LocalCloud,
    *,
    create_seconds: float | None = None,
    copy_seconds: float | None = None,
    restore_seconds: float | None = None,
) -> None:
    """How long, on the local cloud's clock, a snapshot (CreateSnapshot, CreateSnapshots) and a
    copy (CopySnapshot) stay `pending`, and a RestoreSnapshotTier takes. Defaults: 5 s, 180 s,
    6 h (`localcloud.services.ec2`)."""
    ec2.timings(
        cloud.core,
        create_seconds=create_seconds,
        copy_seconds=copy_seconds,
        restore_seconds=restore_seconds,
    )


def pass_time(cloud: LocalCloud, seconds: float) -> None:
    """Let `seconds` pass on the local cloud's clock (skipped at time_scale 0, as a Wait state
    skips them) and hand every timer then due to the dispatcher at once, so a `wait_idle`
    right after sees what it started (a snapshot completing, its notification's machine)."""
    cloud.clock.sleep(seconds)
    cloud.core.timers.fire_due()


# ------------------------------------------------------------------------------ S3 archive tiers


def move_to_archive_tier(
    cloud: LocalCloud, bucket: str, key: str, tier: str = "ARCHIVE_ACCESS"
) -> None:
    """Move an INTELLIGENT_TIERING object to its ARCHIVE_ACCESS or DEEP_ARCHIVE_ACCESS tier,
    as S3 does by itself once the object has gone unaccessed for the days its bucket's
    Intelligent-Tiering configuration names (moto has no access tiers). GetObject and
    CopyObject then refuse it until a RestoreObject has run its course."""
    s3.set_access_tier(cloud.core, bucket, key, tier)


# ------------------------------------------------------------------------------ S3 listings


def short_pages(
    cloud: LocalCloud,
    bucket: str,
    *,
    every: int | None = None,
    at: Iterable[int] | None = None,
) -> ShortPages:
    """Make chosen ListObjectsV2 requests on `bucket` answer an empty page with IsTruncated
    true and a NextContinuationToken that continues exactly where the request started (after
    its ContinuationToken's key, after its StartAfter, or from the beginning), as S3 may ("The
    response might contain fewer keys but will never contain more"): to test that a lister
    keeps going until IsTruncated is false, whatever a page holds.

    Give exactly one of `every` (each `every`-th request: 2 → the 2nd, 4th, ...; at least 2)
    or `at` (request numbers, from 1: `at=[1, 3]`). The bucket's requests are counted from
    the call, from any client (a function's included) but the local cloud's own; a chosen
    request whose true answer is already an empty last page is answered as it is. The choice
    depends only on the count, so a test is repeatable. Active until the handle's `.stop()`
    (or the end of its `with` block, or the cloud's stop); the handle counts the requests
    (`.calls`) and the pages emptied (`.shortened`). ListObjects (V1) and ListObjectVersions
    are not affected."""
    return s3.short_pages(cloud.core, bucket, every, at)
