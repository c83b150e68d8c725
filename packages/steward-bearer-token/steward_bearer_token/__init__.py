"""Reading a rotated bearer token in an application: cached, refreshed once on a 401.

    import requests
    from steward_bearer_token import BearerToken

    x_token = BearerToken("steward/x/bearer-token")      # secret name or ARN
    response = x_token.request(requests.Session(), "GET",
                               "https://api.x.com/2/tweets/search/recent", params={"query": "aws"})

The token is the `access_token` of the secret's AWSCURRENT version (a JSON object), read through
Powertools Parameters and cached for `max_age` seconds. A 401 means the token was rotated since
it was cached: `request` fetches the secret again and retries once. A secret without an
`access_token` raises `BearerTokenError` (a `ValueError`). The token is never logged, never in
an error message and never in a repr.

Without `secrets_client`, the Secrets Manager client is made from the environment like any
boto3 client (credentials, `AWS_REGION` or `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`), with
adaptive retries for throttling.

This package depends on Powertools and boto3 only; it is the same code the Steward layer
provides as `steward_common.bearer_token`.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import boto3
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.config import Config

__all__ = ["RETRY_CONFIG", "BearerToken", "BearerTokenError", "__version__"]
__version__ = "0.1.0"

logger = logging.getLogger(__name__)

# Adaptive mode retries throttling errors (ThrottlingException, 429s) with exponential backoff
# and a client-side rate limiter shared by the client's calls (as Steward's own clients do).
RETRY_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    user_agent_extra=f"steward-bearer-token/{__version__}",
    connect_timeout=5,
    read_timeout=60,
)


class BearerTokenError(ValueError):
    """The secret holds no usable bearer token (it is not a JSON object with an access_token)."""


def _secrets_client() -> Any:
    """A Secrets Manager client for the environment's region and endpoint, with RETRY_CONFIG."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return boto3.session.Session().client(
        "secretsmanager",
        region_name=region,
        config=RETRY_CONFIG,
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
    )


class BearerToken:
    """The bearer token in Secrets Manager secret `secret_id` (a name or an ARN)."""

    def __init__(self, secret_id: str, max_age: int = 300, secrets_client: Any = None) -> None:
        self.secret_id = secret_id
        self.max_age = max_age
        self._provider = SecretsProvider(boto3_client=secrets_client or _secrets_client())
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BearerToken({self.secret_id!r})"

    def token(self, refresh: bool = False) -> str:
        """The current bearer token; `refresh=True` bypasses the cache."""
        with self._lock:
            value = self._provider.get(
                self.secret_id, max_age=self.max_age, transform="json", force_fetch=refresh
            )
        if not isinstance(value, dict) or not value.get("access_token"):
            raise BearerTokenError(f"secret {self.secret_id} has no access_token")
        return str(value["access_token"])

    def headers(self, refresh: bool = False) -> dict[str, str]:
        """`{"Authorization": "Bearer <token>"}`, to merge into a request's headers."""
        return {"Authorization": f"Bearer {self.token(refresh)}"}

    def request(self, session: Any, method: str, url: str, **kwargs: Any) -> Any:
        """`session.request(method, url, headers=..., **kwargs)` with the bearer token; on a
        401, refresh the token and retry once. `session` is a requests.Session or any object
        with that `request` method whose response has a `status_code`."""
        extra = kwargs.pop("headers", None) or {}
        response = session.request(method, url, headers={**extra, **self.headers()}, **kwargs)
        if response.status_code == 401:
            logger.info(
                "bearer token for %s refused (401): refreshing it and retrying once", self.secret_id
            )
            response = session.request(
                method, url, headers={**extra, **self.headers(refresh=True)}, **kwargs
            )
        return response
