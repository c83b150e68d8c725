"""Faults injected into named operations: the error a service answers, before moto sees the call.

A fault must be answered where botocore's retry logic sees it. An answer to `before-call` (as
the IAM authorizer gives, `localcloud.core.calls`) is returned by the client as is, outside the
retry loop, so a client configured to retry a throttled call would not. The fault is answered
instead where the HTTP response is made: `before-send`, which botocore emits for every attempt
inside its retry loop and where moto's `BotocoreStubber` answers in place of AWS. The stubber is
hooked (through `core.hooks`, undone when the cloud stops) to answer the fault's error in the
service's own wire format (JSON `__type`, XML `<Error>`, the status), which botocore parses and
classifies exactly as an answer from AWS: its retry handler retries throttling codes and 5xx.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from localcloud.core.calls import INTERNAL_AGENT

if TYPE_CHECKING:
    from botocore.awsrequest import AWSPreparedRequest

    from localcloud.core import Core

SERVICE = "faults"
_PROTOCOLS = ("json", "rest-json", "query", "ec2", "rest-xml")


@dataclass(eq=False)  # a handle: removed by identity, not by equal settings
class Fault:
    """One injected fault; active from creation until `stop()` (or the block, used as `with`).

    `calls` counts the matching calls seen (every attempt of a retried call is a call);
    `injected` counts those answered with the error."""

    service: str
    operation: str
    code: str
    status: int
    message: str
    protocol: str
    service_id: str  # how botocore names the service in its event names ("sfn")
    count: int | None = None
    share: float | None = None
    callers: frozenset[str] | None = None
    calls: int = 0
    injected: int = 0
    _registry: FaultRegistry | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def stop(self) -> None:
        if self._registry is not None:
            self._registry.remove(self)

    def __enter__(self) -> Fault:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def decide(self, service_id: str, operation: str, caller: str | None) -> bool:
        """Whether this call fails (and count it)."""
        if service_id != self.service_id or operation != self.operation:
            return False
        if self.callers is not None and caller not in self.callers:
            return False
        with self._lock:
            self.calls += 1
            if self.count is not None and self.injected >= self.count:
                return False
            # Deterministic share: the n-th call fails when floor(n*share) steps up, so that
            # exactly floor(n*share) of the first n calls fail (0.5: the 2nd, 4th, ...).
            if self.share is not None:
                n = self.calls
                if int(n * self.share) == int((n - 1) * self.share):
                    return False
            self.injected += 1
            return True

    def response(self, url: str) -> AWSResponse:
        request_id = str(uuid.uuid4())
        headers = HTTPHeaders()
        headers["x-amzn-RequestId"] = request_id
        if self.protocol in ("json", "rest-json"):
            headers["Content-Type"] = "application/x-amz-json-1.1"
            headers["x-amzn-ErrorType"] = self.code
            body = json.dumps({"__type": self.code, "message": self.message})
        elif self.protocol == "query":
            headers["Content-Type"] = "text/xml"
            kind = "Receiver" if self.status >= 500 else "Sender"
            body = (
                "<ErrorResponse><Error>"
                f"<Type>{kind}</Type><Code>{escape(self.code)}</Code>"
                f"<Message>{escape(self.message)}</Message>"
                f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            )
        elif self.protocol == "ec2":
            headers["Content-Type"] = "text/xml"
            body = (
                "<Response><Errors><Error>"
                f"<Code>{escape(self.code)}</Code><Message>{escape(self.message)}</Message>"
                f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
            )
        else:  # rest-xml (S3)
            headers["Content-Type"] = "application/xml"
            headers["x-amz-request-id"] = request_id
            body = (
                "<Error>"
                f"<Code>{escape(self.code)}</Code><Message>{escape(self.message)}</Message>"
                f"<RequestId>{request_id}</RequestId></Error>"
            )
        return AWSResponse(url, self.status, headers, _Raw(body.encode()))


class _Raw:
    """The raw body botocore reads an AWSResponse's content from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


class FaultRegistry:
    """The faults of one local cloud, and the hook that answers them."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def remove(self, fault: Fault) -> None:
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def answer(self, event_name: str, request: AWSPreparedRequest) -> AWSResponse | None:
        with self._lock:
            faults = list(self._faults)
        if not faults:
            return None
        # The local cloud's own calls (lookups, deliveries, IAM evaluation) are not the
        # caller's: a fault on them would fail the emulator, not the code under test.
        # (str() of the header: botocore may hold it as bytes.)
        if INTERNAL_AGENT in str(request.headers.get("User-Agent") or ""):
            return None
        _, service_id, operation = event_name.split(".", 2)
        from localcloud.metering import invoking_function

        caller = invoking_function()
        for fault in faults:
            if fault.decide(service_id, operation, caller):
                return fault.response(request.url)
        return None


def registry(core: Core) -> FaultRegistry:
    """The cloud's fault registry, installing the hook on first use."""
    existing: FaultRegistry | None = core.services.get(SERVICE)
    if existing is not None:
        return existing
    from moto.core.botocore_stubber import BotocoreStubber

    faults = FaultRegistry()
    original = core.hooks.original(BotocoreStubber, "__call__")

    def call(
        self: BotocoreStubber, event_name: str, request: AWSPreparedRequest, **kwargs: Any
    ) -> AWSResponse | None:
        if self.enabled:
            answer = faults.answer(event_name, request)
            if answer is not None:
                return answer
        result: AWSResponse | None = original(self, event_name, request, **kwargs)
        return result

    core.hooks.replace(BotocoreStubber, "__call__", call)
    core.services[SERVICE] = faults
    core.on_stop.append(faults.clear)
    core.on_stop.append(lambda: core.services.pop(SERVICE, None))
    return faults


def inject(
    core: Core,
    service: str,
    operation: str,
    *,
    code: str,
    status: int,
    message: str | None,
    count: int | None,
    share: float | None,
    callers: frozenset[str] | None,
) -> Fault:
    model = botocore.session.get_session().get_service_model(service)
    if operation not in model.operation_names:
        raise ValueError(f"{service} has no operation {operation!r}")
    protocol = model.resolved_protocol
    if protocol not in _PROTOCOLS:
        raise NotImplementedError(f"faults are not answered in {service}'s protocol {protocol}")
    if count is not None and count < 0:
        raise ValueError("count is a number of calls, at least 0")
    if share is not None and not 0 < share <= 1:
        raise ValueError("share is the fraction of calls that fail, in (0, 1]")
    fault = Fault(
        service,
        operation,
        code,
        status,
        message or f"Injected fault: {code}",
        protocol,
        model.service_id.hyphenize(),
        count,
        share,
        callers,
    )
    faults = registry(core)
    fault._registry = faults
    faults.add(fault)
    return fault
