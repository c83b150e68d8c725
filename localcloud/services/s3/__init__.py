"""Amazon S3 as moto emulates it, corrected where AWS documents otherwise.

- requests.py       the request being answered (its id, its address), for what S3 reports
- etags.py          SSE-KMS, DSSE-KMS and SSE-C objects' ETags are not their body's MD5
- copy.py           CopyObject leaves WebsiteRedirectLocation behind unless the request sets it
- checksums.py      the CRC32C (and CRC64NVME) checksums S3 computes are those, not CRC32
- archive.py        Intelligent-Tiering's archive tiers; RestoreObject on the clock (its tier's
                    time, then an expiry date); archived objects refuse GetObject and CopyObject
- listing.py        listings' RestoreStatus (x-amz-optional-object-attributes), and empty
                    truncated ListObjectsV2 pages on demand (`short_pages`, for tests)
- deletes.py        DeleteObjects in quiet mode answers only the keys it could not delete
- notifications.py  Object Created / Deleted / Restore … / Access Tier Changed events to
                    EventBridge for buckets with EventBridgeConfiguration

S3 calls KMS on the caller's behalf (kms:GenerateDataKey to write an SSE-KMS object,
kms:Decrypt to read one, with kms:ViaService): that is IAM's request-to-permission table
(localcloud/services/iam/permissions.py), where the key policy decides first.

Reading the store without requests (benchmarks count them): `object_digests`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from localcloud.core import Core
from localcloud.services.s3 import (
    archive,
    checksums,
    copy,
    deletes,
    etags,
    listing,
    notifications,
    requests,
)

SERVICE = "s3"


class S3:
    """The local cloud's S3 state: what it announces, its archive, and the short pages
    tests ask for."""

    def __init__(self, core: Core) -> None:
        self.notifier = notifications.Notifier(core)
        self.archive = archive.Archive(core, self.notifier)
        self.pages = listing.Pages()


def install(core: Core) -> S3:
    s3 = S3(core)
    core.services[SERVICE] = s3
    # Order matters: each hook wraps the one before, and the last runs first. Announcing
    # an object comes last (outermost), so it sees the ETag given and an archived source's
    # refusal; the archive check runs before moto copies anything.
    requests.install_hooks(core.hooks)
    etags.install_hooks(core.hooks)
    copy.install_hooks(core.hooks)
    checksums.install_hooks(core.hooks)
    archive.install_hooks(core, s3.archive)
    listing.install_hooks(core.hooks, s3.pages)
    deletes.install_hooks(core.hooks)
    notifications.install_hooks(core, s3.notifier)
    core.on_stop.append(s3.pages.clear)
    return s3


def set_access_tier(core: Core, bucket: str, key: str, tier: str) -> None:
    """Move an INTELLIGENT_TIERING object to ARCHIVE_ACCESS or DEEP_ARCHIVE_ACCESS."""
    service: S3 = core.service(SERVICE)
    service.archive.set_access_tier(core.account_id, bucket, key, tier)


def short_pages(
    core: Core, bucket: str, every: int | None, at: Iterable[int] | None
) -> listing.ShortPages:
    """Empty truncated ListObjectsV2 pages on `bucket` at chosen requests (listing.py)."""
    service: S3 = core.service(SERVICE)
    return service.pages.add(bucket, every, at)


def object_digests(account_id: str, bucket: str) -> dict[str, str]:
    """key -> MD5 of the stored body, for every current object of the bucket."""
    from moto.s3.models import FakeKey, s3_backends

    store = s3_backends[account_id]["aws"].get_bucket(bucket).keys
    return {
        key: hashlib.md5(obj.value).hexdigest()  # noqa: S324 - a content digest, not security
        for key, obj in store.items()
        if isinstance(obj, FakeKey)
    }
