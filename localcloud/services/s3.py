"""Amazon S3 as moto emulates it, corrected where AWS documents otherwise.

- Reading its store without requests (benchmarks count them): `object_digests`.
- CopyObject does not copy an object's website redirect: the S3 API Reference's CopyObject
  says of x-amz-website-redirect-location "This value is unique to each object and is not
  copied when using the x-amz-metadata-directive header. Instead, you may opt to provide this
  header in combination with the x-amz-metadata-directive header." moto keeps the redirect
  among the metadata it copies (with the default COPY directive), so a copy redirected where
  its source did.
"""

from __future__ import annotations

import hashlib
from typing import Any

from localcloud.core import Core, Hooks

REDIRECT_HEADER = "x-amz-website-redirect-location"


def install(core: Core) -> None:
    install_hooks(core.hooks)


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


def object_digests(account_id: str, bucket: str) -> dict[str, str]:
    """key -> MD5 of the stored body, for every current object of the bucket."""
    from moto.s3.models import FakeKey, s3_backends

    store = s3_backends[account_id]["aws"].get_bucket(bucket).keys
    return {
        key: hashlib.md5(obj.value).hexdigest()  # noqa: S324 - a content digest, not security
        for key, obj in store.items()
        if isinstance(obj, FakeKey)
    }
