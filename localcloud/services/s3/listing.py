"""Listings: an archived object's RestoreStatus when asked for, and pages shorter than MaxKeys.

RestoreStatus. ListObjectsV2, ListObjects and ListObjectVersions take
x-amz-optional-object-attributes: "Specifies the optional fields that you want returned in the
response. Fields that you do not specify are not returned." Its one value, RestoreStatus,
"Specifies the restoration status of an object. Objects in certain storage classes must be
restored before they can be retrieved." (S3 API Reference, ListObjectsV2 and Object,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html). moto ignores the
header. Here a listed object (or version) with a restore state, the one archive.py keeps and
HeadObject's Restore reports, gets its RestoreStatus (`archive.restore_status`):
IsRestoreInProgress true while the restore runs, then false with the restored copy's
RestoreExpiryDate; an object never restored, or whose restored copy expired, has none; and
nothing is added unless the request asks for it.

Short pages. ListObjectsV2's MaxKeys "Sets the maximum number of keys returned in the response.
By default, the action returns up to 1,000 key names. The response might contain fewer keys
but will never contain more."; IsTruncated is "true if more keys are available to return";
"NextContinuationToken is sent when isTruncated is true, which means there are more keys in
the bucket that can be listed. The next list requests to Amazon S3 can be continued with this
NextContinuationToken." (same page). A page may so hold fewer keys than asked, none at all,
and still be truncated, where moto always fills a page to MaxKeys: a lister that stops at an
empty page (or one without Contents) loses the rest of the bucket on AWS and not here.
`ShortPages` (`localcloud.testing.short_pages`) makes chosen ListObjectsV2 requests on a bucket
answer an empty truncated page whose NextContinuationToken continues exactly where the request
started, so a test can check that a lister keeps going.
"""

from __future__ import annotations

import hashlib
import threading
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from localcloud.core import Hooks, MotoChangedError
from localcloud.core.calls import INTERNAL_AGENT
from localcloud.services.s3 import archive, requests

OPTIONAL_ATTRIBUTES_HEADER = "x-amz-optional-object-attributes"
RESTORE_STATUS = "RestoreStatus"
# Each listing's action (as moto names it in `data["Action"]`) and the list of its objects.
_LISTINGS = {
    "ListObjectsV2": "Contents",
    "ListObjects": "Contents",
    "ListObjectVersions": "Versions",
}


# ------------------------------------------------------------------------------ short pages


@dataclass(eq=False)  # a handle: removed by identity, not by equal settings
class ShortPages:
    """Empty truncated ListObjectsV2 pages on one bucket, from creation until `stop()` (or the
    end of its `with` block, or the cloud's stop).

    The bucket's ListObjectsV2 requests are counted from 1 (`calls`: every request answered,
    from any client but the local cloud's own); request n is answered empty when n is in `at`,
    or a multiple of `every`. A chosen request whose true answer is already an empty last page
    has nothing to hold back and is answered as it is; `shortened` counts the others."""

    bucket: str
    every: int | None
    at: frozenset[int]
    calls: int = 0
    shortened: int = 0
    _registry: Pages | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def stop(self) -> None:
        if self._registry is not None:
            self._registry.remove(self)

    def __enter__(self) -> ShortPages:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _choose(self) -> int | None:
        """Count a request; its number if it is to be answered empty."""
        with self._lock:
            self.calls += 1
            n = self.calls
        chosen = n in self.at or (self.every is not None and n % self.every == 0)
        return n if chosen else None

    def _shortened(self) -> None:
        with self._lock:
            self.shortened += 1


class Pages:
    """A local cloud's `ShortPages`, and the choice the ListObjectsV2 hook asks of them."""

    def __init__(self) -> None:
        self._active: list[ShortPages] = []
        self._lock = threading.Lock()

    def add(self, bucket: str, every: int | None, at: Iterable[int] | None) -> ShortPages:
        chosen = frozenset(at or ())
        if (every is None) == (at is None):
            raise ValueError("give either every (each n-th request) or at (request numbers)")
        if every is not None and every < 2:
            # Every request empty: no lister could ever finish.
            raise ValueError("every is at least 2: a page in every `every` requests is empty")
        if any(n < 1 for n in chosen) or (at is not None and not chosen):
            raise ValueError("at names requests by number, from 1")
        handle = ShortPages(bucket, every, chosen, _registry=self)
        with self._lock:
            self._active.append(handle)
        return handle

    def remove(self, handle: ShortPages) -> None:
        with self._lock:
            if handle in self._active:
                self._active.remove(handle)

    def clear(self) -> None:
        with self._lock:
            self._active.clear()

    def choose(self, bucket: str) -> list[tuple[ShortPages, int]]:
        """Count a request on `bucket` with each of its handles; those that choose it."""
        with self._lock:
            handles = [h for h in self._active if h.bucket == bucket]
        chosen = [(h, n) for h in handles if (n := h._choose()) is not None]
        return chosen


