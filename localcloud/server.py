"""The local cloud served over HTTP on loopback, for the aws CLI and any SDK (`steward local up`).

moto's server answers the requests with the same backends the local cloud runs on, so what a
CLI call changes, Steward's functions and state machines see, and the other way round. Their
own calls are evaluated against their roles as everywhere in the local cloud. Requests that
arrive over HTTP are evaluated only when signed with the administrator's credentials (the
`testing` key the server prints), which need no evaluation: the server does not parse HTTP
requests back into API parameters, so a request signed with an IAM user's key or a role
session's is refused with `IamNotEvaluatedOverHttp` (and let through with `iam="warn"`)
rather than answered as if that user had every permission.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from localcloud.services.iam.enforcement import ADMIN_KEYS, Mode

LOG = logging.getLogger("localcloud.server")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
REFUSAL_CODE = "IamNotEvaluatedOverHttp"


def access_key(environ: dict[str, Any]) -> str | None:
    """The access key id a request is signed with (SigV4 header or presigned query)."""
    found = _CREDENTIAL.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    if found:
        return found.group(1)
    query = parse_qs(str(environ.get("QUERY_STRING", "")))
    credential = (query.get("X-Amz-Credential") or [""])[0]
    return credential.split("/", 1)[0] or None


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
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{REFUSAL_CODE}</Code>"
            f"<Message>{message}</Message></Error></ErrorResponse>"
        ).encode()
        json_protocol = "x-amz-json" in str(environ.get("CONTENT_TYPE", ""))
        if json_protocol:
            body = (f'{{"__type": "{REFUSAL_CODE}", "message": "{message}"}}').encode()
        start_response(
            "403 Forbidden",
            [
                ("Content-Type", "application/x-amz-json-1.0" if json_protocol else "text/xml"),
                ("Content-Length", str(len(body))),
                ("x-amzn-ErrorType", REFUSAL_CODE),
            ],
        )
        return [body]

    return gated


class Server:
    """moto's HTTP server over the running local cloud's backends, behind the IAM gate."""

    def __init__(self, host: str, port: int, iam: Mode) -> None:
        self.host, self.port, self.iam = host, port, iam
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        app = iam_gate(DomainDispatcherApplication(create_backend_app), self.iam)
        # Made here, not in the serving thread, so a taken port fails the caller at once.
        self._server = make_server(
            self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
