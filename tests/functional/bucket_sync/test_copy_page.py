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


def test_skipped_and_excluded_objects_are_counted_once_across_a_hand_over(aws_env: None) -> None:
    """Counts are per chunk done: a page handed over after its first chunk counts only that
    chunk's skipped and excluded objects, and the next invocation the rest (issue #19: the
    whole page's were counted before the hand-over, and again after it)."""
    s3 = _buckets(150)
    config = SyncConfig(source="src", destination="dst", exclude=("k00[0-4]*",))
    settings = PageSettings(page_size=1000, chunk=64)
    assert copy_page(s3, config, "", settings, lambda: 600_000)[2]["copied"] == 100
    calls = iter([600_000, 5_000])
    cursor, done, first, _ = copy_page(s3, config, "", settings, lambda: next(calls, 0))
    assert (done, cursor) == (False, "k0063")
    assert (first["excluded"], first["skipped"]) == (50, 14)
    cursor, done, rest, _ = copy_page(s3, config, cursor, settings, lambda: 600_000)
    assert done
    assert (first["excluded"] + rest["excluded"], first["skipped"] + rest["skipped"]) == (50, 100)
