"""Amazon S3 as moto emulates it: reading its store without requests (benchmarks count them)."""

from __future__ import annotations

import hashlib


def object_digests(account_id: str, bucket: str) -> dict[str, str]:
    """key -> MD5 of the stored body, for every current object of the bucket."""
    from moto.s3.models import FakeKey, s3_backends

    store = s3_backends[account_id]["aws"].get_bucket(bucket).keys
    return {
        key: hashlib.md5(obj.value).hexdigest()  # noqa: S324 - a content digest, not security
        for key, obj in store.items()
        if isinstance(obj, FakeKey)
    }
