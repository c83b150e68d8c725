"""The local cloud served over HTTP on loopback, for the aws CLI and any SDK (`steward local up`).

moto's server answers the requests with the same backends the local cloud runs on, so what a
CLI call changes, Steward's functions and state machines see, and the other way round. Their
own calls are evaluated against their roles as everywhere in the local cloud. Requests that
arrive over HTTP are evaluated only when signed with the administrator's credentials (the
`testing` key the server prints), which need no evaluation: the server does not parse HTTP
requests back into API parameters, so a request signed with an IAM user's key or a role
session's is refused with `IamNotEvaluatedOverHttp` (and let through with `iam="warn"`)
rather than answered as if that user had every permission.

Two more layers wrap moto's application:

- `protocol_errors`: an exception no handler caught becomes the common error AWS documents
  ("InternalFailure: The request can't be processed right now because of an internal server
  issue. [...] HTTP Status Code: 500", Common Error Types,
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/CommonErrors.html), in the service's
  protocol (JSON with `__type` for the JSON and REST-JSON services, an XML `ErrorResponse`
  for the others), never werkzeug's HTML page an SDK cannot parse.
- the control endpoint (`/_steward/...`, `localcloud.control`): what `steward local fire`,
  `put-events`, `status` and `down` ask of the running server, answered only for requests
  signed with the administrator's credentials.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from localcloud.services.iam.enforcement import ADMIN_KEYS, Mode

LOG = logging.getLogger("localcloud.server")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
REFUSAL_CODE = "IamNotEvaluatedOverHttp"
INTERNAL_CODE = "InternalFailure"
CONTROL_PREFIX = "/_steward/"
# A control request: (method, the path after CONTROL_PREFIX, body) -> (HTTP status, JSON body).
ControlHandler = Callable[[str, str, bytes], tuple[int, Any]]


def access_key(environ: dict[str, Any]) -> str | None:
    """The access key id a request is signed with (SigV4 header or presigned query)."""
    found = _CREDENTIAL.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    if found:
        return found.group(1)
    query = parse_qs(str(environ.get("QUERY_STRING", "")))
    credential = (query.get("X-Amz-Credential") or [""])[0]
    return credential.split("/", 1)[0] or None


def _json_protocol(environ: dict[str, Any]) -> bool:
    """Whether the service answers in JSON: the JSON protocol (`X-Amz-Target`,
    `application/x-amz-json-*`) and the REST-JSON services (Lambda's `/2015-03-31/` paths)."""
    content_type = str(environ.get("CONTENT_TYPE", ""))
    return (
        "json" in content_type
        or "HTTP_X_AMZ_TARGET" in environ
        or str(environ.get("PATH_INFO", "")).startswith("/2015-03-31/")
    )


def _error(
    start_response: Callable[..., Any],
    environ: dict[str, Any],
    status: str,
    code: str,
    message: str,
    sender: bool,
) -> list[bytes]:
    """An AWS error response in the request's protocol."""
    if _json_protocol(environ):
        body = json.dumps({"__type": code, "message": message}).encode()
        content_type = "application/x-amz-json-1.0"
    else:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<ErrorResponse><Error><Type>{'Sender' if sender else 'Receiver'}</Type>"
            f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
            "</ErrorResponse>"
        ).encode()
        content_type = "text/xml"
    start_response(
        status,
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("x-amzn-ErrorType", code),
        ],
    )
    return [body]


def protocol_errors(app: WsgiApp) -> WsgiApp:
    """`app`, with an exception it raised answered as AWS's `InternalFailure` (a 500 in the
    service's protocol) and logged with its traceback, rather than as an HTML page."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return app(environ, start_response)
        except Exception as exc:  # any failure is the server's, answered as AWS's
            LOG.exception("%s %s failed", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            message = f"The local cloud failed to answer: {type(exc).__name__}: {exc}"
            return _error(
                start_response,
                environ,
                "500 Internal Server Error",
                INTERNAL_CODE,
                message,
                sender=False,
            )

    return guarded


def control_endpoint(app: WsgiApp, handler: ControlHandler) -> WsgiApp:
    """`app`, with `/_steward/...` answered by `handler` for the administrator's requests."""

    def routed(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if not path.startswith(CONTROL_PREFIX):
            return app(environ, start_response)
        if access_key(environ) not in ADMIN_KEYS:
            body = json.dumps(
                {
                    "error": "the control endpoint answers requests signed with AWS_ACCESS_KEY_ID=testing"
                }
            ).encode()
            status = "403 Forbidden"
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            data = environ["wsgi.input"].read(length) if length else b""
            code, answer = handler(
                str(environ.get("REQUEST_METHOD", "GET")), path[len(CONTROL_PREFIX) :], data
            )
            body = json.dumps(answer, default=str).encode()
            status = f"{code} {HTTPStatus(code).phrase}"
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return routed


def iam_gate(app: WsgiApp, mode: Mode) -> WsgiApp:
    """`app`, refusing requests it cannot evaluate as their signer (see the module's doc)."""

    def gated(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        key = access_key(environ)
        if mode == "off" or key in ADMIN_KEYS:
            return app(environ, start_response)
        who = f"access key {key}" if key else "an unsigned request"
        message = (
            f"The local cloud evaluates IAM over HTTP only for its administrator's credentials "
            f"(AWS_ACCESS_KEY_ID=testing); {who} would be answered with every permission. "
            f"Sign with the administrator's credentials, or start with --iam warn."
        )
        if mode == "warn":
            LOG.warning("IAM not evaluated over HTTP: %s", message)
            return app(environ, start_response)
        LOG.warning("IAM refused over HTTP: %s", message)
        return _error(start_response, environ, "403 Forbidden", REFUSAL_CODE, message, sender=True)

    return gated


class Server:
    """moto's HTTP server over the running local cloud's backends, behind the IAM gate.

    `bind()` takes the port before anything else starts (so a taken port fails at once, before
    a local cloud is deployed), `start()` serves."""

    def __init__(
        self, host: str, port: int, iam: Mode, control: ControlHandler | None = None
    ) -> None:
        self.host, self.port, self.iam = host, port, iam
        self.control = control
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._wsgi: WsgiApp | None = None

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        assert self._wsgi is not None, "a request before start(): bind() does not serve"
        return self._wsgi(environ, start_response)

    def bind(self) -> None:
        """Listen on the port (OSError if it is taken); requests wait until `start`."""
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        # Bound here rather than by werkzeug, which prints a taken port's error and exits.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listening = socket.socket(family, socket.SOCK_STREAM)
        try:
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug does
            listening.bind((self.host, self.port))
            listening.listen(128)
            self._server = make_server(
                self.host,
                int(listening.getsockname()[1]),
                self._app,
                threaded=True,
                request_handler=MotoRequestHandler,
                fd=listening.fileno(),
            )
        finally:
            listening.close()  # werkzeug serves a duplicate of it
        self.port = int(self._server.server_address[1])

    def start(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        app: WsgiApp = iam_gate(DomainDispatcherApplication(create_backend_app), self.iam)
        if self.control is not None:
            app = control_endpoint(app, self.control)
        self._wsgi = protocol_errors(app)
        if self._server is None:
            self.bind()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
