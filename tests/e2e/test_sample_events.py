"""The sample inputs of events/<key>/ on the local cloud: what the folders' READMEs say.

Per automation, a stack with only that automation enabled, and what its inputs refer to
(buckets, job queues, IAM principals, a cluster):

- every `state-machine:<LogicalId>` file of events/<key>/ starts an execution of that machine
  that succeeds;
- every `handler:<key>.handlers.<step>` file has the shape (the same fields, nested, with
  values of the same JSON types) of an event the local cloud passed that handler meanwhile:
  the READMEs say these files were captured from the local cloud or have AWS's shape, and
  this keeps them so.

The bearer-token rotation has no state machine: Secrets Manager's four invocations of the
rotation function are compared with its four files instead. tests/unit/test_sample_events.py
holds the checks that need no local cloud (README tables, models, rules).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from fakes.x_provider import FakeXProvider
from localcloud import LocalCloud
from localcloud.testing import before_call, publish_as_service
from steward_cli.scenarios.batch_jobs import batch_infrastructure
from tests.support.events import Row, handler_modules, rows_of
from tests.support.x_apps import APP_A, bearer_stack

FULL = "arn:aws:iam::aws:policy/AmazonEC2FullAccess"
ROTATION_STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"]


# ------------------------------------------------------------------------------ per automation


def batch_jobs(stack: Any) -> LocalCloud:
    cloud: LocalCloud = stack("EnableBatchJobs")
    # the queues (highPriority-myenv, lowPriority-myenv) and job definitions the inputs name
    definitions = ["isaac-myenv", "samtools_stats-myenv", "strelka-myenv", "snpeff-myenv"]
    batch_infrastructure(cloud.client("iam"), cloud.client("batch"), definitions)
    return cloud


def bucket_sync(stack: Any) -> LocalCloud:
    requests = [row.load() for row in rows_of("state-machine", "bucket_sync")]
    sources = sorted({r["source"] for r in requests})
    destinations = sorted({r["destination"] for r in requests})
    cloud: LocalCloud = stack(
        "EnableBucketSync",
        BucketSyncSourceBuckets=",".join(sources),
        BucketSyncDestinationBuckets=",".join(destinations),
    )
    s3 = cloud.client("s3")
    for bucket in sources + destinations:
        s3.create_bucket(Bucket=bucket)
    for bucket in sources:
        for key in ("index.html", "assets/site.css", "drafts/next.html", "inbox/2026-11-23.csv"):
            s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return cloud


def cost_controls(stack: Any) -> LocalCloud:
    cloud: LocalCloud = stack("EnableCostControls", CostControlGroups="beta-devs")
    iam = cloud.client("iam")
    iam.create_group(GroupName="beta-devs")
    iam.attach_group_policy(GroupName="beta-devs", PolicyArn=FULL)
    return cloud


def cost_controls_alert(cloud: LocalCloud) -> None:
    """Budgets' notification on the topic, so the router and the restriction run too."""
    [record] = next(
        r.load()["Records"]
        for r in rows_of("handler", "cost_controls")
        if r.file == "budget_alert_actual.json"
    )
    publish_as_service(
        cloud,
        cloud.physical_id("BudgetAlertTopic"),
        "budgets.amazonaws.com",
        message=record["Sns"]["Message"],
        subject=record["Sns"]["Subject"],
    )


def ecs_metrics(stack: Any) -> LocalCloud:
    cloud: LocalCloud = stack("EnableEcsMetrics")
    cloud.client("ecs").create_cluster(clusterName="web")
    return cloud


# key -> (start the stack and what the inputs refer to, then anything else to run)
AUTOMATIONS: dict[str, tuple[Callable[[Any], LocalCloud], Callable[[LocalCloud], None]]] = {
    "batch_jobs": (batch_jobs, lambda cloud: None),
    "bucket_sync": (bucket_sync, lambda cloud: None),
    "cost_controls": (cost_controls, cost_controls_alert),
    "ecs_metrics": (ecs_metrics, lambda cloud: None),
}


def test_every_automation_with_state_machine_inputs_is_set_up_here() -> None:
    assert sorted({row.key for row in rows_of("state-machine")}) == sorted(AUTOMATIONS)


# ------------------------------------------------------------------------------ shapes


def shape(value: Any) -> Any:
    """The fields of a JSON value, nested, with the JSON type of each leaf."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "string"


@contextmanager
def invocations(cloud: LocalCloud) -> Iterator[dict[str, list[Any]]]:
    """The events the local cloud invokes each function with in the block, by function ARN."""
    seen: dict[str, list[Any]] = {}

    def record(call: Any) -> None:
        payload = call.params.get("Payload")
        seen.setdefault(call.params["FunctionName"], []).append(json.loads(payload or b"null"))

    with before_call("lambda", "Invoke", record):
        yield seen


def function_arn(cloud: LocalCloud, handler: str) -> str:
    return str(cloud.attribute(handler_modules()[handler], "Arn"))


def shapes_unseen(cloud: LocalCloud, rows: list[Row], seen: dict[str, list[Any]]) -> list[str]:
    """The handler files no event the local cloud passed their handler has the shape of."""
    unseen = []
    for row in rows:
        events = seen.get(function_arn(cloud, row.target), [])
        if not any(shape(event) == shape(row.load()) for event in events):
            unseen.append(f"{row.name}: {len(events)} events for {row.target}, none of its shape")
    return unseen


# ------------------------------------------------------------------------------ the tests


@pytest.mark.parametrize("key", sorted(AUTOMATIONS))
def test_state_machine_inputs_succeed_and_handler_inputs_are_what_the_local_cloud_passes(
    stack: Any, key: str
) -> None:
    start, more = AUTOMATIONS[key]
    cloud = start(stack)
    with invocations(cloud) as seen:
        runs = [
            (row, cloud.start_execution(row.target, row.load()))
            for row in rows_of("state-machine", key)
        ]
        more(cloud)
        cloud.wait_idle(timeout=120)
    failed = []
    for row, arn in runs:
        execution = cloud.describe_execution(arn)
        if execution["status"] != "SUCCEEDED":
            failed.append(
                f"{row.name} -> {row.target}: {execution['status']} {execution['error']}: {execution['cause']}"
            )
    assert failed == [], "executions that did not succeed"
    assert cloud.async_failures == []
    assert shapes_unseen(cloud, rows_of("handler", key), seen) == []


def test_secrets_manager_invokes_the_rotation_function_with_the_four_sample_events(
    stack: Any,
) -> None:
    rows = {row.load()["Step"]: row for row in rows_of("handler", "bearer_token")}
    with FakeXProvider() as provider:
        provider.register_app(**APP_A)
        cloud: LocalCloud = bearer_stack(stack, provider)
        with invocations(cloud) as seen:
            cloud.client("secretsmanager").rotate_secret(
                SecretId=cloud.physical_id("BearerTokenSecret")
            )
            cloud.wait_idle(timeout=60)
    assert cloud.async_failures == []
    sent = seen[function_arn(cloud, "bearer_token.handlers.rotation")]
    assert sorted(rows) == sorted(ROTATION_STEPS), "one sample event per step"
    assert [event["Step"] for event in sent] == ROTATION_STEPS
    for event in sent:
        assert shape(event) == shape(rows[event["Step"]].load())
        assert event["SecretId"] == cloud.physical_id("BearerTokenSecret")
