"""A fake X (Twitter) OAuth 2.0 app-only ("bearer token") provider on a real local HTTP server.

Used by the tests of the Secrets Manager rotation function for X bearer tokens. It serves
`http://127.0.0.1:<free port>` from a daemon thread (stdlib `ThreadingHTTPServer`) and follows
X's documented semantics:

* ``POST /oauth2/token`` - HTTP Basic auth with ``base64(urlencode(key) ":" urlencode(secret))``
  and the form body ``grant_type=client_credentials``. X keeps ONE outstanding bearer token per
  app: while the app has a live token every call returns that same token; only after it has
  been invalidated does the next call mint a different one.
* ``POST /oauth2/invalidate_token`` - the token to kill in ``access_token`` (form body or query
  string), authenticated with an OAuth 1.0a HMAC-SHA1 user-context signature (consumer
  key/secret plus the app's access token/secret), verified here with oauthlib's server-side
  signature functions. HTTP Basic (consumer key:secret) is only accepted for apps registered
  with ``allow_basic_invalidation=True`` (the older setup X has since withdrawn).
* ``GET /2/usage/tweets`` and ``GET /2/tweets/search/recent`` - protected v2 resources that
  need ``Authorization: Bearer <live token>``; anything else is a v2-style 401.

Test controls: `rate_limit_minting`, `fail_next` (429/5xx injection, Retry-After),
`set_live_token` (someone rotating outside Secrets Manager), plus a record of every request
(method, path, auth kind, status - never a secret value) and a count of bearer 401s.

Secret hygiene: nothing here prints or logs a request, a header or a body; oauthlib's parsing
errors (whose messages quote the body) are swallowed without their text.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from oauthlib.oauth1 import Client as OAuth1Client
from oauthlib.oauth1.rfc5849 import signature as oauth1_signature
from oauthlib.oauth1.rfc5849 import utils as oauth1_utils

AuthKind = Literal["basic", "oauth1", "bearer", "none"]

TOKEN_PATH = "/oauth2/token"
INVALIDATE_PATH = "/oauth2/invalidate_token"
VERIFY_PATH = "/2/usage/tweets"
API_PATH = "/2/tweets/search/recent"
BEARER_PATHS = frozenset({VERIFY_PATH, API_PATH})
ROUTES: dict[str, str] = {
    TOKEN_PATH: "POST",
    INVALIDATE_PATH: "POST",
    VERIFY_PATH: "GET",
    API_PATH: "GET",
}

# Every app-only bearer token X issues starts with a run of "A"s.
TOKEN_PREFIX = "AAAAAAAAAAAAAAAAAAAAA"

FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json; charset=utf-8"
PROBLEM_TYPE = "application/problem+json"

# X v1.1-style error bodies: {"errors": [{"code": ..., "message": ..., "label": ...}]}.
ERR_COULD_NOT_AUTHENTICATE = (32, "Could not authenticate you.", None)
ERR_PAGE_NOT_FOUND = (34, "Sorry, that page does not exist.", None)
ERR_UNABLE_TO_VERIFY = (99, "Unable to verify your credentials", "authenticity_token_error")
ERR_MISSING_GRANT_TYPE = (
    170,
    "Missing required parameter: grant_type",
    "forbidden_missing_parameter",
)
ERR_MISSING_ACCESS_TOKEN = (
    170,
    "Missing required parameter: access_token",
    "forbidden_missing_parameter",
)
# X's own message, typo included.
ERR_NOT_PERMITTED_TO_INVALIDATE = (
    348,
    "Client application is not permitted to to invalidate this token.",
    None,
)
# Codes X uses with injected statuses on its v1.1-style (oauth2/*) endpoints.
INJECTED_CODES: dict[int, tuple[int, str]] = {
    429: (88, "Rate limit exceeded"),
    500: (131, "Internal error"),
    503: (130, "Over capacity"),
}


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake answered. Deliberately holds no credential or token values."""

    method: str
    path: str
    auth: AuthKind
    status: int


@dataclass
class _App:
    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str
    allow_basic_invalidation: bool
    live_token: str | None = None


@dataclass
class _Response:
    status: int
    body: dict[str, Any]
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def _x_error(status: int, error: tuple[int, str, str | None]) -> _Response:
    code, message, label = error
    entry: dict[str, Any] = {"code": code, "message": message}
    if label is not None:
        entry["label"] = label
    return _Response(status, {"errors": [entry]})


