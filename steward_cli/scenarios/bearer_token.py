"""Demo: Secrets Manager rotates an X bearer token across two apps while a client keeps calling."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypedDict

import requests

from fakes.x_provider import FakeXProvider
from steward_cli.report import Reporter
from steward_cli.scenarios import Scenario, expect


class XApp(TypedDict):
    """One X app's API-key secret, as FakeXProvider.register_app takes it."""

    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str


APPS: tuple[XApp, ...] = (
    {
        "consumer_key": "demo-key-a",
        "consumer_secret": "demo-secret-a",
        "access_token": "demo-at-a",
        "access_token_secret": "demo-ats-a",
    },
    {
        "consumer_key": "demo-key-b",
        "consumer_secret": "demo-secret-b",
        "access_token": "demo-at-b",
        "access_token_secret": "demo-ats-b",
    },
)


def _fingerprint(token: str) -> str:
    """A token's identity without any of its characters: never print a token, even a fake one."""
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:10] if token else "(none)"


def run(cloud: Any, report: Reporter, provider: FakeXProvider) -> None:
    from steward_common.bearer_token import BearerToken

    sm = cloud.client("secretsmanager")
    secret = cloud.physical_id("BearerTokenSecret")
    for logical_id, app in zip(("BearerApiKeySecret", "BearerApiKeySecretB"), APPS, strict=True):
        sm.put_secret_value(SecretId=cloud.physical_id(logical_id), SecretString=json.dumps(app))
    report.step("two X apps' API keys are stored in their API-key secrets (alternating apps)")

    def current() -> dict[str, Any]:
        return dict(json.loads(sm.get_secret_value(SecretId=secret)["SecretString"]))

    def rotate() -> None:
        sm.rotate_secret(SecretId=secret)
        cloud.wait_idle(timeout=60)
        expect(cloud.async_failures == [], f"rotation failed: {cloud.async_failures}")
        value = current()
        app = "A" if value["active_masterarn"] == cloud.physical_id("BearerApiKeySecret") else "B"
        report.detail(f"AWSCURRENT now {_fingerprint(value['access_token'])} from app {app}")

    report.step(
        "first rotation mints the first token (createSecret, setSecret, testSecret, finishSecret)"
    )
    rotate()

    helper = BearerToken(secret, max_age=0, secrets_client=sm)
    stop = threading.Event()
    statuses: list[int] = []

    def client() -> None:
        session = requests.Session()
        while not stop.is_set():
            statuses.append(helper.request(session, "GET", provider.api_url, timeout=5).status_code)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    report.step(
        "an application calls the X API through steward_common.bearer_token during 3 rotations"
    )
    for _ in range(3):
        rotate()
    stop.set()
    thread.join(timeout=30)
    failed = sum(s != 200 for s in statuses)
    report.detail(
        f"{len(statuses)} requests, {failed} failed; provider saw {provider.auth_failures} auth failures"
    )
    expect(bool(statuses) and failed == 0, f"{failed} client requests failed during rotation")


@contextmanager
def fake_x() -> Iterator[tuple[dict[str, str], FakeXProvider]]:
    """The fake X provider on loopback, and the parameters that point the function at it."""
    with FakeXProvider() as provider:
        for app in APPS:
            provider.register_app(**app)
        yield (
            {
                "BearerTokenUrl": provider.token_url,
                "BearerInvalidateUrl": provider.invalidate_url,
                "BearerVerifyUrl": provider.verify_url,
            },
            provider,
        )


SCENARIO = Scenario(
    name="bearer_token",
    title="Bearer-token rotation: two X apps take turns, clients never see a dead token",
    run=run,
    enables=("EnableBearerTokenRotation",),
    parameters={"BearerAlternatingApps": "true"},
    services=fake_x,
    order=20,
)
