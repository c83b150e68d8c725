"""The retention decision, and proof that listing walks every page (botocore Stubber)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber

from ebs_snapshots import ebs
from ebs_snapshots.retention import (
    RetentionResult,
    Snapshot,
    list_managed,
    plan,
    retain_snapshots,
)

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def snaps(count: int, *, state: str = "completed", step_hours: int = 1) -> list[Snapshot]:
    return [
        Snapshot(f"snap-{i:04x}", NOW - timedelta(hours=i * step_hours), state)
        for i in range(count)
    ]


def test_keeps_the_newest_n_and_deletes_the_rest() -> None:
    decided = plan(snaps(10), retain=7, retain_days=0, now=NOW, trigger="snap-0000")
    assert decided.keep == [f"snap-{i:04x}" for i in range(7)]
    assert decided.delete == ["snap-0007", "snap-0008", "snap-0009"]


def test_ties_on_start_time_are_broken_by_id_so_concurrent_runs_agree() -> None:
    same_time = [Snapshot(f"snap-{c}", NOW, "completed") for c in "abcdef"]
    decided = plan(same_time, retain=3, retain_days=0, now=NOW, trigger="snap-f")
    assert decided.keep == ["snap-f", "snap-e", "snap-d"]
    assert (
        plan(list(reversed(same_time)), retain=3, retain_days=0, now=NOW, trigger="snap-f")
        == decided
    )


def test_pending_snapshots_neither_count_nor_go() -> None:
    pending = [Snapshot("snap-new1", NOW, "pending"), Snapshot("snap-new2", NOW, "pending")]
    decided = plan(snaps(8) + pending, retain=7, retain_days=0, now=NOW, trigger="snap-0000")
    assert decided.ignored == ["snap-new1", "snap-new2"]
    assert len(decided.keep) == 7 and decided.delete == ["snap-0007"]


def test_the_trigger_and_the_newest_are_never_deleted() -> None:
    old_trigger = snaps(5)[-1].snapshot_id
    decided = plan(snaps(5), retain=1, retain_days=0, now=NOW, trigger=old_trigger)
    assert set(decided.keep) == {"snap-0000", old_trigger}


def test_the_age_limit_also_deletes_young_enough_counts() -> None:
    decided = plan(snaps(5, step_hours=24), retain=7, retain_days=2, now=NOW, trigger="snap-0000")
    assert decided.keep == ["snap-0000", "snap-0001", "snap-0002"]
    assert decided.delete == ["snap-0003", "snap-0004"]


def test_duplicate_dr_copies_of_one_source_keep_the_oldest() -> None:
    copies = [
        Snapshot("snap-c1", NOW - timedelta(minutes=5), "completed", "snap-src"),
        Snapshot("snap-c2", NOW, "completed", "snap-src"),
        Snapshot("snap-c3", NOW - timedelta(hours=1), "completed", "snap-other"),
    ]
    decided = plan(copies, retain=7, retain_days=0, now=NOW, trigger="snap-c2")
    assert decided.delete == ["snap-c2"]
    assert decided.keep == ["snap-c1", "snap-c3"]


def _stubbed_ec2() -> tuple[object, Stubber]:
    ec2 = boto3.client(
        "ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    return ec2, Stubber(ec2)


def _page(ids: list[str], token: str | None) -> dict[str, object]:
    page: dict[str, object] = {
        "Snapshots": [
            {
                "SnapshotId": i,
                "StartTime": NOW - timedelta(hours=n),
                "State": "completed",
                "Tags": [],
            }
            for n, i in enumerate(ids)
        ]
    }
    if token:
        page["NextToken"] = token
    return page


def test_listing_follows_next_token_across_every_page() -> None:
    ec2, stub = _stubbed_ec2()
    expected = {"OwnerIds": ["self"], "Filters": ANY, "MaxResults": 1000}
    stub.add_response("describe_snapshots", _page(["snap-0001", "snap-0002"], "t1"), expected)
    stub.add_response(
        "describe_snapshots", _page(["snap-0003"], "t2"), {**expected, "NextToken": "t1"}
    )
    stub.add_response(
        "describe_snapshots", _page(["snap-0004"], None), {**expected, "NextToken": "t2"}
    )
    with stub:
        listed = list_managed(ec2, "vol-1")
    stub.assert_no_pending_responses()
    assert [s.snapshot_id for s in listed] == ["snap-0001", "snap-0002", "snap-0003", "snap-0004"]


def _retain(ec2: Any, *, retain: int, dry_run: bool = False) -> RetentionResult:
    """The Retain step for vol-1, started by snap-0000, with no age limit."""
    return retain_snapshots(
        ec2,
        volume_id="vol-1",
        trigger="snap-0000",
        retain=retain,
        retain_days=0,
        now=NOW,
        dry_run=dry_run,
    )


def test_in_use_is_skipped_and_listed_and_gone_counts_as_deleted() -> None:
    ec2, stub = _stubbed_ec2()
    stub.add_response("describe_snapshots", _page([f"snap-000{i}" for i in range(5)], None))
    stub.add_response("describe_locked_snapshots", {"Snapshots": []})  # none locked
    stub.add_response("delete_snapshot", {}, {"SnapshotId": "snap-0002"})
    stub.add_client_error(
        "delete_snapshot", "InvalidSnapshot.InUse", expected_params={"SnapshotId": "snap-0003"}
    )
    stub.add_client_error(
        "delete_snapshot", "InvalidSnapshot.NotFound", expected_params={"SnapshotId": "snap-0004"}
    )
    with stub:
        result = _retain(ec2, retain=2)
    assert result.deleted == ["snap-0002", "snap-0004"]
    assert result.in_use == ["snap-0003"]


def test_throttling_becomes_a_retryable_error_the_state_machine_names() -> None:
    ec2, stub = _stubbed_ec2()
    stub.add_response("describe_snapshots", _page(["snap-0000", "snap-0001"], None))
    stub.add_response("describe_locked_snapshots", {"Snapshots": []})  # none locked
    stub.add_client_error("delete_snapshot", "RequestLimitExceeded")
    with stub, pytest.raises(ebs.SnapshotLimitExceeded, match="RequestLimitExceeded"):
        _retain(ec2, retain=1)


def test_dry_run_deletes_nothing() -> None:
    ec2, stub = _stubbed_ec2()
    stub.add_response("describe_snapshots", _page([f"snap-000{i}" for i in range(4)], None))
    stub.add_response("describe_locked_snapshots", {"Snapshots": []})  # none locked
    with stub:  # any delete call would find no stubbed response and fail
        result = _retain(ec2, retain=2, dry_run=True)
    assert result.would_delete == ["snap-0002", "snap-0003"] and result.deleted == []


def test_an_unexpected_error_is_not_swallowed() -> None:
    ec2, stub = _stubbed_ec2()
    stub.add_response("describe_snapshots", _page(["snap-0000", "snap-0001"], None))
    stub.add_response("describe_locked_snapshots", {"Snapshots": []})  # none locked
    stub.add_client_error("delete_snapshot", "UnauthorizedOperation")
    with stub, pytest.raises(ClientError, match="UnauthorizedOperation"):
        _retain(ec2, retain=1)


def test_archived_snapshots_neither_count_nor_go() -> None:
    archived = [
        Snapshot("snap-arc1", NOW - timedelta(days=90), "completed", storage_tier="archive"),
        Snapshot("snap-arc2", NOW - timedelta(days=200), "completed", storage_tier="archive"),
    ]
    decided = plan(snaps(8) + archived, retain=7, retain_days=30, now=NOW, trigger="snap-0000")
    assert decided.archived == ["snap-arc1", "snap-arc2"]
    assert len(decided.keep) == 7 and decided.delete == ["snap-0007"]


def test_a_locked_snapshot_is_skipped_and_listed_never_an_error() -> None:
    ec2, stub = _stubbed_ec2()
    stub.add_response("describe_snapshots", _page([f"snap-000{i}" for i in range(5)], None))
    stub.add_response(
        "describe_locked_snapshots",
        {"Snapshots": [{"SnapshotId": "snap-0003", "LockState": "governance"}]},
        {"SnapshotIds": ["snap-0002", "snap-0003", "snap-0004"]},
    )
    stub.add_response("delete_snapshot", {}, {"SnapshotId": "snap-0002"})
    # locked between the look and the delete: answered as a lock, not an error
    stub.add_client_error(
        "delete_snapshot", "SnapshotLocked", expected_params={"SnapshotId": "snap-0004"}
    )
    with stub:
        result = _retain(ec2, retain=2)
    assert result.deleted == ["snap-0002"]
    assert result.locked == ["snap-0003", "snap-0004"]
