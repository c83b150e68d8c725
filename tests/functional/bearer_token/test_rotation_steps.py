"""BearerTokenRotationFunction step by step, as Secrets Manager drives it, against the fake X."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest

from fakes.x_provider import FakeXProvider
from localcloud import testing
from steward_common.errors import ConfigurationError, InvalidInputError, TransientError
from tests.support.events import load_event
from tests.support.handlers import lambda_context, load_handler
from tests.support.x_apps import make_secrets

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


def begin_rotation(secret_arn: str) -> str:
    """What RotateSecret does before calling the function: a version staged AWSPENDING."""
    token = str(uuid.uuid4())
    testing.begin_rotation(secret_arn, token)
    sm = boto3.client("secretsmanager")
    assert token in sm.describe_secret(SecretId=secret_arn)["VersionIdsToStages"]
    return token


def step(name: str, arn: str, token: str) -> dict[str, str]:
    event = load_event(f"bearer_token/{name}.json") | {"SecretId": arn, "ClientRequestToken": token}
    result: dict[str, str] = load_handler("bearer_token", "rotation").lambda_handler(
        event, lambda_context()
    )
    return result


def current(arn: str) -> dict[str, Any]:
    value = boto3.client("secretsmanager").get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")
    return json.loads(value["SecretString"])


@pytest.fixture
def single(aws_env: None, provider_env: FakeXProvider) -> dict[str, str]:
    return make_secrets(alternating=False)


@pytest.fixture
def alternating(aws_env: None, provider_env: FakeXProvider) -> dict[str, str]:
    return make_secrets(alternating=True)


def rotate(arn: str) -> str:
    token = begin_rotation(arn)
    for name in STEPS:
        step(name, arn, token)
    return token


def test_single_app_rotation_mints_a_working_token_and_kills_the_old_one(
    single: dict[str, str], provider_env: FakeXProvider
) -> None:
    rotate(single["bearer"])
    first = current(single["bearer"])["access_token"]
    assert first == provider_env.live_token("ck-a")
    rotate(single["bearer"])
    second = current(single["bearer"])["access_token"]
    assert second != first
    assert provider_env.live_token("ck-a") == second
    assert current(single["bearer"])["masterarn"] == single["a"]


def test_each_step_re_invoked_after_success_changes_nothing(
    single: dict[str, str], provider_env: FakeXProvider
) -> None:
    rotate(single["bearer"])
    token = begin_rotation(single["bearer"])
    step("createSecret", single["bearer"], token)
    pending_token = provider_env.live_token("ck-a")
    invalidations = provider_env.counts("/oauth2/invalidate_token")
    assert step("createSecret", single["bearer"], token)["outcome"] == "pending-token-already-works"
    assert provider_env.live_token("ck-a") == pending_token  # not invalidated again
    assert provider_env.counts("/oauth2/invalidate_token") == invalidations
    for name in ("setSecret", "testSecret", "finishSecret"):
        step(name, single["bearer"], token)
        step(name, single["bearer"], token)
    assert current(single["bearer"])["access_token"] == pending_token
    assert step("createSecret", single["bearer"], token)["outcome"] == "already-current"


def test_alternating_apps_re_mint_the_standby_app_and_keep_the_previous_token_valid(
    alternating: dict[str, str], provider_env: FakeXProvider
) -> None:
    arn = alternating["bearer"]
    rotate(arn)
    first = current(arn)
    assert first["active_masterarn"] == alternating["b"]
    rotate(arn)
    second = current(arn)
    assert second["active_masterarn"] == alternating["a"]
    assert provider_env.live_token("ck-b") == first["access_token"]  # previous still works
    assert provider_env.live_token("ck-a") == second["access_token"]
    rotate(arn)
    third = current(arn)
    assert third["active_masterarn"] == alternating["b"]
    assert third["access_token"] != first["access_token"]  # re-minted, not reused
    assert provider_env.live_token("ck-a") == second["access_token"]


def test_a_token_rotated_outside_secrets_manager_fails_set_secret_clearly(
    single: dict[str, str], provider_env: FakeXProvider
) -> None:
    token = begin_rotation(single["bearer"])
    step("createSecret", single["bearer"], token)
    provider_env.set_live_token("ck-a", "AAAA-someone-else")
    with pytest.raises(Exception, match="rotated outside Secrets Manager") as raised:
        step("setSecret", single["bearer"], token)
    assert type(raised.value).__name__ == "TokenMismatchError"
    assert "AAAA-someone-else" not in str(raised.value)


def test_a_failing_test_secret_leaves_awscurrent_in_place(
    single: dict[str, str], provider_env: FakeXProvider
) -> None:
    rotate(single["bearer"])
    before = current(single["bearer"])
    token = begin_rotation(single["bearer"])
    step("createSecret", single["bearer"], token)
    step("setSecret", single["bearer"], token)
    provider_env.set_live_token("ck-a", None)  # the pending token dies before it is tested
    with pytest.raises(Exception, match="does not authenticate") as raised:
        step("testSecret", single["bearer"], token)
    assert type(raised.value).__name__ == "TokenVerificationError"
    assert current(single["bearer"]) == before


def test_rate_limited_minting_is_reported_as_such(
    single: dict[str, str], provider_env: FakeXProvider
) -> None:
    provider_env.rate_limit_minting(True)
    token = begin_rotation(single["bearer"])
    with pytest.raises(TransientError, match="error 99"):
        step("createSecret", single["bearer"], token)


def test_a_transient_503_is_retried_with_backoff(
    single: dict[str, str], provider_env: FakeXProvider
) -> None:
    provider_env.fail_next("/oauth2/token", 503, times=2)
    rotate(single["bearer"])
    assert current(single["bearer"])["access_token"] == provider_env.live_token("ck-a")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda arn, token: {"Step": "rotateEverything"}, "invalid Secrets Manager rotation event"),
        (lambda arn, token: {"ClientRequestToken": str(uuid.uuid4())}, "has no stage for rotation"),
    ],
)
def test_bad_events_are_clear_typed_errors(
    single: dict[str, str], change: Any, message: str
) -> None:
    token = begin_rotation(single["bearer"])
    event = {"Step": "createSecret", "SecretId": single["bearer"], "ClientRequestToken": token}
    event |= change(single["bearer"], token)
    with pytest.raises(InvalidInputError, match=message):
        load_handler("bearer_token", "rotation").lambda_handler(event, lambda_context())


def test_rotation_not_enabled_is_refused(single: dict[str, str]) -> None:
    token = begin_rotation(single["bearer"])
    testing.set_rotation_enabled(single["bearer"], False)
    with pytest.raises(InvalidInputError, match="not enabled for rotation"):
        step("createSecret", single["bearer"], token)


def test_a_malformed_api_key_secret_is_refused_without_showing_it(single: dict[str, str]) -> None:
    boto3.client("secretsmanager").put_secret_value(
        SecretId=single["a"], SecretString=json.dumps({"consumer_key": "ck-a-leak"})
    )
    token = begin_rotation(single["bearer"])
    with pytest.raises(InvalidInputError, match="lacks \\['consumer_secret'\\]") as raised:
        step("createSecret", single["bearer"], token)
    assert "ck-a-leak" not in str(raised.value)


def test_no_token_or_key_reaches_the_logs(
    single: dict[str, str],
    provider_env: FakeXProvider,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A service name of its own: a fresh logger, writing to this test's captured stdout.
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", f"log-check-{uuid.uuid4().hex}")
    rotate(single["bearer"])
    rotate(single["bearer"])
    logged = capsys.readouterr().out
    assert "rotation step done" in logged
    secrets = [current(single["bearer"])["access_token"], "cs-a", "ats-a", 'at-a"', 'ck-a"']
    for value in secrets:
        assert value not in logged


def configuration_test(arn: str) -> str:
    """What RotateSecret with RotateImmediately=false hands testSecret: an AWSPENDING version
    holding the current value (tests/localcloud/test_secrets_rotation.py models it)."""
    sm = boto3.client("secretsmanager")
    value = sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"]
    token = begin_rotation(arn)
    sm.put_secret_value(
        SecretId=arn, ClientRequestToken=token, SecretString=value, VersionStages=["AWSPENDING"]
    )
    return token


@pytest.mark.parametrize("secrets", ["single", "alternating"])
def test_the_configuration_test_of_a_fresh_stack_checks_the_api_keys_not_the_provider(
    secrets: str, request: pytest.FixtureRequest, provider_env: FakeXProvider
) -> None:
    made: dict[str, str] = request.getfixturevalue(secrets)
    for key in ("a", "b"):  # as the stack makes them: not filled in yet
        boto3.client("secretsmanager").put_secret_value(
            SecretId=made[key], SecretString=json.dumps({"consumer_key": "", "consumer_secret": ""})
        )
    token = configuration_test(made["bearer"])
    assert step("testSecret", made["bearer"], token)["outcome"] == "configuration-verified"
    assert provider_env.counts("/oauth2/token") == provider_env.counts("/2/usage/tweets") == 0


def test_the_configuration_test_after_a_rotation_verifies_the_current_token(
    single: dict[str, str], provider_env: FakeXProvider
) -> None:
    rotate(single["bearer"])
    token = configuration_test(single["bearer"])
    assert step("testSecret", single["bearer"], token)["outcome"] == "verified"
    provider_env.set_live_token("ck-a", None)  # the current token died
    with pytest.raises(Exception, match="does not authenticate") as raised:
        step("testSecret", single["bearer"], configuration_test(single["bearer"]))
    assert type(raised.value).__name__ == "TokenVerificationError"


def test_the_configuration_test_refuses_an_api_key_secret_that_is_not_json(
    single: dict[str, str],
) -> None:
    boto3.client("secretsmanager").put_secret_value(SecretId=single["a"], SecretString="ck-a-leak")
    token = configuration_test(single["bearer"])
    with pytest.raises(InvalidInputError, match="is not JSON") as raised:
        step("testSecret", single["bearer"], token)
    assert type(raised.value).__name__ == "MalformedSecretError"
    assert "ck-a-leak" not in str(raised.value)


def test_an_api_key_secret_that_cannot_be_read_is_a_configuration_error(
    single: dict[str, str], provider_env: FakeXProvider
) -> None:
    boto3.client("secretsmanager").delete_secret(
        SecretId=single["a"], ForceDeleteWithoutRecovery=True
    )
    for run in (configuration_test, begin_rotation):  # the configuration test, and a rotation
        token = run(single["bearer"])
        name = "testSecret" if run is configuration_test else "createSecret"
        with pytest.raises(ConfigurationError, match="cannot be read: ResourceNotFound") as raised:
            step(name, single["bearer"], token)
        assert type(raised.value).__name__ == "UnreadableApiKeyError"
