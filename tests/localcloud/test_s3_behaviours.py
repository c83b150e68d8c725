"""Amazon S3 behaviours the local cloud models as the S3 API Reference documents them."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from localcloud import LocalCloud

BUCKET = "copy-redirects"


@pytest.fixture
def source(cloud: LocalCloud) -> str:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(
        Bucket=BUCKET,
        Key="page.html",
        Body=b"<html/>",
        WebsiteRedirectLocation="/moved.html",
        Metadata={"owner": "steward"},
    )
    return f"{BUCKET}/page.html"


# S3 API Reference, CopyObject, x-amz-website-redirect-location: "If the destination bucket is
# configured as a website, redirects requests for this object copy to another object in the
# same bucket or to an external URL. Amazon S3 stores the value of this header in the object
# metadata. This value is unique to each object and is not copied when using the
# x-amz-metadata-directive header. Instead, you may opt to provide this header in combination
# with the x-amz-metadata-directive header."
# And, of x-amz-metadata-directive: "x-amz-website-redirect-location is unique to each object
# and is not copied when using the x-amz-metadata-directive header. To copy the value, you
# must specify x-amz-website-redirect-location in the request header."


@pytest.mark.parametrize("directive", ["COPY", "REPLACE", None], ids=["copy", "replace", "unset"])
def test_copy_object_does_not_copy_the_website_redirect_location(
    cloud: LocalCloud, source: str, directive: str | None
) -> None:
    s3 = cloud.client("s3")
    options = {"MetadataDirective": directive} if directive else {}

    s3.copy_object(Bucket=BUCKET, Key="copy.html", CopySource=source, **options)

    copy = s3.head_object(Bucket=BUCKET, Key="copy.html")
    assert "WebsiteRedirectLocation" not in copy
    # Only the redirect is left behind: COPY (the default) still copies the user metadata.
    assert copy["Metadata"] == ({} if directive == "REPLACE" else {"owner": "steward"})
    assert s3.head_object(Bucket=BUCKET, Key="page.html")["WebsiteRedirectLocation"] == (
        "/moved.html"
    )


def test_copy_object_sets_the_website_redirect_location_the_request_gives(
    cloud: LocalCloud, source: str
) -> None:
    s3 = cloud.client("s3")

    s3.copy_object(
        Bucket=BUCKET,
        Key="copy.html",
        CopySource=source,
        WebsiteRedirectLocation="/elsewhere.html",
    )

    copy = s3.head_object(Bucket=BUCKET, Key="copy.html")
    assert copy["WebsiteRedirectLocation"] == "/elsewhere.html"


# S3 API Reference, Object (ETag): "Objects created by the PUT Object, POST Object, or Copy
# operation, or through the AWS Management Console, and are encrypted by SSE-S3 or plaintext,
# have ETags that are an MD5 digest of their object data. Objects created by the PUT Object,
# POST Object, or Copy operation, or through the AWS Management Console, and are encrypted by
# SSE-C or SSE-KMS, have ETags that are not an MD5 digest of their object data. If an object
# is created by either the Multipart Upload or Part Copy operation, the ETag is not an MD5
# digest, regardless of the method of encryption."
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html)

BODY = b"the same body"
MD5 = hashlib.md5(BODY).hexdigest()  # noqa: S324 - what S3 computes, not security
SSE_C = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": "k" * 32}
ENCRYPTIONS = {
    "sse-kms": {"ServerSideEncryption": "aws:kms"},
    "dsse-kms": {"ServerSideEncryption": "aws:kms:dsse"},
    "sse-c": SSE_C,
}


def _etags(s3: Any, bucket: str, key: str, **read: Any) -> set[str]:
    """The object's ETag as HeadObject, GetObject and ListObjectsV2 give it."""
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key)["Contents"]
    return {
        s3.head_object(Bucket=bucket, Key=key, **read)["ETag"],
        s3.get_object(Bucket=bucket, Key=key, **read)["ETag"],
        *(o["ETag"] for o in listed if o["Key"] == key),
    }