def _internal() -> bool:
    """A request the local cloud makes itself (never the code under test's)."""
    current = requests.current()
    return current is not None and INTERNAL_AGENT in current.headers.get("user-agent", "")


# ------------------------------------------------------------------------------ RestoreStatus


def _asks_for_restore_status(response: Any) -> bool:
    current = requests.current()
    if current is not None:
        value = current.headers.get(OPTIONAL_ATTRIBUTES_HEADER, "")
    else:  # no request noted (should not happen inside a request): read moto's own headers
        headers = dict(getattr(response, "headers", None) or {})
        value = next((v for k, v in headers.items() if k.lower() == OPTIONAL_ATTRIBUTES_HEADER), "")
    return RESTORE_STATUS in {part.strip() for part in str(value).split(",")}


def _version_name(key: Any) -> str:
    return "null" if key.version_id is None else str(key.version_id)


def _add_restore_status(response: Any, action: str, result: dict[str, Any]) -> None:
    bucket = response.backend.get_bucket(response.bucket_name)
    url_encoded = (response.querystring.get("encoding-type") or [None])[0] == "url"
    for item in result.get(_LISTINGS[action]) or []:
        name = item["Key"]
        if action == "ListObjectVersions":
            key = next(
                (k for k in bucket.keys.getlist(name, []) if _version_name(k) == item["VersionId"]),
                None,
            )
        else:
            key = bucket.keys.get(urllib.parse.unquote(name) if url_encoded else name)
        status = archive.restore_status(key) if key is not None else None
        if status is not None:
            item[RESTORE_STATUS] = status


# ------------------------------------------------------------------------------ hooks


def install_hooks(hooks: Hooks, pages: Pages) -> None:
    from moto.core.responses import ActionResult
    from moto.s3.models import S3Backend
    from moto.s3.responses import S3Response

    hooks.original(ActionResult, "result")  # read below: the result being serialized
    serialized = hooks.original(S3Response, "serialized")

    def serialized_with_restore_status(self: Any, action_result: Any) -> Any:
        data = getattr(self, "data", None)
        action = data.get("Action") if isinstance(data, dict) else None
        result = action_result.result
        if action in _LISTINGS and isinstance(result, dict) and _asks_for_restore_status(self):
            _add_restore_status(self, action, result)
        return serialized(self, action_result)

    hooks.replace(S3Response, "serialized", serialized_with_restore_status)

    list_objects_v2 = hooks.original(S3Backend, "list_objects_v2")

    def list_objects_v2_with_short_pages(
        self: Any,
        bucket: Any,
        prefix: str | None,
        delimiter: str | None,
        continuation_token: str | None,
        start_after: str | None,
        max_keys: int,
    ) -> Any:
        keys, truncated, next_token = list_objects_v2(
            self, bucket, prefix, delimiter, continuation_token, start_after, max_keys
        )
        if _internal():
            return keys, truncated, next_token
        chosen = pages.choose(bucket.name)
        if not chosen or (not keys and not truncated):
            return keys, truncated, next_token
        tokens = getattr(self, "_pagination_tokens", None)
        if not isinstance(tokens, dict):
            raise MotoChangedError(
                "moto changed: S3Backend has no _pagination_tokens (continuation token -> last "
                "key listed), which the local cloud's short pages extend; update "
                "localcloud/services/s3/listing.py for the moto version installed"
            )
        # Where this request started: after the key its token stands for, after StartAfter,
        # or at the beginning (moto lists the keys after "", which is all of them). A token
        # given wins over StartAfter, as in moto and on AWS.
        if continuation_token:
            position = str(tokens.get(continuation_token) or "")
        else:
            position = start_after or ""
        number = chosen[0][1]
        # A token of its own (moto's are hex digests too), the same for the same request.
        token = hashlib.sha256(
            f"short-page/{bucket.name}/{position}/{number}".encode()
        ).hexdigest()[:32]
        tokens[token] = position
        for each, _ in chosen:
            each._shortened()
        return [], True, token

    hooks.replace(S3Backend, "list_objects_v2", list_objects_v2_with_short_pages)
