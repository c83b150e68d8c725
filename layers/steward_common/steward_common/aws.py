"""boto3 clients from one cached factory, so warm starts (and test fixtures) reuse them."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

# Adaptive mode retries throttling errors (ThrottlingException, RequestLimitExceeded, 429s)
# with exponential backoff and a client-side rate limiter shared by the client's calls.
RETRY_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    user_agent_extra="steward/0.1",
    connect_timeout=5,
    read_timeout=60,
)


@lru_cache(maxsize=64)
def _cached(
    service: str,
    region: str | None,
    endpoint: str | None,
    identity: str | None,
    pool: int | None,
) -> Any:
    # `identity` (the access key id) is part of the key: a client signs with the credentials
    # it was made with, so one identity's client never serves another's calls.
    # `service` is any service name, which the typed overloads cannot express.
    config = RETRY_CONFIG if pool is None else RETRY_CONFIG.merge(Config(max_pool_connections=pool))
    return boto3.session.Session().client(  # type: ignore[call-overload]
        service, region_name=region, config=config, endpoint_url=endpoint
    )


def client(
    service: str, region: str | None = None, *, max_pool_connections: int | None = None
) -> Any:
    """A boto3 client for `service` in `region` (the function's own region by default);
    `max_pool_connections` for a client that many threads share (botocore's default is 10)."""
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return _cached(
        service,
        region,
        os.environ.get("AWS_ENDPOINT_URL"),
        os.environ.get("AWS_ACCESS_KEY_ID"),
        max_pool_connections,
    )


def clear_clients() -> None:
    """Forget cached clients (tests that switch credentials or endpoints call this)."""
    _cached.cache_clear()
