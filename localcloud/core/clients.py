"""boto3 clients bound to the local cloud, one per service and region, shared by its parts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from localcloud.core.calls import INTERNAL_AGENT
from localcloud.errors import LocalCloudStoppedError

# The local cloud's own calls are not retried: a failure is a defect to see, not to ride out.
# They are marked, so metering counts what functions call, not the local cloud's lookups.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 1}, user_agent_extra=INTERNAL_AGENT)


def _client(service: str, **options: Any) -> Any:
    """boto3.client(service, ...) for a service named at run time. (boto3-stubs overloads
    boto3.client once per literal service name, with no overload for a plain str.)"""
    make: Callable[..., Any] = boto3.client
    return make(service, **options)


def refuse_once_stopped(stopped: threading.Event) -> Callable[..., None]:
    """A botocore `before-send` handler that refuses every request once `stopped` is set.

    While the local cloud runs, moto's own before-send handler answers first and this one is
    never reached; once moto's mock has stopped, a request from work still running (an
    asynchronous invocation, a poller) would go to the real AWS endpoint instead."""

    def refuse(**_: Any) -> None:
        if stopped.is_set():
            raise LocalCloudStoppedError("the local cloud has stopped; the call was not sent")

    return refuse


class Clients:
    def __init__(self, default_region: Callable[[], str]) -> None:
        self._default_region = default_region
        self._clients: dict[tuple[str, str], Any] = {}
        self._credentials: dict[tuple[str, str], dict[str, str]] = {}
        self._role_clients: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()
        self.stopped = threading.Event()
        self._refuse = refuse_once_stopped(self.stopped)

    def _guarded(self, client: Any) -> Any:
        client.meta.events.register("before-send", self._refuse)
        return client

    def close(self) -> None:
        """From now on every client made here refuses to send (the local cloud is stopping)."""
        self.stopped.set()

    def __call__(self, service: str, region: str | None = None) -> Any:
        """The client of `service` in `region` (the first stack's region by default)."""
        key = (service, region or self._default_region())
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._guarded(
                    _client(service, region_name=key[1], config=_CONFIG)
                )
            return self._clients[key]

    def role_credentials(self, role_arn: str, session_name: str, region: str) -> dict[str, str]:
        """Temporary credentials of a role (STS AssumeRole, as a service assumes it), one
        session per (role, session name)."""
        key = (role_arn, session_name)
        with self._lock:
            cached = self._credentials.get(key)
        if cached is None:
            cached = self("sts", region).assume_role(
                RoleArn=role_arn, RoleSessionName=session_name[:64]
            )["Credentials"]
            with self._lock:
                self._credentials.setdefault(key, cached)
        return cached

    def as_role(
        self,
        role_arn: str,
        session_name: str,
        service: str,
        region: str,
        config: Config | None = None,
        endpoint_url: str | None = None,
    ) -> Any:
        """A client of `service` signing with that role session's credentials."""
        key = (role_arn, session_name, service, region, id(config), endpoint_url)
        with self._lock:
            client = self._role_clients.get(key)
        if client is None:
            credentials = self.role_credentials(role_arn, session_name, region)
            client = self._guarded(
                _client(
                    service,
                    region_name=region,
                    aws_access_key_id=credentials["AccessKeyId"],
                    aws_secret_access_key=credentials["SecretAccessKey"],
                    aws_session_token=credentials["SessionToken"],
                    config=config,
                    endpoint_url=endpoint_url,
                )
            )
            with self._lock:
                client = self._role_clients.setdefault(key, client)
        return client

    def for_arn(self, service: str, arn: str) -> Any:
        """The client of `service` in the region an ARN names."""
        return self(service, region=arn.split(":")[3] or None)
