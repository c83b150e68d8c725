"""Bearer-token rotation end to end: Secrets Manager drives the function on the local cloud."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from fakes.x_provider import FakeXProvider
from localcloud import LocalCloud, RotationTestError
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


# ------------------------------------------------------------------ the configuration test
# CloudFormation, RotationSchedule, RotateImmediatelyOnUpdate (false in the template): "If you
# don't immediately rotate the secret, Secrets Manager tests the rotation configuration by
# running the testSecret step of the Lambda rotation function." So every fresh stack runs it.


def stages(cloud: LocalCloud, logical_id: str = "BearerTokenSecret") -> list[list[str]]:
    versions = cloud.client("secretsmanager").describe_secret(
        SecretId=cloud.physical_id(logical_id)
    )["VersionIdsToStages"]
    return sorted(sorted(s) for s in versions.values() if s)


@pytest.mark.parametrize("alternating", [False, True])
def test_a_fresh_stack_passes_the_rotation_configuration_test(
    stack: Any, provider: FakeXProvider, alternating: bool
) -> None:
    cloud = start(stack, provider, alternating)
    logged = [
        json.loads(line)
        for line in cloud.function_log("BearerTokenRotationFunction")
        if line.startswith("{")
    ]
    [done] = [entry for entry in logged if entry.get("message") == "rotation step done"]
    assert (done["step"], done["outcome"]) == ("testSecret", "configuration-verified")
    assert stages(cloud) == [["AWSCURRENT"]]  # the test's AWSPENDING version is gone
    assert current_token(cloud) == ""  # nothing rotated yet
    assert provider.counts("/oauth2/token") == 0  # nor minted: the keys may be empty still
    rotate(cloud)  # and the first rotation then works
    assert current_token(cloud) == provider.live_token(
        APP_A["consumer_key"] if not alternating else APP_B["consumer_key"]
    )


def test_a_malformed_token_url_fails_the_deploy_with_a_typed_error(
    stack: Any, provider: FakeXProvider
) -> None:
    with pytest.raises(RotationTestError) as raised:
        stack(
            "EnableBearerTokenRotation",
            BearerTokenUrl="api.x.com/oauth2/token",  # no scheme
            BearerInvalidateUrl=provider.invalidate_url,
            BearerVerifyUrl=provider.verify_url,
        )
    assert raised.value.resource == "BearerTokenRotationSchedule"
    assert raised.value.error_type == "ConfigurationError"
    assert "TOKEN_URL is not an absolute http(s) URL" in raised.value.error_message
    assert "api.x.com/oauth2/token" not in str(raised.value)  # a URL may carry credentials


@pytest.mark.parametrize(
    ("break_it", "code"),
    [
        # The API-key secret is gone.
        (
            lambda cloud, sm: sm.delete_secret(
                SecretId=cloud.physical_id("BearerApiKeySecret"), ForceDeleteWithoutRecovery=True
            ),
            "ResourceNotFoundException",
        ),
        # The bearer secret names an API-key secret the function may not read.
        (
            lambda cloud, sm: sm.put_secret_value(
                SecretId=cloud.physical_id("BearerTokenSecret"),
                SecretString=json.dumps(
                    {
                        "access_token": "",
                        "token_type": "bearer",
                        "masterarn": sm.create_secret(Name="elsewhere", SecretString="{}")["ARN"],
                    }
                ),
            ),
            "AccessDeniedException",
        ),
    ],
)
def test_an_unreadable_api_key_secret_fails_the_configuration_test_and_changes_nothing(
    stack: Any, provider: FakeXProvider, break_it: Any, code: str
) -> None:
    cloud = start(stack, provider, alternating=False)
    sm = cloud.client("secretsmanager")
    break_it(cloud, sm)
    secret = cloud.physical_id("BearerTokenSecret")
    before = (stages(cloud), sm.get_secret_value(SecretId=secret)["SecretString"])
    with pytest.raises(ClientError) as raised:
        sm.rotate_secret(SecretId=secret, RotateImmediately=False)
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidRequestException"
    assert "testSecret step failed with UnreadableApiKeyError" in error["Message"]
    assert f"cannot be read: {code}" in error["Message"]
    assert (stages(cloud), sm.get_secret_value(SecretId=secret)["SecretString"]) == before
    assert sm.describe_secret(SecretId=secret)["RotationEnabled"] is True  # as it was
    assert cloud.async_failures == []
