"""A copy page on moto S3: a bounded pool, and a hand-over when Lambda's time runs short."""

from __future__ import annotations

import boto3

from bucket_sync.config import SyncConfig
from bucket_sync.pages import PageSettings, copy_page


def _buckets(count: int) -> object:
    s3 = boto3.client("s3")
    for bucket in ("src", "dst"):
        s3.create_bucket(Bucket=bucket)
    for i in range(count):
        s3.put_object(Bucket="src", Key=f"k{i:04d}", Body=f"v{i}".encode())
    return s3


def test_a_page_that_runs_short_of_time_hands_over_at_a_chunk_boundary(aws_env: None) -> None:
    s3 = _buckets(150)
    calls = iter([600_000, 5_000])  # plenty for the first chunk, then below the margin
    cursor, done, counts, errors = copy_page(
        s3,
        SyncConfig(source="src", destination="dst"),
        "",
        PageSettings(page_size=1000, chunk=64),
        lambda: next(calls, 0),
    )
    assert (done, cursor, counts["copied"], errors) == (False, "k0063", 64, [])
    # the next invocation goes on from the cursor and finishes the page
    cursor, done, counts, _ = copy_page(
        s3,
        SyncConfig(source="src", destination="dst"),
        cursor,
        PageSettings(page_size=1000, chunk=64),
        lambda: 600_000,
    )
    assert (done, cursor, counts["copied"]) == (True, "k0149", 86)
    assert s3.list_objects_v2(Bucket="dst")["KeyCount"] == 150
