"""CopyObject does not copy an object's website redirect.

The S3 API Reference's CopyObject says of x-amz-website-redirect-location "This value is
unique to each object and is not copied when using the x-amz-metadata-directive header.
Instead, you may opt to provide this header in combination with the x-amz-metadata-directive
header." moto keeps the redirect among the metadata it copies (with the default COPY
directive), so a copy redirected where its source did.

UploadPartCopy copies bytes only: the object a multipart upload makes has the metadata (and
redirect) its CreateMultipartUpload gave, as moto already does and as the API Reference says
of UploadPartCopy ("Uploads a part by copying data from an existing object as data source").
"""

from __future__ import annotations

from typing import Any

from localcloud.core import Hooks

REDIRECT_HEADER = "x-amz-website-redirect-location"


def install_hooks(hooks: Hooks) -> None:
    from moto.s3.models import FakeKey, S3Backend

    # moto keeps the redirect twice: as the key's attribute and among the metadata it copies.
    hooks.original(FakeKey, "metadata")
    hooks.original(S3Backend, "get_object")
    copy_object = hooks.original(S3Backend, "copy_object")

    def copy_object_without_redirect(
        self: Any, src_key: Any, dest_bucket_name: str, dest_key_name: str, **kwargs: Any
    ) -> None:
        copy_object(self, src_key, dest_bucket_name, dest_key_name, **kwargs)
        if kwargs.get("website_redirect_location"):
            return  # the request set the copy's own redirect, which moto stored
        copy = self.get_object(dest_bucket_name, dest_key_name)
        copy.metadata.pop(REDIRECT_HEADER, None)
        copy.website_redirect_location = None

    hooks.replace(S3Backend, "copy_object", copy_object_without_redirect)
