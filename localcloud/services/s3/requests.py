"""The S3 request being answered, for what S3 reports about it afterwards.

An EventBridge event carries the `request-id` "in S3 response" and the `source-ip-address`
"of S3 request" (S3 User Guide, "EventBridge event message structure"). moto answers a request
in the thread that made it (in process) or in a server thread (`steward local up`), calling
`S3Response.setup_class` first and `_send_response` last; between the two, the backend does
the work. So the request is kept per thread between those two calls, and each response gets
its `x-amz-request-id` header (moto sends none), the id the event then names.
"""

from __future__ import annotations

import secrets
import string
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from localcloud.core import Hooks

# S3's request ids are 16 upper-case letters and digits ("N4N7GDK58NMKJ12R" in the
# documentation's examples).
_ALPHABET = string.ascii_uppercase + string.digits
# A request made in process has no network address; the local cloud is on the loopback
# (`steward local up` serves 127.0.0.1), so that is where its requests come from.
LOOPBACK = "127.0.0.1"


@dataclass
class S3Request:
    request_id: str
    source_ip: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    completing: bool = False  # inside CompleteMultipartUpload (it announces the object itself)


_local = threading.local()


def new_request_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(16))


def current() -> S3Request | None:
    """The request this thread is answering; None outside one (S3's own work on a timer)."""
    request: S3Request | None = getattr(_local, "request", None)
    return request


def install_hooks(hooks: Hooks) -> None:
    from moto.s3.responses import S3Response

    setup_class = hooks.original(S3Response, "setup_class")
    send_response = hooks.original(S3Response, "_send_response")  # a classmethod, bound

    def setup_noting_the_request(
        self: Any, request: Any, full_url: str | None = None, headers: Any = None
    ) -> None:
        setup_class(self, request, full_url, headers)
        raw = getattr(self, "raw_body", b"") or b""
        _local.request = S3Request(
            request_id=new_request_id(),
            source_ip=str(getattr(request, "remote_addr", None) or LOOPBACK),
            headers={str(k).lower(): str(v) for k, v in dict(self.headers or {}).items()},
            body=raw if isinstance(raw, bytes) else str(raw).encode(),
        )

    def send_with_request_id(cls: Any, response: Any) -> Any:
        status, headers, body = send_response(response)
        request = current()
        if request is not None:
            headers.setdefault("x-amz-request-id", request.request_id)
        _local.request = None
        return status, headers, body

    hooks.replace(S3Response, "setup_class", setup_noting_the_request)
    hooks.replace(S3Response, "_send_response", classmethod(send_with_request_id))