def _v2_problem(status: int) -> _Response:
    title = HTTPStatus(status).phrase
    return _Response(
        status,
        {"title": title, "type": "about:blank", "status": status, "detail": title},
        content_type=PROBLEM_TYPE,
    )


def _auth_kind(authorization: str | None) -> AuthKind:
    scheme = (authorization or "").strip().split(" ", 1)[0].lower()
    if scheme == "basic":
        return "basic"
    if scheme == "oauth":
        return "oauth1"
    if scheme == "bearer":
        return "bearer"
    return "none"


def _mint_token() -> str:
    # Shaped like X's: the "A" prefix, then URL-encoded base64 - real tokens carry literal
    # "%2B"/"%2F"/"%3D" sequences, which a client must store and send back byte for byte.
    return (
        f"{TOKEN_PREFIX}{secrets.token_urlsafe(18)}%2B{secrets.token_urlsafe(12)}"
        f"%2F{secrets.token_urlsafe(12)}%3D{secrets.token_urlsafe(30)}"
    )


def _form(headers: dict[str, str], body: str) -> list[tuple[str, str]]:
    """The body's parameters if it is a form (X reads form bodies only), else none."""
    if not headers.get("content-type", "").lower().startswith(FORM):
        return []
    return parse_qsl(body, keep_blank_values=True)


