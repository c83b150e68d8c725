"""Demo: a bucket sync is refused, and the on-call mailbox gets one readable message about it."""

from __future__ import annotations

import json
from typing import Any

from localcloud.testing import TopicTap
from steward_cli.report import Reporter
from steward_cli.scenarios import Scenario, expect

SRC, DST = "staging-site", "production-site"


def run(cloud: Any, report: Reporter, services: Any) -> None:
    s3 = cloud.client("s3")
    for bucket in (SRC, DST):
        s3.create_bucket(Bucket=bucket)
    for key in ("index.html", "about.html", "site.css"):
        s3.put_object(Bucket=DST, Key=key, Body=key.encode())
    mailbox = TopicTap(cloud, "AlertTopic", name="ops-mailbox")
    report.step(f"{DST} holds 3 objects; {SRC} is empty (a broken deploy emptied it)")

    arn = cloud.start_execution(
        "BucketSyncStateMachine", {"source": SRC, "destination": DST}, name="nightly-site"
    )
    cloud.wait_idle(timeout=300)
    execution = cloud.describe_execution(arn)
    report.step(f"the nightly sync {execution['status']}: {execution['error']}")
    expect(execution["status"] == "FAILED", f"the sync ended {execution['status']}")
    expect(len(s3.list_objects_v2(Bucket=DST).get("Contents", [])) == 3, "objects were deleted")
    report.detail("nothing was deleted: emptying the destination needs max_delete")

    messages = mailbox.messages()
    expect(len(messages) == 1, f"{len(messages)} messages on AlertTopic, not one")
    [message] = messages
    report.step(f"one message on AlertTopic: {message['Subject']}")
    body = json.loads(message["Message"])
    for field in ("automation", "execution", "failed_state", "error", "link"):
        report.detail(f"{field}: {body[field]}")
    report.detail(f"input: {json.dumps(body['input'])}")


SCENARIO = Scenario(
    name="alerts",
    title="Alerts: a refused bucket sync is one readable message on AlertTopic",
    run=run,
    enables=("EnableBucketSync",),
    parameters={"BucketSyncSourceBuckets": SRC, "BucketSyncDestinationBuckets": DST},
    order=70,
)
