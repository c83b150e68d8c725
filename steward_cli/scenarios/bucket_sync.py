"""Demo: make production equal staging — including the same-size edit `aws s3 sync` misses."""

from __future__ import annotations

from typing import Any

from steward_cli.report import Reporter
from steward_cli.scenarios import Scenario, expect

STAGING, PRODUCTION = "staging-site", "production-site"


def _objects(s3: Any, bucket: str) -> dict[str, bytes]:
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            found[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return found


def run(cloud: Any, report: Reporter, services: Any) -> None:
    s3 = cloud.client("s3")
    for bucket in (STAGING, PRODUCTION):
        s3.create_bucket(Bucket=bucket)
    pages = {f"blog/post-{i:03d}.html": f"<h1>Post {i}</h1>".encode() for i in range(120)}
    for key, body in pages.items():
        s3.put_object(Bucket=PRODUCTION, Key=key, Body=body, ContentType="text/html")
    s3.put_object(Bucket=PRODUCTION, Key="blog/retired.html", Body=b"<h1>Gone</h1>")
    pages["blog/post-007.html"] = b"<h1>Post 8</h1>"  # a typo fixed: same size, new content
    pages["blog/post-120.html"] = b"<h1>Post 120</h1>"
    pages["about us.html"] = "<p>Über uns</p>".encode()
    for key, body in pages.items():
        s3.put_object(Bucket=STAGING, Key=key, Body=body, ContentType="text/html")
    report.step(
        f"staging: {len(pages)} pages; production: 121, one retired page, one same-size edit pending"
    )

    report.step("a dry run first: the plan, and nothing changed")
    cloud.start_execution(
        "BucketSyncStateMachine", {"source": STAGING, "destination": PRODUCTION, "dry_run": True}
    )
    cloud.wait_idle(timeout=120)
    plan = cloud.executions("BucketSyncStateMachine")[-1]["output"]
    report.detail(
        f"would copy {plan['would_copy']} ({plan['would_copy_bytes']} bytes), would delete "
        f"{plan['would_delete']}, unchanged {plan['skipped']}"
    )
    expect(plan["would_copy"] == 3 and plan["would_delete"] == 1, f"unexpected plan {plan}")

    report.step("the sync itself")
    cloud.start_execution("BucketSyncStateMachine", {"source": STAGING, "destination": PRODUCTION})
    cloud.wait_idle(timeout=120)
    execution = cloud.executions("BucketSyncStateMachine")[-1]
    report.execution(execution)
    summary = execution["output"]
    report.detail(
        f"copied {summary['copied']}, skipped {summary['skipped']}, deleted {summary['deleted']}, "
        f"failed {summary['failed']}"
    )
    expect(_objects(s3, PRODUCTION) == _objects(s3, STAGING), "production differs from staging")
    report.detail(
        "production now equals staging, byte for byte (post-007's same-size fix included)"
    )

    report.step("run it again: nothing to do")
    cloud.start_execution("BucketSyncStateMachine", {"source": STAGING, "destination": PRODUCTION})
    cloud.wait_idle(timeout=120)
    again = cloud.executions("BucketSyncStateMachine")[-1]["output"]
    expect(
        again["copied"] == 0 and again["deleted"] == 0, f"the second run changed things: {again}"
    )
    report.detail(f"copied 0, deleted 0, skipped {again['skipped']}")


SCENARIO = Scenario(
    name="bucket_sync",
    title="S3 bucket sync: production equals staging, exactly",
    run=run,
    enables=("EnableBucketSync",),
    parameters={"BucketSyncSourceBuckets": STAGING, "BucketSyncDestinationBuckets": PRODUCTION},
    order=10,
)
