"""Every AWS API call made in this process, as botocore makes it, for whoever listens.

botocore's public extension point is its event system. `provide-client-params.<service>.
<Operation>` carries the parameters of each call before they are serialised, and
`before-call.<service>.<Operation>` may answer a call instead of sending it. A client gets its
handlers from `botocore.handlers.BUILTIN_HANDLERS` when its session is made, so the handlers
are registered there when `localcloud` is imported (as moto registers its stubber), and they
dispatch to the observers (`localcloud.metering`, `localcloud.testing`) and to the one
authorizer (IAM evaluation) that the local cloud installs. Clients made before `localcloud`
was imported are neither observed nor authorized.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.handlers import BUILTIN_HANDLERS

_PARAMS = "localcloud_api_params"


@dataclass(frozen=True)
class ApiCall:
    service: str  # the name botocore knows the service by ("ecs", "stepfunctions")
    operation: str  # "DescribeClusters"
    params: dict[str, Any]
    region: str | None = None
    access_key: str | None = None  # the caller's credentials (known only to the authorizer)
    # made by the local cloud itself (its own clients: lookups, deliveries), not by a caller
    internal: bool = False


@dataclass(frozen=True)
class Refusal:
    """The error a service answers an unauthorized call with."""

    status: int
    code: str
    message: str


Observer = Callable[[ApiCall], None]
Authorizer = Callable[[ApiCall], Refusal | None]
# The user agent suffix of the local cloud's own clients (localcloud.core.clients).
INTERNAL_AGENT = "localcloud-internal"
_OBSERVERS: list[Observer] = []
_AUTHORIZER: list[Authorizer] = []
_LOCK = threading.Lock()


def observe(observer: Observer) -> Callable[[], None]:
    """Call `observer` before every API call from now on; returns the function that stops it."""
    with _LOCK:
        _OBSERVERS.append(observer)

    def stop() -> None:
        with _LOCK:
            if observer in _OBSERVERS:
                _OBSERVERS.remove(observer)

    return stop


def authorize_with(authorizer: Authorizer | None) -> None:
    """Decide every call from now on with `authorizer` (None: every call goes through)."""
    with _LOCK:
        _AUTHORIZER[:] = [authorizer] if authorizer else []


def _dispatch(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    context[_PARAMS] = params
    with _LOCK:
        observers = list(_OBSERVERS)
    if not observers:
        return
    config = context.get("client_config")
    call = ApiCall(
        model.service_model.service_name,
        model.name,
        params,
        context.get("client_region"),
        internal=getattr(config, "user_agent_extra", None) == INTERNAL_AGENT,
    )
    for observer in observers:
        observer(call)


def _credentials_of(request_signer: Any) -> Any:
    # botocore keeps a client's credentials on its request signer; a botocore that no longer
    # does must fail loudly, not let every call through as if it were authorized.
    if not hasattr(request_signer, "_credentials"):
        raise RuntimeError("botocore changed: RequestSigner has no _credentials to authorize by")
    return request_signer._credentials


def _authorize(
    model: Any, params: Any, request_signer: Any, context: dict[str, Any], **_: Any
) -> tuple[AWSResponse, dict[str, Any]] | None:
    with _LOCK:
        authorizer = _AUTHORIZER[0] if _AUTHORIZER else None
    if authorizer is None:
        return None
    credentials = _credentials_of(request_signer)
    call = ApiCall(
        model.service_model.service_name,
        model.name,
        context.get(_PARAMS, {}),
        context.get("client_region"),
        credentials.access_key if credentials is not None else None,
    )
    refusal = authorizer(call)
    if refusal is None:
        return None
    # Answered here, as the service would: the client raises its ClientError for the code.
    response = AWSResponse("https://localcloud.invalid/", refusal.status, HTTPHeaders(), None)
    code, message = refusal.code, refusal.message
    if model.http.get("method") == "HEAD":
        # A HEAD answer has no body to name the error: the SDK names it by the status alone,
        # as S3's HeadObject and HeadBucket refusals reach a caller ("403", "Forbidden").
        code, message = str(refusal.status), HTTPStatus(refusal.status).phrase
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {
            "HTTPStatusCode": refusal.status,
            "HTTPHeaders": {},
            "RequestId": str(uuid.uuid4()),
        },
    }
    return response, parsed


for _handler in (("provide-client-params", _dispatch), ("before-call", _authorize)):
    if _handler not in BUILTIN_HANDLERS:
        BUILTIN_HANDLERS.append(_handler)
