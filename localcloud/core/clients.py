"""boto3 clients bound to the local cloud, one per service and region, shared by its parts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

# The local cloud's own calls are not retried: a failure is a defect to see, not to ride out.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 1})


class Clients:
    def __init__(self, default_region: Callable[[], str]) -> None:
        self._default_region = default_region
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str, region: str | None = None) -> Any:
        """The client of `service` in `region` (the first stack's region by default)."""
        key = (service, region or self._default_region())
        with self._lock:
            if key not in self._clients:
                self._clients[key] = boto3.client(service, region_name=key[1], config=_CONFIG)
            return self._clients[key]

    def for_arn(self, service: str, arn: str) -> Any:
        """The client of `service` in the region an ARN names."""
        return self(service, region=arn.split(":")[3] or None)