def _basic_credentials(authorization: str) -> tuple[str, str] | None:
    """(consumer key, consumer secret) from `Basic base64(urlencode(key):urlencode(secret))`."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return unquote(key), unquote(secret)


class FakeXProvider:
    """A fake X OAuth 2.0 app-only provider; use as a context manager to run the server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._apps: dict[str, _App] = {}
        self._records: list[RequestRecord] = []
        self._auth_failures = 0
        self._rate_limited = False
        self._failures: dict[str, deque[tuple[int, int | None]]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self.token_url = ""
        self.invalidate_url = ""
        self.verify_url = ""
        self.api_url = ""

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> FakeXProvider:
        if self._server is not None:
            raise RuntimeError("FakeXProvider is already running")
        server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        server.daemon_threads = True
        port = server.server_address[1]
        self._server = server
        self.base_url = f"http://127.0.0.1:{port}"
        self.token_url = self.base_url + TOKEN_PATH
        self.invalidate_url = self.base_url + INVALIDATE_PATH
        self.verify_url = self.base_url + VERIFY_PATH
        self.api_url = self.base_url + API_PATH
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-x-provider-{port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    # ------------------------------------------------------------------ test controls
    def register_app(
        self,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        access_token_secret: str,
        *,
        allow_basic_invalidation: bool = False,
    ) -> None:
        """An X app: its API key/secret and its owner's OAuth 1.0a access token/secret."""
        with self._lock:
            if consumer_key in self._apps:
                raise ValueError("an app with this consumer key is already registered")
            self._apps[consumer_key] = _App(
                consumer_key,
                consumer_secret,
                access_token,
                access_token_secret,
                allow_basic_invalidation,
            )

    def live_token(self, consumer_key: str) -> str | None:
        """The app's current valid bearer token (None when it has none)."""
        with self._lock:
            return self._app(consumer_key).live_token

    def set_live_token(self, consumer_key: str, token: str | None) -> None:
        """Replace the app's live token (someone rotated it outside Secrets Manager).

        The previous token, if any, is dead from now on; None leaves the app with no token.
        """
        with self._lock:
            self._app(consumer_key).live_token = token

    def rate_limit_minting(self, enabled: bool) -> None:
        """While enabled, POST oauth2/token answers 403 with X error code 99."""
        with self._lock:
            self._rate_limited = enabled

    def fail_next(
        self, path: str, status: int, times: int = 1, retry_after: int | None = None
    ) -> None:
        """Answer the next `times` requests to `path` with `status` (before any other check)."""
        if not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (4xx/5xx)")
        if times < 1:
            raise ValueError("times must be at least 1")
        key = _path_of(path)
        with self._lock:
            queue = self._failures.setdefault(key, deque())
            queue.extend([(status, retry_after)] * times)

    @property
    def auth_failures(self) -> int:
        """How many 401s verify_url/api_url answered (bearer token checks)."""
        with self._lock:
            return self._auth_failures

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of every request answered so far, oldest first."""
        with self._lock:
            return list(self._records)

    def counts(self, path: str) -> int:
        """How many requests were made to `path` (a path such as "/oauth2/token", or a URL)."""
        key = _path_of(path)
        with self._lock:
            return sum(1 for record in self._records if record.path == key)

    # ------------------------------------------------------------------ request handling
    def _app(self, consumer_key: str) -> _App:
        app = self._apps.get(consumer_key)
        if app is None:
            raise KeyError("no app registered with that consumer key")
        return app

    def _handle(
        self, method: str, target: str, headers: dict[str, str], body: str, host: str
    ) -> _Response:
        split = urlsplit(target)
        path = split.path
        auth = _auth_kind(headers.get("authorization"))
        with self._lock:
            response = self._dispatch(method, path, split.query, headers, body, host)
            self._records.append(RequestRecord(method, path, auth, response.status))
        return response

    def _dispatch(
        self,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: str,
        host: str,
    ) -> _Response:
        # Injected failures come first, whatever the request.
        queue = self._failures.get(path)
        if queue:
            status, retry_after = queue.popleft()
            return _injected(path, status, retry_after)
        expected = ROUTES.get(path)
        if expected is None:
            return _x_error(404, ERR_PAGE_NOT_FOUND)
        if method != expected:
            response = _x_error(405, ERR_PAGE_NOT_FOUND)
            response.headers["Allow"] = expected
            return response
        if path == TOKEN_PATH:
            return self._token(headers, body)
        if path == INVALIDATE_PATH:
            return self._invalidate(path, query, headers, body, host)
        return self._protected(path, headers)

    def _token(self, headers: dict[str, str], body: str) -> _Response:
        if self._rate_limited:
            return _x_error(403, ERR_UNABLE_TO_VERIFY)
        credentials = _basic_credentials(headers.get("authorization", ""))
        if credentials is None:
            # No (or unreadable) Basic credentials: X cannot tell who is asking.
            return _x_error(403, ERR_UNABLE_TO_VERIFY)
        app = self._apps.get(credentials[0])
        if app is None or not hmac.compare_digest(
            credentials[1].encode(), app.consumer_secret.encode()
        ):
            # As specified for these tests. Beware: live X has been seen answering a wrong
            # key/secret here with 403 code 99 (the same answer as rate limiting below), so a
            # client should not treat 403/99 from oauth2/token as certainly transient.
            return _x_error(401, ERR_COULD_NOT_AUTHENTICATE)
        if dict(_form(headers, body)).get("grant_type") != "client_credentials":
            # X answers a missing or unsupported grant_type alike: 403, code 170.
            return _x_error(403, ERR_MISSING_GRANT_TYPE)
        if app.live_token is None:
            app.live_token = _mint_token()
        # One outstanding bearer token per app: a live one is handed out again, unchanged.
        return _Response(200, {"token_type": "bearer", "access_token": app.live_token})

    def _invalidate(
        self, path: str, query: str, headers: dict[str, str], body: str, host: str
    ) -> _Response:
        authorization = headers.get("authorization", "")
        kind = _auth_kind(authorization)
        app: _App | None = None
        if kind == "oauth1":
            app = self._verify_oauth1(authorization, path, query, headers, body, host)
        elif kind == "basic":
            credentials = _basic_credentials(authorization)
            candidate = self._apps.get(credentials[0]) if credentials else None
            if (
                credentials is not None
                and candidate is not None
                and hmac.compare_digest(credentials[1].encode(), candidate.consumer_secret.encode())
            ):
                if not candidate.allow_basic_invalidation:
                    # Right key/secret, but X now wants OAuth 1.0a user context here; apps
                    # that still use Basic get the 403 X answered once it withdrew it.
                    return _x_error(403, ERR_NOT_PERMITTED_TO_INVALIDATE)
                app = candidate
        if app is None:
            return _x_error(401, ERR_COULD_NOT_AUTHENTICATE)
        params = _form(headers, body) + parse_qsl(query, keep_blank_values=True)
        token = next((value for name, value in params if name == "access_token"), "")
        if not token:
            return _x_error(403, ERR_MISSING_ACCESS_TOKEN)
        live = app.live_token
        if live is None or not _same_token(token, live):
            # Not this app's live token (unknown, already invalidated, or another app's):
            # X refuses with 403 and code 348 rather than answering 200 again, so
            # invalidation is NOT idempotent - a second call for the same token fails. (A
            # choice: X documents only the success case; 348 is the code its clients report
            # for tokens an app may not invalidate, and nothing changes either way.)
            return _x_error(403, ERR_NOT_PERMITTED_TO_INVALIDATE)
        app.live_token = None
        # X echoes the token as it issued it (its "%2F"-style escapes intact).
        return _Response(200, {"access_token": live})

    def _verify_oauth1(
        self,
        authorization: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: str,
        host: str,
    ) -> _App | None:
        """The app whose OAuth 1.0a HMAC-SHA1 signature this request carries, else None.

        Nonce and timestamp are only required to be present (no replay or clock checks).
        """
        try:
            # Header values are percent-encoded (RFC 5849 3.5.1); compare them decoded.
            oauth = {
                name: oauth1_utils.unescape(value)
                for name, value in oauth1_utils.parse_authorization_header(authorization)
            }
            form_body = body if headers.get("content-type", "").lower().startswith(FORM) else None
            params = oauth1_signature.collect_parameters(
                uri_query=query,
                body=form_body,
                headers={"Authorization": authorization},
            )
            # types-oauthlib declares dict[str, str], but normalize_parameters iterates (name,
            # value) pairs: the list collect_parameters returns (a dict would not even work).
            normalized = oauth1_signature.normalize_parameters(params)  # type: ignore[arg-type]
            uri = oauth1_signature.base_string_uri(f"http://{host}{path}")
        except (ValueError, TypeError):
            return None
        app = self._apps.get(oauth.get("oauth_consumer_key", ""))
        if app is None:
            return None
        if oauth.get("oauth_signature_method") != "HMAC-SHA1":
            return None
        if oauth.get("oauth_version", "1.0") != "1.0":
            return None
        if not oauth.get("oauth_nonce") or not oauth.get("oauth_timestamp", "").isdigit():
            return None
        if not hmac.compare_digest(
            oauth.get("oauth_token", "").encode(), app.access_token.encode()
        ):
            return None
        base_string = oauth1_signature.signature_base_string("POST", uri, normalized)
        signer = OAuth1Client(
            app.consumer_key,
            client_secret=app.consumer_secret,
            resource_owner_key=app.access_token,
            resource_owner_secret=app.access_token_secret,
        )
        expected = oauth1_signature.sign_hmac_sha1_with_client(base_string, signer)
        if not hmac.compare_digest(expected.encode(), oauth.get("oauth_signature", "").encode()):
            return None
        return app

    def _protected(self, path: str, headers: dict[str, str]) -> _Response:
        scheme, _, token = headers.get("authorization", "").strip().partition(" ")
        token = token.strip()
        live = [app.live_token for app in self._apps.values() if app.live_token is not None]
        if (
            scheme.lower() != "bearer"
            or not token
            or not any(
                hmac.compare_digest(token.encode(), candidate.encode()) for candidate in live
            )
        ):
            self._auth_failures += 1
            return _v2_problem(401)
        if path == VERIFY_PATH:
            body: dict[str, Any] = {
                "data": {
                    "cap_reset_day": 1,
                    "project_cap": "10000",
                    "project_id": "1",
                    "project_usage": "0",
                }
            }
        else:
            body = {"data": [], "meta": {"result_count": 0}}
        return _Response(200, body)


def _same_token(sent: str, live: str) -> bool:
    """Whether an invalidation names the live token.

    Tokens are issued with literal "%2B"-style escapes. Sent properly form-encoded they arrive
    intact; X's own docs paste them raw into the body/query, where they decode once more - X
    accepts both, so compare after one more unquote too. (Bearer headers compare exactly.)
    """
    return hmac.compare_digest(sent.encode(), live.encode()) or hmac.compare_digest(
        unquote(sent).encode(), unquote(live).encode()
    )


def _path_of(path_or_url: str) -> str:
    return urlsplit(path_or_url).path or "/"


def _injected(path: str, status: int, retry_after: int | None) -> _Response:
    if path.startswith("/2/"):
        response = _v2_problem(status)
    else:
        code, message = INJECTED_CODES.get(status, (0, HTTPStatus(status).phrase))
        response = _x_error(status, (code, message, None))
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
        response.headers["x-rate-limit-reset"] = str(int(time.time()) + retry_after)
    if status == 429:
        response.headers["x-rate-limit-remaining"] = "0"
    return response


def _make_handler(provider: FakeXProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FakeX/1.0"
        sys_version = ""

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length > 0 else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            host = self.headers.get("Host") or urlsplit(provider.base_url).netloc
            response = provider._handle(
                self.command, self.path, headers, raw.decode("utf-8", "replace"), host
            )
            payload = json.dumps(response.body).encode("utf-8")
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: request lines may carry tokens in their query strings."""

    return Handler
