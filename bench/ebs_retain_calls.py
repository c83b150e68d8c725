"""AWS API calls made by ONE run of the EBS snapshot Retain step, as the region grows.

Run: `.venv/bin/python bench/ebs_retain_calls.py` (no network, a second or two).

A region holds N managed snapshots on N/10 volumes (10 per volume, one a day, all completed).
One run of the retain step for one volume (retain=7, no age limit) must delete that volume's
3 oldest snapshots. Two implementations are measured on identical regions:

- steward: `ebs_snapshots.retention.retain_snapshots`, which reads the volume's records from its
  ownership table (one Query per page), describes just those snapshots (`describe_snapshots`
  filtered by `snapshot-id`, 200 ids a call), looks for locks on the ones to delete, and
  deletes per snapshot.
- classic: the original AWS blog design's cleanup: list ALL of the account's snapshots
  (`describe_snapshots(OwnerIds=['self'])`, unfiltered, every page), keep the volume's
  client-side, delete the oldest beyond the retain count.

Calls are counted by `FakeEc2`, an in-memory EC2 client with AWS paging semantics. moto is not
used: it ignores MaxResults for describe_snapshots and always answers with one page.
Modelling assumptions: every response holds at most 1000 snapshots (MaxResults 5..1000, 1000
when absent), and filters apply before paging (a page holds up to MaxResults matches).

The script checks its own results and exits non-zero if a check fails: each run leaves exactly
7 snapshots of the volume (the same 7 for both), touches no other volume, and Steward's calls
do not change between the smallest and the largest region.
"""

from __future__ import annotations

import copy
import math
import random
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT / "functions" / "ebs_snapshots", ROOT / "layers" / "steward_common"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from botocore.exceptions import ClientError  # noqa: E402

from ebs_snapshots import ebs  # noqa: E402
from ebs_snapshots.ownership import Record  # noqa: E402
from ebs_snapshots.retention import retain_snapshots  # noqa: E402

SIZES = (500, 1000, 2000, 5000)
PER_VOLUME = 10
RETAIN = 7
PAGE_LIMIT = 1000  # DescribeSnapshots: MaxResults 5..1000
ACCOUNT = "123456789012"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
Snapshot = dict[str, Any]


