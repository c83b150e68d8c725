"""The S3 behaviours Steward's bucket sync relies on, as the S3 API Reference documents them.

Where moto is right the test pins it (a moto upgrade that breaks one fails here); where it is
not, the local cloud corrects it: listings' RestoreStatus and short pages
(localcloud/services/s3/listing.py), DeleteObjects' quiet mode (deletes.py), archived objects
(archive.py) and a copy's website redirect (copy.py). Quotations are from the S3 API Reference
(https://docs.aws.amazon.com/AmazonS3/latest/API/) unless another page is named.

The client under test is `boto3.client("s3")`: `cloud.client(...)` is the local cloud's own,
which short pages leave alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud, testing

BUCKET = "sync-source"
BODY = b"the object's bytes"
MINUTE, HOUR = 60, 3600


@pytest.fixture
def s3(cloud: LocalCloud) -> Any:
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def _error(call: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return str(response["Error"]["Code"]), int(response["ResponseMetadata"]["HTTPStatusCode"])


def _head(s3: Any, key: str, **options: Any) -> dict[str, Any]:
    head: dict[str, Any] = s3.head_object(Bucket=BUCKET, Key=key, **options)
    head.pop("ResponseMetadata")
    return head


def _listed(s3: Any, **options: Any) -> dict[str, dict[str, Any]]:
    return {o["Key"]: o for o in s3.list_objects_v2(Bucket=BUCKET, **options).get("Contents", [])}


def _expiry(restore: str) -> datetime:
    return parsedate_to_datetime(restore.split('expiry-date="')[1].rstrip('"'))


# ------------------------------------------------------------------------------ 1. storage class


@pytest.mark.parametrize(
    "source_class",
    ["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "REDUCED_REDUNDANCY"],
)
def test_a_copy_is_standard_unless_the_request_names_its_storage_class(
    s3: Any, source_class: str
) -> None:
    # CopyObject, x-amz-storage-class: "If the x-amz-storage-class header is not used, the
    # copied object will be stored in the STANDARD Storage Class by default. The STANDARD
    # storage class provides high durability and high availability. Depending on performance
    # needs, you can specify a different Storage Class." HeadObject's StorageClass: "Amazon S3
    # returns this header for all objects except for S3 Standard storage class objects."
    s3.put_object(Bucket=BUCKET, Key="src", Body=BODY, StorageClass=source_class)

    s3.copy_object(Bucket=BUCKET, Key="plain", CopySource=f"{BUCKET}/src")
    for named in ("STANDARD_IA", "GLACIER", "DEEP_ARCHIVE", "INTELLIGENT_TIERING"):
        s3.copy_object(
            Bucket=BUCKET, Key=f"as-{named}", CopySource=f"{BUCKET}/src", StorageClass=named
        )

    assert "StorageClass" not in _head(s3, "plain")
    listed = _listed(s3)
    assert listed["plain"]["StorageClass"] == "STANDARD"
    assert listed["src"]["StorageClass"] == source_class
    for named in ("STANDARD_IA", "GLACIER", "DEEP_ARCHIVE", "INTELLIGENT_TIERING"):
        assert _head(s3, f"as-{named}")["StorageClass"] == named
        assert listed[f"as-{named}"]["StorageClass"] == named


# ------------------------------------------------------------------------------ 2. listings


def test_list_objects_v2_gives_each_objects_storage_class_and_checksum_algorithm(
    s3: Any,
) -> None:
    # ListObjectsV2's Contents (Object): StorageClass "The class of storage used to store the
    # object."; ChecksumAlgorithm "The algorithm that was used to create a checksum of the
    # object."
    classes = ["STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE"]
    algorithms = ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"]
    for storage_class, algorithm in zip(classes, algorithms, strict=True):
        s3.put_object(
            Bucket=BUCKET,
            Key=f"{storage_class}-{algorithm}",
            Body=BODY,
            StorageClass=storage_class,
            ChecksumAlgorithm=algorithm,
        )

    listed = _listed(s3)

    for storage_class, algorithm in zip(classes, algorithms, strict=True):
        item = listed[f"{storage_class}-{algorithm}"]
        assert item["StorageClass"] == storage_class
        assert item["ChecksumAlgorithm"] == [algorithm]


def _restore_statuses(s3: Any, call: str = "list_objects_v2") -> dict[str, Any]:
    """key -> the RestoreStatus a listing gives it (None: no RestoreStatus), asking for it."""
    answer = getattr(s3, call)(Bucket=BUCKET, OptionalObjectAttributes=["RestoreStatus"])
    items = answer.get("Versions" if call == "list_object_versions" else "Contents", [])
    return {o["Key"]: o.get("RestoreStatus") for o in items}


def test_a_listing_gives_an_archived_objects_restore_status_when_asked(
    cloud: LocalCloud, s3: Any
) -> None:
    # ListObjectsV2's x-amz-optional-object-attributes: "Specifies the optional fields that
    # you want returned in the response. Fields that you do not specify are not returned."
    # Object's RestoreStatus: "Specifies the restoration status of an object." RestoreStatus:
    # IsRestoreInProgress "If the object restoration is in progress, the header returns the
    # value TRUE ... If the object restoration has completed, the header returns the value
    # FALSE. For example: x-amz-optional-object-attributes: IsRestoreInProgress="false",
    # RestoreExpiryDate="2012-12-21T00:00:00.000Z" If the object hasn't been restored, there
    # is no header response."; RestoreExpiryDate "Indicates when the restored copy will
    # expire. This value is populated only if the object has already been restored."
    # moto gives no RestoreStatus at all: the local cloud's comes from archive.py's restores.
    s3.put_object(Bucket=BUCKET, Key="cold", Body=BODY, StorageClass="GLACIER")
    s3.put_object(Bucket=BUCKET, Key="colder", Body=BODY, StorageClass="DEEP_ARCHIVE")
    s3.put_object(Bucket=BUCKET, Key="warm", Body=BODY)
    assert _restore_statuses(s3) == {"cold": None, "colder": None, "warm": None}

    s3.restore_object(
        Bucket=BUCKET,
        Key="cold",
        RestoreRequest={"Days": 1, "GlacierJobParameters": {"Tier": "Expedited"}},
    )

    assert _restore_statuses(s3) == {
        "cold": {"IsRestoreInProgress": True},
        "colder": None,
        "warm": None,
    }
    assert all("RestoreStatus" not in o for o in _listed(s3).values())  # not asked for

    testing.pass_time(cloud, 5 * MINUTE + 30)  # an Expedited retrieval: "1-5 minutes"
    cloud.wait_idle()

    expiry = _expiry(_head(s3, "cold")["Restore"])  # HeadObject's, of the same restore
    for call in ("list_objects_v2", "list_objects", "list_object_versions"):
        statuses = _restore_statuses(s3, call)
        assert statuses["cold"] == {"IsRestoreInProgress": False, "RestoreExpiryDate": expiry}
        assert statuses["colder"] is None and statuses["warm"] is None

    # "Object Restore Expired: The temporary copy of an object restored from S3 Glacier or S3
    # Glacier Deep Archive expired and was deleted." (S3 User Guide, Using EventBridge): it is
    # archived again, and not restored.
    testing.pass_time(cloud, 2 * 24 * HOUR)
    cloud.wait_idle()
    assert _restore_statuses(s3)["cold"] is None


def test_an_intelligent_tiering_restore_is_listed_in_progress_then_over(
    cloud: LocalCloud, s3: Any
) -> None:
    # As HeadObject's Restore says of it (archive.py): an Intelligent-Tiering restore moves
    # the object back to Frequent Access ("you must initiate a restore request and wait until
    # the object is moved into the Frequent Access tier", S3 User Guide, "Restoring an
    # archived object"), so there is no restored copy to expire and no RestoreExpiryDate.
    s3.put_object(Bucket=BUCKET, Key="tiered", Body=BODY, StorageClass="INTELLIGENT_TIERING")
    testing.move_to_archive_tier(cloud, BUCKET, "tiered", "ARCHIVE_ACCESS")
    assert _restore_statuses(s3) == {"tiered": None}

    s3.restore_object(Bucket=BUCKET, Key="tiered", RestoreRequest={})
    assert _restore_statuses(s3) == {"tiered": {"IsRestoreInProgress": True}}

    testing.pass_time(cloud, 5 * HOUR + MINUTE)  # Standard from Archive Access: "3-5 hours"
    cloud.wait_idle()
    assert _restore_statuses(s3) == {"tiered": {"IsRestoreInProgress": False}}


# ------------------------------------------------------------------------------ 3. archived sources


@pytest.mark.parametrize(("where", "hours"), [("GLACIER", 5), ("DEEP_ARCHIVE", 12)])
def test_an_archived_object_is_copied_only_once_restored(
    cloud: LocalCloud, s3: Any, where: str, hours: int
) -> None:
    # CopyObject, x-amz-storage-class: "Before using an object as a source object for the copy
    # operation, you must restore a copy of it if it meets any of the following conditions:
    # The storage class of the source object is GLACIER or DEEP_ARCHIVE." Its one documented
    # error: "ObjectNotInActiveTierError: The source object of the COPY action is not in the
    # active tier and is only stored in Amazon S3 Glacier." (HTTP 403 in the API's model;
    # InvalidObjectState, "Object is archived and inaccessible until restored", is GetObject's.)
    # HeadObject's Restore: "If the object restoration is in progress, the header returns the
    # value ongoing-request="true"", then 'ongoing-request="false", expiry-date="…"'.
    s3.put_object(Bucket=BUCKET, Key="src", Body=BODY, StorageClass=where)

    def copy() -> Any:
        return s3.copy_object(Bucket=BUCKET, Key="copy", CopySource=f"{BUCKET}/src")

    assert _error(copy) == ("ObjectNotInActiveTierError", 403)
    head = _head(s3, "src")
    assert head["StorageClass"] == where and "Restore" not in head

    s3.restore_object(Bucket=BUCKET, Key="src", RestoreRequest={"Days": 1})  # Standard tier
    head = _head(s3, "src")
    assert head["StorageClass"] == where and head["Restore"] == 'ongoing-request="true"'
    assert _error(copy) == ("ObjectNotInActiveTierError", 403)

    testing.pass_time(cloud, hours * HOUR + MINUTE)
    cloud.wait_idle()

    head = _head(s3, "src")
    assert head["StorageClass"] == where
    assert head["Restore"].startswith('ongoing-request="false", expiry-date="')
    copy()
    assert "StorageClass" not in _head(s3, "copy")  # a STANDARD copy (no class named)
    assert s3.get_object(Bucket=BUCKET, Key="copy")["Body"].read() == BODY


@pytest.mark.parametrize("tier", ["ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS"])
def test_an_intelligent_tiering_archive_tier_is_reported_and_refuses_a_copy(
    cloud: LocalCloud, s3: Any, tier: str
) -> None:
    # CopyObject: you must restore first if "The storage class of the source object is
    # INTELLIGENT_TIERING and it's S3 Intelligent-Tiering access tier is Archive Access or
    # Deep Archive Access." HeadObject's ArchiveStatus: "The archive state of the head object."
    s3.put_object(Bucket=BUCKET, Key="src", Body=BODY, StorageClass="INTELLIGENT_TIERING")
    assert "ArchiveStatus" not in _head(s3, "src")

    testing.move_to_archive_tier(cloud, BUCKET, "src", tier)

    head = _head(s3, "src")
    assert head["StorageClass"] == "INTELLIGENT_TIERING"
    assert head["ArchiveStatus"] == tier
    assert _error(
        lambda: s3.copy_object(Bucket=BUCKET, Key="copy", CopySource=f"{BUCKET}/src")
    ) == ("ObjectNotInActiveTierError", 403)


# ------------------------------------------------------------------------------ 4. what a copy carries

CHECKSUMS = ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"]


@pytest.mark.parametrize("algorithm", CHECKSUMS)
def test_a_copy_made_with_a_checksum_algorithm_carries_that_checksum(
    s3: Any, algorithm: str
) -> None:
    # CopyObject, x-amz-checksum-algorithm: "Indicates the algorithm that you want Amazon S3 to
    # use to create the checksum for the object. ... You can optionally specify a different
    # checksum algorithm to use with the x-amz-checksum-algorithm header." HeadObject's
    # ChecksumMode: "To retrieve the checksum, this parameter must be enabled."
    other = "SHA256" if algorithm != "SHA256" else "CRC32"
    s3.put_object(Bucket=BUCKET, Key="src", Body=BODY, ChecksumAlgorithm=other)
    # The checksum S3 computes of these bytes with that algorithm, for comparison.
    s3.put_object(Bucket=BUCKET, Key="reference", Body=BODY, ChecksumAlgorithm=algorithm)
    expected = _head(s3, "reference", ChecksumMode="ENABLED")[f"Checksum{algorithm}"]

    answer = s3.copy_object(
        Bucket=BUCKET, Key="copy", CopySource=f"{BUCKET}/src", ChecksumAlgorithm=algorithm
    )

    assert answer["CopyObjectResult"][f"Checksum{algorithm}"] == expected
    head = _head(s3, "copy", ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == expected
    assert f"Checksum{other}" not in head  # the source's own is not carried over as well
    assert _listed(s3)["copy"]["ChecksumAlgorithm"] == [algorithm]


def test_a_copy_keeps_the_sources_checksum_algorithm_unless_told_otherwise(s3: Any) -> None:
    # CopyObject, x-amz-checksum-algorithm: "When you copy an object, if the source object has
    # a checksum, that checksum value will be copied to the new object by default. If the
    # CopyObject request does not include this x-amz-checksum-algorithm header, the checksum
    # algorithm will be copied from the source object to the destination object (if it's
    # present on the source object)."
    put = s3.put_object(Bucket=BUCKET, Key="src", Body=BODY, ChecksumAlgorithm="SHA1")

    s3.copy_object(Bucket=BUCKET, Key="copy", CopySource=f"{BUCKET}/src")

    assert _head(s3, "copy", ChecksumMode="ENABLED")["ChecksumSHA1"] == put["ChecksumSHA1"]


SOURCE_HEADERS: dict[str, Any] = {
    "Metadata": {"owner": "team-a", "stage": "raw"},
    "ContentType": "text/csv",
    "ContentEncoding": "gzip",
    "ContentLanguage": "fr",
    "ContentDisposition": "inline",
    "CacheControl": "no-cache",
    "Expires": datetime(2030, 1, 1, tzinfo=UTC),
    "WebsiteRedirectLocation": "/elsewhere.html",
}
CONTENT_HEADERS = [
    "ContentType",
    "ContentEncoding",
    "ContentLanguage",
    "ContentDisposition",
    "CacheControl",
    "Expires",
    "WebsiteRedirectLocation",
]


@pytest.mark.parametrize(
    "given",
    [
        {"Metadata": {"steward-source-etag": "abc"}, "ContentType": "application/json"},
        {"Metadata": {}, "CacheControl": "max-age=60", "ContentDisposition": "attachment"},
        {
            "Metadata": {"owner": "team-b"},
            "ContentType": "text/plain",
            "ContentEncoding": "br",
            "ContentLanguage": "de",
            "ContentDisposition": "attachment",
            "CacheControl": "max-age=60",
            "Expires": datetime(2031, 6, 1, tzinfo=UTC),
            "WebsiteRedirectLocation": "/moved.html",
        },
    ],
    ids=["some", "others", "all"],
)
def test_a_copy_with_replace_has_exactly_the_metadata_and_headers_the_request_gives(
    s3: Any, given: dict[str, Any]
) -> None:
    # CopyObject, x-amz-metadata-directive: "Specifies whether the metadata is copied from the
    # source object or replaced with metadata that's provided in the request. ...
    # x-amz-website-redirect-location is unique to each object and is not copied when using
    # the x-amz-metadata-directive header. To copy the value, you must specify
    # x-amz-website-redirect-location in the request header." (copy.py keeps moto from
    # copying the redirect.)
    s3.put_object(Bucket=BUCKET, Key="src", Body=BODY, **SOURCE_HEADERS)

    s3.copy_object(
        Bucket=BUCKET, Key="copy", CopySource=f"{BUCKET}/src", MetadataDirective="REPLACE", **given
    )

    head = _head(s3, "copy")
    assert head["Metadata"] == given["Metadata"]
    for name in CONTENT_HEADERS:
        if name == "ContentType" and name not in given:
            continue  # S3 gives every object a Content-Type (binary/octet-stream)
        assert head.get(name) == given.get(name), name
    assert s3.get_object(Bucket=BUCKET, Key="copy")["Body"].read() == BODY


# ------------------------------------------------------------------------------ 5. Object Lock


def test_object_lock_configuration_says_whether_a_bucket_was_made_with_object_lock(
    s3: Any,
) -> None:
    # CreateBucket's ObjectLockEnabledForBucket: "Specifies whether you want S3 Object Lock to
    # be enabled for the new bucket." GetObjectLockConfiguration's ObjectLockConfiguration:
    # "The specified bucket's Object Lock configuration."; ObjectLockEnabled: "Indicates
    # whether this bucket has an Object Lock configuration enabled." A bucket without one
    # answers ObjectLockConfigurationNotFoundError (404): the API Reference pages this
    # project could consult do not list the code; it is moto's answer, pinned here.
    s3.create_bucket(Bucket="locked-bucket", ObjectLockEnabledForBucket=True)

    locked = s3.get_object_lock_configuration(Bucket="locked-bucket")

    assert locked["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    assert _error(lambda: s3.get_object_lock_configuration(Bucket=BUCKET)) == (
        "ObjectLockConfigurationNotFoundError",
        404,
    )


# ------------------------------------------------------------------------------ 6. DeleteObjects


def test_delete_objects_reports_a_key_that_does_not_exist_as_deleted(s3: Any) -> None:
    # DeleteObjects: "For each key, Amazon S3 performs a delete operation and returns the
    # result of that delete, success or failure, in the response. If the object specified in
    # the request isn't found, Amazon S3 confirms the deletion by returning the result as
    # deleted."
    s3.put_object(Bucket=BUCKET, Key="here", Body=BODY)

    answer = s3.delete_objects(
        Bucket=BUCKET, Delete={"Objects": [{"Key": "here"}, {"Key": "never-was"}]}
    )

    assert sorted(d["Key"] for d in answer["Deleted"]) == ["here", "never-was"]
    assert "Errors" not in answer
    assert _listed(s3) == {}


def test_delete_objects_in_quiet_mode_answers_only_the_keys_it_could_not_delete(
    s3: Any,
) -> None:
    # DeleteObjects: "The operation supports two modes for the response: verbose and quiet.
    # By default, the operation uses verbose mode in which the response includes the result
    # of deletion of each key in your request. In quiet mode the response includes only keys
    # where the delete operation encountered an error. For a successful deletion in a quiet
    # mode, the operation does not return any information about the delete in the response
    # body." moto lists every deleted key in both modes; the local cloud follows the
    # documentation (deletes.py). A version under COMPLIANCE retention cannot be deleted.
    s3.create_bucket(Bucket="locked-bucket", ObjectLockEnabledForBucket=True)
    kept = s3.put_object(
        Bucket="locked-bucket",
        Key="kept",
        Body=BODY,
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=datetime(2100, 1, 1, tzinfo=UTC),
    )
    s3.put_object(Bucket="locked-bucket", Key="gone", Body=BODY)
    objects = [
        {"Key": "kept", "VersionId": kept["VersionId"]},
        {"Key": "gone"},
        {"Key": "never-was"},
    ]

    quiet = s3.delete_objects(Bucket="locked-bucket", Delete={"Objects": objects, "Quiet": True})

    assert "Deleted" not in quiet
    assert [(e["Key"], e["Code"]) for e in quiet["Errors"]] == [("kept", "AccessDenied")]
    verbose = s3.delete_objects(Bucket="locked-bucket", Delete={"Objects": objects[1:]})
    assert sorted(d["Key"] for d in verbose["Deleted"]) == ["gone", "never-was"]
    all_deleted = s3.delete_objects(
        Bucket="locked-bucket", Delete={"Objects": objects[1:], "Quiet": True}
    )
    assert "Deleted" not in all_deleted and "Errors" not in all_deleted


# ------------------------------------------------------------------------------ 7. short pages

# ListObjectsV2's MaxKeys: "Sets the maximum number of keys returned in the response. By
# default, the action returns up to 1,000 key names. The response might contain fewer keys
# but will never contain more." IsTruncated: "Set to false if all of the results were
# returned. Set to true if more keys are available to return." NextContinuationToken: "is
# sent when isTruncated is true, which means there are more keys in the bucket that can be
# listed. The next list requests to Amazon S3 can be continued with this
# NextContinuationToken." A page may hold fewer keys than asked, or none, and be truncated:
# moto always fills its pages, so `testing.short_pages` empties chosen ones.

KEYS = [f"k{i:02d}" for i in range(10)]


@pytest.fixture
def keys(s3: Any) -> list[str]:
    for key in KEYS:
        s3.put_object(Bucket=BUCKET, Key=key, Body=BODY)
    return KEYS


def _pages(s3: Any, **request: Any) -> Iterator[dict[str, Any]]:
    """A lister as S3 asks for one: it goes on while IsTruncated, from NextContinuationToken."""
    request = {"Bucket": BUCKET, **request}
    while True:
        page: dict[str, Any] = s3.list_objects_v2(**request)
        yield page
        if not page["IsTruncated"]:
            return
        request["ContinuationToken"] = page["NextContinuationToken"]
        request.pop("StartAfter", None)


def _keys(pages: Iterator[dict[str, Any]]) -> tuple[list[str], list[int]]:
    listed: list[str] = []
    counts: list[int] = []
    for page in pages:
        listed += [o["Key"] for o in page.get("Contents", [])]
        counts.append(page["KeyCount"])
    return listed, counts


def test_an_empty_truncated_page_does_not_end_the_listing(
    cloud: LocalCloud, s3: Any, keys: list[str]
) -> None:
    with testing.short_pages(cloud, BUCKET, every=2) as short:
        listed, counts = _keys(_pages(s3, MaxKeys=3))
        paginated = [
            o["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(
                Bucket=BUCKET, PaginationConfig={"PageSize": 3}
            )
            for o in page.get("Contents", [])
        ]

    assert listed == keys
    assert counts == [3, 0, 3, 0, 3, 0, 1]  # every second request answered empty
    assert paginated == keys  # botocore's paginator goes on too
    assert (short.calls, short.shortened) == (15, 7)


def test_an_empty_page_continues_where_its_request_started(
    cloud: LocalCloud, s3: Any, keys: list[str]
) -> None:
    # From the beginning, from a StartAfter, and from a ContinuationToken (requests 1-3).
    with testing.short_pages(cloud, BUCKET, at=[1, 2, 3]):
        first = s3.list_objects_v2(Bucket=BUCKET, MaxKeys=4)
        again = s3.list_objects_v2(
            Bucket=BUCKET, MaxKeys=4, ContinuationToken=first["NextContinuationToken"]
        )
        after = s3.list_objects_v2(Bucket=BUCKET, MaxKeys=4, StartAfter="k05")
        resumed = s3.list_objects_v2(
            Bucket=BUCKET, MaxKeys=4, ContinuationToken=again["NextContinuationToken"]
        )
        rest = s3.list_objects_v2(
            Bucket=BUCKET, MaxKeys=4, ContinuationToken=after["NextContinuationToken"]
        )

    for empty in (first, again, after):
        assert empty["IsTruncated"] is True and empty["KeyCount"] == 0
        assert "Contents" not in empty and empty["NextContinuationToken"]
    assert [o["Key"] for o in resumed["Contents"]] == keys[:4]
    assert [o["Key"] for o in rest["Contents"]] == ["k06", "k07", "k08", "k09"]
    assert rest["IsTruncated"] is False


def test_an_empty_page_holds_back_common_prefixes_too(cloud: LocalCloud, s3: Any) -> None:
    for key in ("a/1", "a/2", "b/1", "top"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=BODY)

    with testing.short_pages(cloud, BUCKET, at=[1]):
        pages = list(_pages(s3, Delimiter="/", MaxKeys=2))

    assert "CommonPrefixes" not in pages[0] and pages[0]["IsTruncated"]
    assert [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])] == [
        "a/",
        "b/",
    ]
    assert [o["Key"] for page in pages for o in page.get("Contents", [])] == ["top"]


def test_a_chosen_request_with_nothing_left_to_list_is_answered_as_it_is(
    cloud: LocalCloud, s3: Any, keys: list[str]
) -> None:
    with testing.short_pages(cloud, BUCKET, at=[1, 2]) as short:
        nothing = s3.list_objects_v2(Bucket=BUCKET, Prefix="none/")
        past_the_end = s3.list_objects_v2(Bucket=BUCKET, StartAfter="k99")

    for page in (nothing, past_the_end):
        assert page["IsTruncated"] is False and page["KeyCount"] == 0
    assert (short.calls, short.shortened) == (2, 0)


def test_short_pages_are_for_their_bucket_and_the_code_under_test_only(
    cloud: LocalCloud, s3: Any, keys: list[str]
) -> None:
    s3.create_bucket(Bucket="other-bucket")
    s3.put_object(Bucket="other-bucket", Key="k", Body=BODY)

    with testing.short_pages(cloud, BUCKET, every=2) as short:
        other = [s3.list_objects_v2(Bucket="other-bucket")["KeyCount"] for _ in range(2)]
        own = [cloud.client("s3").list_objects_v2(Bucket=BUCKET)["KeyCount"] for _ in range(2)]
        ours = [s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] for _ in range(2)]
        v1 = [len(s3.list_objects(Bucket=BUCKET)["Contents"]) for _ in range(2)]
    after = [s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] for _ in range(2)]

    assert other == [1, 1] and own == [10, 10] and v1 == [10, 10]
    assert ours == [10, 0]
    assert after == [10, 10]  # stopped with its block
    assert short.calls == 2


def test_short_pages_refuse_settings_no_listing_could_finish_with(cloud: LocalCloud) -> None:
    refused: list[dict[str, Any]] = [
        {},  # neither: which requests?
        {"every": 1},  # every request empty: a lister would never finish
        {"every": 2, "at": [1]},  # both
        {"at": [0]},  # requests are numbered from 1
        {"at": []},
    ]
    for settings in refused:
        with pytest.raises(ValueError):
            testing.short_pages(cloud, BUCKET, **settings)


def test_short_pages_end_with_the_cloud(cloud_factory: Any) -> None:
    from moto.s3.models import S3Backend

    cloud = cloud_factory()
    testing.short_pages(cloud, BUCKET, every=2)
    assert S3Backend.list_objects_v2.__module__ == "localcloud.services.s3.listing"

    cloud.stop()

    assert S3Backend.list_objects_v2.__module__ == "moto.s3.models"
    cloud_factory()  # a new cloud lists whole pages
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="k", Body=BODY)
    assert [client.list_objects_v2(Bucket=BUCKET)["KeyCount"] for _ in range(2)] == [1, 1]


def test_a_bucket_that_sends_its_events_to_eventbridge_says_so(s3: Any) -> None:
    """GetBucketNotificationConfiguration: "EventBridgeConfiguration: Enables delivery of
    events to Amazon EventBridge" — present in the answer exactly when set (moto leaves it out)."""
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket=BUCKET)
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    answer = s3.get_bucket_notification_configuration(Bucket=BUCKET)
    assert answer["EventBridgeConfiguration"] == {}
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={})
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket=BUCKET)
