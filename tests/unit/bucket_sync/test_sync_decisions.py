"""The change decision, the delete guard and request checks of the bucket sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bucket_sync.compare import ObjectInfo, decide, same_attributes, unchanged_by_record
from bucket_sync.config import SyncConfig
from bucket_sync.copying import checksum_algorithm, is_archived
from bucket_sync.pages import _with_range, guard
from bucket_sync.request import InvalidSyncRequestError, parse_max_delete

T0 = datetime(2026, 11, 23, tzinfo=UTC)


def obj(etag: str, size: int = 10, age: int = 0) -> ObjectInfo:
    return ObjectInfo("k", size, etag, T0 - timedelta(minutes=age))


@pytest.mark.parametrize(
    ("source", "destination", "mode", "expected"),
    [
        (obj("a"), None, "etag", "copy"),
        (obj("a", size=10), obj("a", size=11), "etag", "copy"),
        (obj("a"), obj("a"), "etag", "skip"),
        # same size, different ETags: a KMS, SSE-C or multipart ETag is no MD5, so only the
        # destination's record of its source can tell a faithful copy from a changed object
        (obj("9f86d081"), obj("1b4f0e98"), "etag", "check"),
        (obj("abc-3"), obj("def"), "etag", "check"),
        (obj("a"), obj("a"), "full", "full"),  # the metadata may have changed alone
        (obj("a", size=10), obj("a", size=11), "full", "copy"),
        (obj("a", age=0), obj("b", age=5), "size-mtime", "copy"),  # the source is newer
        (obj("a", age=5), obj("b", age=0), "size-mtime", "skip"),  # the CLI's blind spot
        (obj("a"), obj("b"), "size", "skip"),
    ],
)
def test_the_change_decision(
    source: ObjectInfo, destination: ObjectInfo | None, mode: str, expected: str
) -> None:
    assert decide(source, destination, mode) == expected


def test_a_recorded_source_etag_settles_a_multipart_mismatch() -> None:
    source = obj("9b2cf535f27731c974343645a3985328-3")
    assert unchanged_by_record(
        source, {"steward-source-etag": "9b2cf535f27731c974343645a3985328-3"}
    )
    assert not unchanged_by_record(source, {"steward-source-etag": "something-else-3"})
    assert not unchanged_by_record(source, {})


def test_the_record_also_checks_the_size() -> None:
    source = obj("e1", size=10)
    assert unchanged_by_record(source, {"steward-source-etag": "e1", "steward-source-size": "10"})
    assert not unchanged_by_record(
        source, {"steward-source-etag": "e1", "steward-source-size": "11"}
    )


def test_full_compares_headers_redirect_and_metadata_but_not_the_record() -> None:
    head = {"ContentType": "text/html", "Metadata": {"owner": "web"}}
    copy = {"ContentType": "text/html", "Metadata": {"owner": "web", "steward-source-etag": "x"}}
    assert same_attributes(head, copy)
    assert not same_attributes(head | {"WebsiteRedirectLocation": "/new"}, copy)
    assert not same_attributes(head | {"Metadata": {"owner": "ops"}}, copy)
    assert not same_attributes(head | {"CacheControl": "no-cache"}, copy)


CONFIG = SyncConfig(source="s", destination="d")


@pytest.mark.parametrize(
    ("config", "copy", "scan", "delete", "refused", "why"),
    [
        (
            CONFIG,
            {"copied": 5},
            {"orphans": 3, "destination_objects": 100},
            True,
            False,
            "3 orphan(s) to delete",
        ),
        (
            CONFIG,
            {"copied": 5, "failed": 1},
            {"orphans": 3, "destination_objects": 100},
            False,
            True,
            "copies failed",
        ),
        (CONFIG, {}, {"orphans": 40, "destination_objects": 40}, False, True, "source is empty"),
        (
            SyncConfig(source="s", destination="d", max_delete_fraction=1.0),
            {},
            {"orphans": 40, "destination_objects": 40},
            True,
            False,
            "40 orphan(s) to delete",
        ),
        (
            SyncConfig(source="s", destination="d", max_delete_count=2),
            {"skipped": 9},
            {"orphans": 3, "destination_objects": 12},
            False,
            True,
            "exceed max_delete",
        ),
        (
            SyncConfig(source="s", destination="d", max_delete_fraction=0.1),
            {"skipped": 90},
            {"orphans": 11, "destination_objects": 100},
            False,
            True,
            "exceed max_delete (10 of 100",
        ),
        (
            SyncConfig(source="s", destination="d", delete=False),
            {"copied": 1},
            {"orphans": 3},
            False,
            False,
            "delete is off",
        ),
    ],
)
def test_the_delete_guard(
    config: SyncConfig,
    copy: dict[str, int],
    scan: dict[str, int],
    delete: bool,
    refused: bool,
    why: str,
) -> None:
    decision = guard(config, copy, scan)
    assert (decision["delete"], decision["refused"]) == (delete, refused)
    assert why in decision["reason"]


def test_max_delete_takes_a_count_or_a_percentage() -> None:
    assert parse_max_delete(None) == (None, None)
    assert parse_max_delete(500) == (500, None)
    assert parse_max_delete("10%") == (None, 0.1)
    for bad in ("ten", "150%", "-1"):
        with pytest.raises(InvalidSyncRequestError):
            parse_max_delete(bad)


def test_include_and_exclude_globs_apply_to_relative_keys() -> None:
    config = SyncConfig(
        source="s", destination="d", include=("*.html", "img/*"), exclude=("img/raw/*",)
    )
    assert config.selected("index.html") and config.selected("img/a.png")
    assert not config.selected("img/raw/a.png") and not config.selected("notes.txt")


@pytest.mark.parametrize(
    ("head", "archived"),
    [
        ({"StorageClass": "GLACIER"}, True),
        ({"StorageClass": "DEEP_ARCHIVE", "Restore": 'ongoing-request="true"'}, True),
        (
            {
                "StorageClass": "GLACIER",
                "Restore": 'ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"',
            },
            False,
        ),
        ({"StorageClass": "INTELLIGENT_TIERING", "ArchiveStatus": "ARCHIVE_ACCESS"}, True),
        ({"StorageClass": "INTELLIGENT_TIERING"}, False),
        ({"StorageClass": "GLACIER_IR"}, False),  # Instant Retrieval is not archived
        ({}, False),
    ],
)
def test_which_sources_are_archived(head: dict[str, str], archived: bool) -> None:
    """The Restore header's two forms are HeadObject's (S3 API Reference, HeadObject,
    x-amz-restore)."""
    assert is_archived(head) is archived


def test_the_copy_keeps_the_sources_checksum_algorithm() -> None:
    assert checksum_algorithm({"ChecksumSHA256": "abc="}) == "SHA256"
    assert checksum_algorithm({"ChecksumCRC32C": "abc="}) == "CRC32C"
    assert checksum_algorithm({"ETag": '"x"'}) is None


def test_a_list_staged_by_the_earlier_version_gets_a_range_that_covers_it() -> None:
    staged = _with_range(["b/2", "a/1", "c"])
    assert staged["keys"] == ["a/1", "b/2", "c"]
    assert staged["after"] < "a/1" and staged["last"] == "c"