def _error(code: str, message: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


class FakeEc2:
    """An in-memory EC2 client: `describe_snapshots` (paged), `delete_snapshot`, and
    `get_paginator("describe_snapshots")`. Anything else raises, so code under test can only
    use what is implemented here. `calls` counts API requests by operation name."""

    def __init__(self, snapshots: Sequence[Snapshot]) -> None:
        self._snapshots: dict[str, Snapshot] = {
            s["SnapshotId"]: copy.deepcopy(s) for s in snapshots
        }
        self._tokens: dict[str, tuple[str, int]] = {}  # opaque token -> (query key, offset)
        self.calls: Counter[str] = Counter()
        self.pages = 0  # describe_snapshots responses returned

    # --- API operations ------------------------------------------------------------------
    def describe_snapshots(
        self,
        *,
        OwnerIds: Sequence[str] | None = None,
        Filters: Sequence[Mapping[str, Any]] | None = None,
        MaxResults: int | None = None,
        NextToken: str | None = None,
    ) -> dict[str, Any]:
        self.calls["describe_snapshots"] += 1
        operation = "DescribeSnapshots"
        if MaxResults is not None and not 5 <= MaxResults <= PAGE_LIMIT:
            raise _error("InvalidParameterValue", f"MaxResults {MaxResults}: 5..1000", operation)
        owners = {ACCOUNT if o == "self" else o for o in OwnerIds or ()}
        filters = [(self._tag_key(f, operation), set(f["Values"])) for f in Filters or ()]
        query = repr((sorted(owners), sorted((k, sorted(v)) for k, v in filters)))
        offset = 0
        if NextToken is not None:
            token_query, offset = self._tokens.get(NextToken, ("", -1))
            if token_query != query:
                raise _error("InvalidParameterValue", "invalid NextToken", operation)
        matches = [
            s
            for s in self._snapshots.values()  # insertion order: stable across pages
            if (not owners or s["OwnerId"] in owners)
            and all(
                (s["SnapshotId"] if key == "snapshot-id" else ebs.tags_of(s).get(key)) in values
                for key, values in filters
            )
        ]
        size = min(MaxResults or PAGE_LIMIT, PAGE_LIMIT)
        response: dict[str, Any] = {"Snapshots": copy.deepcopy(matches[offset : offset + size])}
        if offset + size < len(matches):
            token = f"token-{len(self._tokens):06d}"
            self._tokens[token] = (query, offset + size)
            response["NextToken"] = token
        self.pages += 1
        return response

    def describe_locked_snapshots(self, *, SnapshotIds: Sequence[str]) -> dict[str, Any]:
        self.calls["describe_locked_snapshots"] += 1
        return {"Snapshots": []}  # none locked

    def delete_snapshot(self, *, SnapshotId: str) -> dict[str, Any]:
        self.calls["delete_snapshot"] += 1
        if self._snapshots.pop(SnapshotId, None) is None:
            raise _error(
                "InvalidSnapshot.NotFound", f"{SnapshotId} does not exist", "DeleteSnapshot"
            )
        return {}

    def get_paginator(self, operation: str) -> FakeSnapshotPaginator:
        if operation != "describe_snapshots":
            raise NotImplementedError(f"FakeEc2 has no paginator for {operation}")
        return FakeSnapshotPaginator(self)

    # --- inspection (not API calls) ------------------------------------------------------
    def remaining(self, volume_id: str) -> set[str]:
        return {
            sid
            for sid, s in self._snapshots.items()
            if ebs.tags_of(s).get(ebs.SOURCE_VOLUME) == volume_id
        }

    def count(self) -> int:
        return len(self._snapshots)

    @staticmethod
    def _tag_key(flt: Mapping[str, Any], operation: str) -> str:
        name = str(flt.get("Name", ""))
        if name == "snapshot-id" and flt.get("Values"):
            return name
        if not name.startswith("tag:") or not flt.get("Values"):
            raise _error("InvalidParameterValue", f"unsupported filter {name!r}", operation)
        return name.removeprefix("tag:")


class FakeSnapshotPaginator:
    """botocore's Paginator interface: `.paginate(**kwargs)` yields whole responses, walking
    NextToken; `PaginationConfig` takes PageSize (sent as MaxResults) and StartingToken."""

    def __init__(self, client: FakeEc2) -> None:
        self._client = client

    def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        config = dict(kwargs.pop("PaginationConfig", None) or {})
        token = config.pop("StartingToken", None)
        page_size = config.pop("PageSize", None)
        if config:
            raise NotImplementedError(f"PaginationConfig keys not modelled: {sorted(config)}")
        if page_size is not None:
            kwargs["MaxResults"] = page_size
        while True:
            page = self._client.describe_snapshots(
                **kwargs, **({"NextToken": token} if token else {})
            )
            yield page
            token = page.get("NextToken")
            if not token:
                return


class FakeOwnershipTable:
    """Steward's ownership record for the region's snapshots: `of_volume` (a DynamoDB Query,
    one request per 1 MB page: a volume's records fit in one) and `forget`, counted."""

    def __init__(self, snapshots: Sequence[Snapshot]) -> None:
        self._records = {
            s["SnapshotId"]: Record(s["SnapshotId"], ebs.tags_of(s)[ebs.SOURCE_VOLUME])
            for s in snapshots
        }
        self.calls: Counter[str] = Counter()

    def of_volume(self, volume_id: str) -> list[Record]:
        self.calls["query"] += 1
        return [r for r in self._records.values() if r.volume_id == volume_id]

    def forget(self, snapshot_id: str) -> None:
        self.calls["delete_item"] += 1
        self._records.pop(snapshot_id, None)


# --- the classic baseline ---------------------------------------------------------------
def classic_retain(ec2: Any, *, volume_id: str, retain: int) -> list[str]:
    """The blog design's cleanup: every snapshot the account owns, filtered here, oldest go."""
    owned: list[Snapshot] = []
    for page in ec2.get_paginator("describe_snapshots").paginate(
        OwnerIds=["self"], PaginationConfig={"PageSize": PAGE_LIMIT}
    ):
        owned.extend(page.get("Snapshots", []))
    mine = sorted(
        (
            s
            for s in owned
            if s["State"] == "completed"
            and ebs.tags_of(s).get(ebs.MANAGED_BY) == ebs.MANAGED_VALUE
            and ebs.tags_of(s).get(ebs.SOURCE_VOLUME) == volume_id
        ),
        key=lambda s: (s["StartTime"], s["SnapshotId"]),
        reverse=True,
    )
    deleted = [s["SnapshotId"] for s in mine[retain:]]
    for snapshot_id in deleted:
        ec2.delete_snapshot(SnapshotId=snapshot_id)
    return deleted


# --- the region and the runs ------------------------------------------------------------
def build_region(n: int, seed: int = 7) -> tuple[list[Snapshot], str, str]:
    """N managed snapshots on N/10 volumes, in no particular order; the volume to retain and
    its newest snapshot (the trigger)."""
    snapshots: list[Snapshot] = []
    for v in range(n // PER_VOLUME):
        volume_id = f"vol-{v:017x}"
        for day in range(PER_VOLUME):
            snapshots.append(
                {
                    "SnapshotId": f"snap-{v:08x}{day:09x}",
                    "VolumeId": volume_id,
                    "OwnerId": ACCOUNT,
                    "State": "completed",
                    "StartTime": NOW - timedelta(days=PER_VOLUME - day, minutes=v % 60),
                    "Tags": ebs.as_tag_list(
                        {ebs.MANAGED_BY: ebs.MANAGED_VALUE, ebs.SOURCE_VOLUME: volume_id}
                    ),
                }
            )
    random.Random(seed).shuffle(snapshots)
    target = f"vol-{(n // PER_VOLUME) // 2:017x}"
    newest = max((s for s in snapshots if s["VolumeId"] == target), key=lambda s: s["StartTime"])
    return snapshots, target, newest["SnapshotId"]


@dataclass(frozen=True)
class Measure:
    describe_calls: int
    describe_pages: int
    delete_calls: int
    left: frozenset[str]  # the volume's snapshots after the run
    untouched: bool  # no other volume's snapshot was deleted

    @property
    def total(self) -> int:
        return self.describe_calls + self.delete_calls


def _measure(ec2: FakeEc2, volume_id: str, before: int, deleted: int) -> Measure:
    return Measure(
        describe_calls=ec2.calls["describe_snapshots"],
        describe_pages=ec2.pages,
        delete_calls=ec2.calls["delete_snapshot"],
        left=frozenset(ec2.remaining(volume_id)),
        untouched=ec2.count() == before - deleted,
    )


def run_steward(snapshots: list[Snapshot], volume_id: str, trigger: str) -> Measure:
    ec2 = FakeEc2(snapshots)
    table = FakeOwnershipTable(snapshots)
    result = retain_snapshots(
        ec2,
        table,  # type: ignore[arg-type]  # the fake has what retention calls
        volume_id=volume_id,
        trigger=trigger,
        retain=RETAIN,
        retain_days=0,
        now=NOW,
        dry_run=False,
    )
    measured = _measure(ec2, volume_id, len(snapshots), len(result.deleted))
    # the records read and forgotten, and the lock look-up, are requests too
    extra = (
        table.calls["query"] + table.calls["delete_item"] + ec2.calls["describe_locked_snapshots"]
    )
    return Measure(
        describe_calls=measured.describe_calls + extra,
        describe_pages=measured.describe_pages,
        delete_calls=measured.delete_calls,
        left=measured.left,
        untouched=measured.untouched,
    )


def run_classic(snapshots: list[Snapshot], volume_id: str) -> Measure:
    ec2 = FakeEc2(snapshots)
    deleted = classic_retain(ec2, volume_id=volume_id, retain=RETAIN)
    return _measure(ec2, volume_id, len(snapshots), len(deleted))


def check_fake() -> list[str]:
    """The fake pages for real: small pages walk NextToken and lose nothing; bad input fails."""
    snapshots, volume_id, _ = build_region(100)
    ec2 = FakeEc2(snapshots)
    query: dict[str, Any] = {
        "OwnerIds": ["self"],
        "Filters": [{"Name": f"tag:{ebs.SOURCE_VOLUME}", "Values": [volume_id]}],
    }
    pages = list(
        ec2.get_paginator("describe_snapshots").paginate(**query, PaginationConfig={"PageSize": 5})
    )
    listed = [s["SnapshotId"] for page in pages for s in page["Snapshots"]]
    everything = ec2.describe_snapshots(OwnerIds=["self"])
    problems = []
    if len(pages) != 2 or sorted(listed) != sorted(ec2.remaining(volume_id)):
        problems.append(f"fake: PageSize 5 over 10 snapshots gave {len(pages)} pages")
    if len(everything["Snapshots"]) != 100 or "NextToken" in everything:
        problems.append("fake: an unpaged query of 100 snapshots should be one page")
    for bad in ({"MaxResults": 3}, {"NextToken": "forged"}):
        try:
            ec2.describe_snapshots(**query, **bad)
            problems.append(f"fake: {bad} was accepted")
        except ClientError:
            pass
    return problems


def main() -> int:
    failures = check_fake()
    results: dict[int, tuple[Measure, Measure]] = {}
    header = (
        f"{'N':>6} {'impl':<8} {'describe calls':>14} {'describe pages':>14} "
        f"{'delete calls':>12} {'total calls':>11}"
    )
    print(header)
    print("-" * len(header))
    for n in SIZES:
        snapshots, volume_id, trigger = build_region(n)
        steward = run_steward(snapshots, volume_id, trigger)
        classic = run_classic(snapshots, volume_id)
        results[n] = (steward, classic)
        for name, m in (("steward", steward), ("classic", classic)):
            print(
                f"{n:>6} {name:<8} {m.describe_calls:>14} {m.describe_pages:>14} "
                f"{m.delete_calls:>12} {m.total:>11}"
            )
            if len(m.left) != RETAIN:
                failures.append(f"N={n} {name}: {len(m.left)} snapshots left, want {RETAIN}")
            if not m.untouched:
                failures.append(f"N={n} {name}: deleted snapshots of other volumes")
        if steward.left != classic.left:
            failures.append(f"N={n}: steward and classic kept different snapshots")
        if classic.describe_pages != math.ceil(n / PAGE_LIMIT):
            failures.append(f"N={n} classic: {classic.describe_pages} pages, want ceil(N/1000)")

    print()
    print(f"{'N':>6} {'classic_total / steward_total':>30}")
    for n, (steward, classic) in results.items():
        print(f"{n:>6} {classic.total / steward.total:>30.2f}")

    first, last = results[SIZES[0]][0], results[SIZES[-1]][0]
    if (first.describe_pages, first.total) != (last.describe_pages, last.total):
        failures.append(
            f"steward is not flat: {first.describe_pages} pages / {first.total} calls at "
            f"N={SIZES[0]}, {last.describe_pages} / {last.total} at N={SIZES[-1]}"
        )
    classic_first, classic_last = results[SIZES[0]][1], results[SIZES[-1]][1]
    print()
    print(
        f"growth N={SIZES[0]} -> N={SIZES[-1]}: steward {first.total} -> {last.total} calls "
        f"({'flat' if first.total == last.total else 'NOT flat'}: {last.describe_pages} page(s) "
        f"of one volume + {last.delete_calls} deletions); "
        f"classic {classic_first.total} -> {classic_last.total} calls "
        f"(ceil(N/1000) pages + {classic_first.delete_calls} deletions)"
    )
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    print("self-check:", "FAILED" if failures else "ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
