"""Bearer-token rotation end to end: Secrets Manager drives the function on the local cloud."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import requests

from fakes.x_provider import FakeXProvider
from localcloud import LocalCloud
from steward_common.bearer_token import BearerToken
from tests.support.x_apps import APP_A, APP_B, bearer_stack


@pytest.fixture
def provider() -> Any:
    with FakeXProvider() as fake:
        fake.register_app(**APP_A)
        fake.register_app(**APP_B)
        yield fake


def start(stack: Any, provider: FakeXProvider, alternating: bool) -> LocalCloud:
    cloud: LocalCloud = bearer_stack(stack, provider, alternating)
    return cloud


def rotate(cloud: LocalCloud) -> None:
    cloud.client("secretsmanager").rotate_secret(SecretId=cloud.physical_id("BearerTokenSecret"))
    cloud.wait_idle(timeout=60)
    assert cloud.async_failures == []


def current_token(cloud: LocalCloud) -> str:
    value = cloud.client("secretsmanager").get_secret_value(
        SecretId=cloud.physical_id("BearerTokenSecret")
    )
    return str(json.loads(value["SecretString"])["access_token"])


class Client(threading.Thread):
    """An application calling the X API through the client helper for the whole rotation."""

    def __init__(self, cloud: LocalCloud, provider: FakeXProvider) -> None:
        super().__init__(daemon=True)
        self.token = BearerToken(
            cloud.physical_id("BearerTokenSecret"),
            max_age=0,
            secrets_client=cloud.client("secretsmanager"),
        )
        self.url = provider.api_url
        self.stop = threading.Event()
        self.statuses: list[int] = []

    def run(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            self.statuses.append(
                self.token.request(session, "GET", self.url, timeout=5).status_code
            )

    def keep_calling_through(self, rotate: Any, cloud: LocalCloud, rotations: int) -> None:
        """Rotate while the client calls, letting it make requests between rotations too."""
        self.start()
        for _ in range(rotations):
            seen = len(self.statuses)
            rotate(cloud)
            deadline = time.monotonic() + 10
            while len(self.statuses) < seen + 3 and time.monotonic() < deadline:
                time.sleep(0.01)
        self.stop.set()
        self.join(timeout=30)


def test_rotate_secret_drives_four_steps_and_the_schedule_rotates_again(
    stack: Any, provider: FakeXProvider
) -> None:
    cloud = start(stack, provider, alternating=False)
    rotate(cloud)
    first = current_token(cloud)
    assert first and first == provider.live_token(APP_A["consumer_key"])
    cloud.fire_schedule("BearerTokenRotationSchedule")
    cloud.wait_idle(timeout=60)
    assert current_token(cloud) not in ("", first)
    assert provider.live_token(APP_A["consumer_key"]) == current_token(cloud)


def test_alternating_apps_rotate_with_zero_failed_client_requests(
    stack: Any, provider: FakeXProvider
) -> None:
    cloud = start(stack, provider, alternating=True)
    rotate(cloud)  # the first token; clients start from here
    client = Client(cloud, provider)
    client.keep_calling_through(rotate, cloud, rotations=3)
    assert len(client.statuses) >= 9, "the client did not call throughout"
    assert set(client.statuses) == {200}
    assert provider.auth_failures == 0


def test_single_app_rotation_has_a_gap_that_clients_see(
    stack: Any, provider: FakeXProvider
) -> None:
    cloud = start(stack, provider, alternating=False)
    rotate(cloud)
    client = Client(cloud, provider)
    client.keep_calling_through(rotate, cloud, rotations=3)
    # Recorded, not required: how many requests failed while the live token was dead.
    failed = sum(status != 200 for status in client.statuses)
    print(f"single-app rotation: {failed} of {len(client.statuses)} client requests failed")
    assert provider.live_token(APP_A["consumer_key"]) == current_token(cloud)


def test_a_failed_test_step_keeps_the_current_token_working(
    stack: Any, provider: FakeXProvider
) -> None:
    cloud = start(stack, provider, alternating=True)
    rotate(cloud)
    before = current_token(cloud)
    # Only testSecret calls the verify endpoint in the alternating strategy: make it fail.
    provider.fail_next("/2/usage/tweets", 500, times=50)
    cloud.client("secretsmanager").rotate_secret(SecretId=cloud.physical_id("BearerTokenSecret"))
    cloud.wait_idle(timeout=120)
    [failure] = cloud.async_failures
    assert failure.what.startswith("rotation testSecret")
    assert failure.error_type == "ProviderError"
    assert current_token(cloud) == before
    answer = requests.get(
        provider.api_url, headers={"Authorization": f"Bearer {before}"}, timeout=5
    )
    assert answer.status_code == 200
