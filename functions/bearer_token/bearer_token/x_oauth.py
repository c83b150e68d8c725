"""X (Twitter) OAuth2 app-only bearer tokens: mint, invalidate, verify.

X allows one outstanding bearer token per app: `POST oauth2/token` returns the live token if
there is one and mints a new one only after `POST oauth2/invalidate_token` killed it. Current
X documentation requires OAuth 1.0a user context for invalidation; HTTP Basic with the
consumer key and secret remains selectable for older setups.

Token values never appear in logs, exceptions or return values other than the token itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeGuard
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase, HTTPBasicAuth
from requests_oauthlib import OAuth1
from urllib3.util.retry import Retry

from steward_common.errors import ConfigurationError, StewardError, TransientError
from steward_common.settings import env_int, env_str

InvalidateAuth = Literal["oauth1", "basic"]
_TIMEOUT = (3.05, 10)
X_RATE_LIMITED = 99  # X's error code for "Unable to verify your credentials" on token minting


class ProviderError(StewardError):
    """The provider refused a request (status and X error code, never a token)."""


class ProviderRateLimitedError(TransientError):
    """X answered 403 with error code 99: minting is rate limited; retry later."""


def _is_invalidate_auth(value: str) -> TypeGuard[InvalidateAuth]:
    return value in ("oauth1", "basic")


def _url(name: str, default: str) -> str:
    """An absolute http(s) URL from the environment; a malformed one is a configuration error
    found before any request (its value is not shown: a URL may carry credentials)."""
    value = env_str(name, default)
    try:
        parts = urlsplit(value)
        well_formed = parts.scheme in ("https", "http") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        well_formed = False
    if not well_formed:
        raise ConfigurationError(f"{name} is not an absolute http(s) URL with a host")
    return value


@dataclass(frozen=True)
class ProviderSettings:
    token_url: str
    invalidate_url: str
    verify_url: str
    invalidate_auth: InvalidateAuth
    retries: int
    backoff_seconds: float

    @classmethod
    def from_env(cls) -> ProviderSettings:
        auth = env_str("INVALIDATE_AUTH", "oauth1")
        if not _is_invalidate_auth(auth):
            raise ConfigurationError(f"INVALIDATE_AUTH={auth!r} is not oauth1 or basic")
        return cls(
            token_url=_url("TOKEN_URL", "https://api.x.com/oauth2/token"),
            invalidate_url=_url("INVALIDATE_URL", "https://api.x.com/oauth2/invalidate_token"),
            verify_url=_url("VERIFY_URL", "https://api.x.com/2/usage/tweets"),
            invalidate_auth=auth,
            retries=env_int("HTTP_RETRIES", 4, minimum=0),
            backoff_seconds=float(env_str("HTTP_BACKOFF_SECONDS", "0.5")),
        )


@dataclass(frozen=True)
class ApiKey:
    """One X app's credentials, from its API-key secret."""

    consumer_key: str
    consumer_secret: str
    access_token: str | None = None
    access_token_secret: str | None = None

    def __repr__(self) -> str:  # never show credentials, even in a traceback
        return "ApiKey(<redacted>)"


def session_with_retries(retries: int, backoff_seconds: float) -> requests.Session:
    """A session that retries 429 and 5xx with exponential backoff, honouring Retry-After.

    POSTs are retried too: minting returns the live token when one exists, and invalidation
    is checked against the provider before it is repeated, so both are safe to repeat.
    """
    retry = Retry(
        total=retries,
        backoff_factor=backoff_seconds,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=None,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


def _error(action: str, response: requests.Response) -> StewardError:
    try:
        errors = response.json().get("errors") or []
        code = errors[0].get("code") if errors else None
        message = errors[0].get("message", "") if errors else response.json().get("title", "")
    except (ValueError, AttributeError):
        code, message = None, ""
    if response.status_code == 403 and code == X_RATE_LIMITED:
        return ProviderRateLimitedError(
            f"{action}: X refused to mint a token (403, error 99: "
            "rate-limited or credentials not verified); retry later"
        )
    detail = f", X error {code}: {message}" if code is not None else ""
    return ProviderError(f"{action}: HTTP {response.status_code}{detail}")


def _basic_auth(key: ApiKey) -> HTTPBasicAuth:
    # X wants the key and secret URL-encoded before they are joined for Basic auth.
    return HTTPBasicAuth(quote(key.consumer_key, safe=""), quote(key.consumer_secret, safe=""))


class XOAuthClient:
    def __init__(self, settings: ProviderSettings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.session = session or session_with_retries(settings.retries, settings.backoff_seconds)

    def mint(self, key: ApiKey) -> tuple[str, str]:
        """The app's live bearer token (minted if it has none): (access_token, token_type)."""
        auth = _basic_auth(key)
        response = self.session.post(
            self.settings.token_url,
            auth=auth,
            data={"grant_type": "client_credentials"},
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
            timeout=_TIMEOUT,
        )
        if response.status_code != 200:
            raise _error("minting a bearer token", response)
        body: dict[str, Any] = response.json()
        if body.get("token_type", "").lower() != "bearer" or not body.get("access_token"):
            raise ProviderError("minting a bearer token: the answer has no bearer token")
        return str(body["access_token"]), "bearer"

    def invalidate(self, key: ApiKey, token: str) -> None:
        """Kill `token`. A token that is already dead counts as invalidated."""
        if self.settings.invalidate_auth == "oauth1":
            if not (key.access_token and key.access_token_secret):
                raise ProviderError(
                    "invalidating with OAuth 1.0a needs access_token and "
                    "access_token_secret in the API-key secret"
                )
            auth: AuthBase = OAuth1(
                key.consumer_key, key.consumer_secret, key.access_token, key.access_token_secret
            )
        else:
            auth = _basic_auth(key)
        response = self.session.post(
            self.settings.invalidate_url, auth=auth, data={"access_token": token}, timeout=_TIMEOUT
        )
        if response.status_code != 200 and self.works(token):
            raise _error("invalidating the bearer token", response)

    def works(self, token: str) -> bool:
        """True if an authenticated call with `token` succeeds, False on 401/403."""
        response = self.session.get(
            self.settings.verify_url, headers={"Authorization": f"Bearer {token}"}, timeout=_TIMEOUT
        )
        if response.status_code in (401, 403):
            return False
        if response.status_code >= 400:
            raise _error("verifying the bearer token", response)
        return True
