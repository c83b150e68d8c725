"""ETags as S3 gives them: not the MD5 of the body for objects encrypted with KMS or SSE-C.

The S3 API Reference's `Object` (ETag): "The entity tag is a hash of the object. The ETag
reflects changes only to the contents of an object, not its metadata. The ETag may or may not
be an MD5 digest of the object data. Whether or not it is depends on how the object was
created and how it is encrypted as described below: Objects created by the PUT Object, POST
Object, or Copy operation, or through the AWS Management Console, and are encrypted by SSE-S3
or plaintext, have ETags that are an MD5 digest of their object data. Objects created by the
PUT Object, POST Object, or Copy operation, or through the AWS Management Console, and are
encrypted by SSE-C or SSE-KMS, have ETags that are not an MD5 digest of their object data. If
an object is created by either the Multipart Upload or Part Copy operation, the ETag is not an
MD5 digest, regardless of the method of encryption."

moto computes every single-part ETag as the body's MD5. Here an object stored under SSE-KMS
or DSSE-KMS (`aws:kms`, `aws:kms:dsse`: both are KMS keys' encryption), or with a customer key
(SSE-C, which moto otherwise ignores), gets an opaque ETag once, when it is stored: HEAD, GET
and List then agree, and a copy, being a new object, gets its own. A multipart object keeps
moto's `<digest>-<parts>` ETag, which is not an MD5 of the body either.
"""

from __future__ import annotations

import inspect
import secrets
from typing import Any

from localcloud.core import Hooks
from localcloud.services.s3 import requests

SSE_C_HEADER = "x-amz-server-side-encryption-customer-algorithm"


def encrypted_with_a_key(encryption: str | None, request: requests.S3Request | None) -> bool:
    """SSE-KMS, DSSE-KMS or SSE-C: the encryptions whose objects' ETags are not MD5s."""
    if str(encryption or "").startswith("aws:kms"):
        return True
    return request is not None and SSE_C_HEADER in request.headers


def install_hooks(hooks: Hooks) -> None:
    from moto.s3.models import S3Backend

    put_object = hooks.original(S3Backend, "put_object")
    signature = inspect.signature(put_object)

    def put_object_with_its_etag(self: Any, *args: Any, **kwargs: Any) -> Any:
        given = signature.bind(self, *args, **kwargs)
        given.apply_defaults()
        key = put_object(self, *args, **kwargs)
        # The request may set no encryption and the bucket's default apply: moto resolved it.
        if given.arguments["etag"] is None and encrypted_with_a_key(
            key.encryption, requests.current()
        ):
            key._etag = secrets.token_hex(16)  # moto keeps it, and quotes it, as its own
        return key

    hooks.replace(S3Backend, "put_object", put_object_with_its_etag)
