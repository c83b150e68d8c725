"""The part size of a copy in parts: any object S3 accepts fits its 10,000 parts.

"Amazon S3 multipart upload limits" (User Guide): maximum object size 48.8 TiB, at most
10,000 parts, part size 5 MiB to 5 GiB, "no minimum size limit on the last part"."""

from __future__ import annotations

import itertools

import pytest

from bucket_sync.multipart import (
    MAX_OBJECT,
    MAX_PART,
    MAX_PARTS,
    MIB,
    MIN_PART,
    index_key,
    part_ranges,
    part_size_for,
    record_key,
)

TIB = 1024**4
CONFIGURED = 512 * MIB


@pytest.mark.parametrize(
    "size", [48 * TIB, MAX_OBJECT, 5 * TIB, 4_900 * 1024**3, 10_000 * CONFIGURED + 1]
)
def test_the_part_size_makes_any_object_fit_10000_parts(size: int) -> None:
    part = part_size_for(size, CONFIGURED)
    assert MIN_PART <= part <= MAX_PART
    assert part % MIB == 0
    assert part >= CONFIGURED
    assert -(-size // part) <= MAX_PARTS


def test_a_48_tib_object_needs_parts_larger_than_the_configured_512_mib() -> None:
    part = part_size_for(48 * TIB, CONFIGURED)
    # ceil(48 TiB / 10,000) = 5,277,655,814 bytes, rounded up to a MiB: 5,034 MiB
    assert part == 5_034 * MIB
    assert len(part_ranges(48 * TIB, part)) == 9_999


def test_small_objects_keep_the_configured_part_size_and_5_mib_is_the_least() -> None:
    assert part_size_for(12 * MIB, CONFIGURED) == CONFIGURED
    assert part_size_for(12 * MIB, 1) == MIN_PART
    assert part_size_for(MAX_OBJECT, MAX_PART * 2) == MAX_PART


@pytest.mark.parametrize("size", [16 * MIB, 15 * MIB, 15 * MIB + 1, 48 * TIB])
def test_parts_cover_the_object_once_and_only_the_last_is_under_5_mib(size: int) -> None:
    ranges = part_ranges(size, part_size_for(size, 5 * MIB))
    assert [n for n, _, _ in ranges] == list(range(1, len(ranges) + 1))
    assert ranges[0][1] == 0 and ranges[-1][2] == size - 1
    assert all(b[1] == a[2] + 1 for a, b in itertools.pairwise(ranges))
    assert all(last - first + 1 >= MIN_PART for _, first, last in ranges[:-1])


def test_records_are_kept_per_run_and_destination_and_indexed_by_upload_id() -> None:
    key = record_key("run-1", "dst", "a/very/long key ü" * 60)
    assert key.startswith("run-1/multipart/") and len(key) < 100
    assert record_key("run-1", "dst", "k") != record_key("run-2", "dst", "k")
    assert index_key("upload-1").startswith("multipart-uploads/")
