"""Amazon S3 behaviours the local cloud models as the S3 API Reference documents them."""

from __future__ import annotations

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
