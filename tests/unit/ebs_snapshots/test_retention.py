"""The retention decision, and proof that listing walks every page (botocore Stubber, the
ownership record on moto's DynamoDB)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from ebs_snapshots import ebs
from ebs_snapshots.ownership import OwnershipTable, Record
from ebs_snapshots.retention import (
    RetentionResult,
    Snapshot,
    list_owned,
    plan,
    retain_snapshots,
)
from tests.support.ownership import ownership_table

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


@pytest.fixture
def table() -> Any:
    """The ownership record, holding snap-0000 … snap-0009 of vol-1, recorded two days ago."""
    with mock_aws():
        made = ownership_table()
        for i in range(10):
            made.record(
                Record(f"snap-{i:04x}", "vol-1", recorded_at=(NOW - timedelta(days=2)).isoformat())
            )
        yield made


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


def test_listing_asks_for_the_recorded_snapshots_and_follows_every_page(
    table: OwnershipTable,
) -> None:
    ec2, stub = _stubbed_ec2()
    recorded = [f"snap-{i:04x}" for i in range(10)]
    expected = {"OwnerIds": ["self"], "Filters": [{"Name": "snapshot-id", "Values": recorded}]}
    stub.add_response("describe_snapshots", _page(["snap-0001", "snap-0002"], "t1"), expected)
    stub.add_response(
        "describe_snapshots", _page(["snap-0003"], "t2"), {**expected, "NextToken": "t1"}
    )
    stub.add_response(
        "describe_snapshots", _page(["snap-0004"], None), {**expected, "NextToken": "t2"}
    )
    with stub:
        listed = list_owned(ec2, table, "vol-1", now=NOW)
    stub.assert_no_pending_responses()
    assert [s.snapshot_id for s in listed] == ["snap-0001", "snap-0002", "snap-0003", "snap-0004"]


def test_a_record_whose_snapshot_is_gone_is_forgotten_only_after_a_day(
    table: OwnershipTable,
) -> None:
    table.record(Record("snap-fresh", "vol-1", recorded_at=NOW.isoformat()))
    ec2, stub = _stubbed_ec2()
    stub.add_response("describe_snapshots", _page(["snap-0000"], None))
    with stub:
        list_owned(ec2, table, "vol-1", now=NOW)
    assert {r.snapshot_id for r in table.of_volume("vol-1")} == {"snap-0000", "snap-fresh"}


def _retain(
    ec2: Any, table: OwnershipTable, *, retain: int, dry_run: bool = False
) -> RetentionResult:
    """The Retain step for vol-1, started by snap-0000, with no age limit."""
    return retain_snapshots(
        ec2,
        table,
        volume_id="vol-1",
        trigger="snap-0000",
        retain=retain,
        retain_days=0,
        now=NOW,
        dry_run=dry_run,
    )


def test_in_use_is_skipped_and_listed_and_gone_counts_as_deleted(table: OwnershipTable) -> None:
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
        result = _retain(ec2, table, retain=2)
    assert result.deleted == ["snap-0002", "snap-0004"]
    assert result.in_use == ["snap-0003"]
    recorded = {r.snapshot_id for r in table.of_volume("vol-1")}
    assert {"snap-0002", "snap-0004"}.isdisjoint(recorded) and "snap-0003" in recorded


def test_throttling_becomes_a_retryable_error_the_state_machine_names(
    table: OwnershipTable,
) -> None:
    ec2, stub = _stubbed_ec2()
    stub.add_response("describe_snapshots", _page(["snap-0000", "snap-0001"], None))
    stub.add_response("describe_locked_snapshots", {"Snapshots": []})  # none locked
    stub.add_client_error("delete_snapshot", "RequestLimitExceeded")
    with stub, pytest.raises(ebs.SnapshotLimitExceeded, match="RequestLimitExceeded"):
        _retain(ec2, table, retain=1)


def test_dry_run_deletes_nothing(table: OwnershipTable) -> None:
    ec2, stub = _stubbed_ec2()
    stub.add_response("describe_snapshots", _page([f"snap-000{i}" for i in range(4)], None))
    stub.add_response("describe_locked_snapshots", {"Snapshots": []})  # none locked
    with stub:  # any delete call would find no stubbed response and fail
        result = _retain(ec2, table, retain=2, dry_run=True)
    assert result.would_delete == ["snap-0002", "snap-0003"] and result.deleted == []


def test_an_unexpected_error_is_not_swallowed(table: OwnershipTable) -> None:
    ec2, stub = _stubbed_ec2()
    stub.add_response("describe_snapshots", _page(["snap-0000", "snap-0001"], None))
    stub.add_response("describe_locked_snapshots", {"Snapshots": []})  # none locked
    stub.add_client_error("delete_snapshot", "InvalidParameterValue")
    with stub, pytest.raises(ClientError, match="InvalidParameterValue"):
        _retain(ec2, table, retain=1)


def test_a_recorded_snapshot_whose_steward_tag_was_removed_is_refused_and_listed(
    table: OwnershipTable,
) -> None:
    # The IAM policy deletes only snapshots tagged steward:managed-by=steward: without the
    # tag EC2 answers UnauthorizedOperation, which is listed, not an error.
    ec2, stub = _stubbed_ec2()
    stub.add_response("describe_snapshots", _page(["snap-0000", "snap-0001"], None))
    stub.add_response("describe_locked_snapshots", {"Snapshots": []})
    stub.add_client_error("delete_snapshot", "UnauthorizedOperation")
    with stub:
        result = _retain(ec2, table, retain=1)
    assert result.refused == ["snap-0001"] and result.deleted == []


def test_archived_snapshots_neither_count_nor_go() -> None:
    archived = [
        Snapshot("snap-arc1", NOW - timedelta(days=90), "completed", storage_tier="archive"),
        Snapshot("snap-arc2", NOW - timedelta(days=200), "completed", storage_tier="archive"),
    ]
    decided = plan(snaps(8) + archived, retain=7, retain_days=30, now=NOW, trigger="snap-0000")
    assert decided.archived == ["snap-arc1", "snap-arc2"]
    assert len(decided.keep) == 7 and decided.delete == ["snap-0007"]


def test_age_retention_deletes_an_archived_snapshot_only_when_allowed_and_after_90_days() -> None:
    # "Archived snapshots have a minimum retention period of 90 days" (EBS User Guide,
    # "Archive Amazon EBS snapshots"): archived 100 days ago may go, 30 days ago may not.
    old = NOW - timedelta(days=200)
    archived = [
        Snapshot(
            "snap-arc1",
            old,
            "completed",
            storage_tier="archive",
            archived_at=NOW - timedelta(days=100),
        ),
        Snapshot(
            "snap-arc2",
            old,
            "completed",
            storage_tier="archive",
            archived_at=NOW - timedelta(days=30),
        ),
    ]
    kwargs: dict[str, Any] = {"retain": 7, "retain_days": 60, "now": NOW, "trigger": "snap-0000"}
    allowed = plan(snaps(3) + archived, delete_archived_by_age=True, **kwargs)
    assert "snap-arc1" in allowed.delete and allowed.archived == ["snap-arc2"]
    assert "snap-arc2" not in allowed.delete
    not_allowed = plan(snaps(3) + archived, **kwargs)
    assert not_allowed.archived == ["snap-arc1", "snap-arc2"] and not_allowed.delete == []


def test_a_locked_snapshot_is_skipped_and_listed_never_an_error(table: OwnershipTable) -> None:
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
        result = _retain(ec2, table, retain=2)
    assert result.deleted == ["snap-0002"]
    assert result.locked == ["snap-0003", "snap-0004"]