@pytest.mark.parametrize("encryption", list(ENCRYPTIONS))
def test_an_object_encrypted_with_a_key_has_an_etag_that_is_not_its_md5(
    cloud: LocalCloud, encryption: str
) -> None:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="etags")
    options = ENCRYPTIONS[encryption]
    read = SSE_C if encryption == "sse-c" else {}

    put = s3.put_object(Bucket="etags", Key="k", Body=BODY, **options)
    s3.copy_object(
        Bucket="etags",
        Key="copy",
        CopySource="etags/k",
        **options,
        **(
            {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": "k" * 32}
            if read
            else {}
        ),
    )

    assert put["ETag"].strip('"') != MD5
    assert _etags(s3, "etags", "k", **read) == {put["ETag"]}  # the object's, wherever read
    [copied] = _etags(s3, "etags", "copy", **read)
    assert copied.strip('"') != MD5
    assert copied != put["ETag"]  # a copy is a new object, with its own


@pytest.mark.parametrize(
    "options", [{}, {"ServerSideEncryption": "AES256"}], ids=["plain", "sse-s3"]
)
def test_a_plaintext_or_sse_s3_object_has_its_md5_as_etag(
    cloud: LocalCloud, options: dict[str, str]
) -> None:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="etags")
    s3.put_object(Bucket="etags", Key="k", Body=BODY, ServerSideEncryption="aws:kms")

    put = s3.put_object(Bucket="etags", Key="plain", Body=BODY, **options)
    s3.copy_object(Bucket="etags", Key="decrypted", CopySource="etags/k", **options)

    assert put["ETag"] == f'"{MD5}"'
    assert _etags(s3, "etags", "decrypted") == {f'"{MD5}"'}


def test_the_buckets_default_kms_encryption_gives_objects_opaque_etags(
    cloud: LocalCloud,
) -> None:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="etags")
    s3.put_bucket_encryption(
        Bucket="etags",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )

    put = s3.put_object(Bucket="etags", Key="k", Body=BODY)

    assert put["ServerSideEncryption"] == "aws:kms"
    assert put["ETag"].strip('"') != MD5


def test_a_multipart_objects_etag_keeps_its_part_count_under_kms(cloud: LocalCloud) -> None:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="etags")
    upload = s3.create_multipart_upload(Bucket="etags", Key="k", ServerSideEncryption="aws:kms")
    part = s3.upload_part(
        Bucket="etags", Key="k", UploadId=upload["UploadId"], PartNumber=1, Body=BODY
    )

    done = s3.complete_multipart_upload(
        Bucket="etags",
        Key="k",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )

    assert done["ETag"].strip('"').endswith("-1")
    assert _etags(s3, "etags", "k") == {done["ETag"]}


def test_upload_part_copy_copies_the_data_and_not_the_sources_metadata(
    cloud: LocalCloud, source: str
) -> None:
    # UploadPartCopy "Uploads a part by copying data from an existing object as data source"
    # (S3 API Reference, UploadPartCopy): the object the upload makes has what its
    # CreateMultipartUpload gave it, whose x-amz-website-redirect-location "redirects
    # requests for this object to another object in the same bucket or to an external URL.
    # Amazon S3 stores the value of this header in the object metadata." moto already does
    # this; the test holds it there.
    s3 = cloud.client("s3")
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="assembled.html")["UploadId"]
    part = s3.upload_part_copy(
        Bucket=BUCKET, Key="assembled.html", UploadId=upload, PartNumber=1, CopySource=source
    )
    s3.complete_multipart_upload(
        Bucket=BUCKET,
        Key="assembled.html",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]},
    )
    redirected = s3.create_multipart_upload(
        Bucket=BUCKET, Key="own.html", WebsiteRedirectLocation="/own.html"
    )["UploadId"]
    part = s3.upload_part_copy(
        Bucket=BUCKET, Key="own.html", UploadId=redirected, PartNumber=1, CopySource=source
    )
    s3.complete_multipart_upload(
        Bucket=BUCKET,
        Key="own.html",
        UploadId=redirected,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]},
    )

    assembled = s3.head_object(Bucket=BUCKET, Key="assembled.html")
    assert "WebsiteRedirectLocation" not in assembled
    assert assembled["Metadata"] == {}
    assert s3.get_object(Bucket=BUCKET, Key="assembled.html")["Body"].read() == b"<html/>"
    assert s3.head_object(Bucket=BUCKET, Key="own.html")["WebsiteRedirectLocation"] == ("/own.html")
