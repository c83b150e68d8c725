"""The bearer-token client (steward_bearer_token, and steward_common.bearer_token in the layer):
cached reads, one refresh on a 401, no token in its repr."""

from __future__ import annotations

import json

import boto3
import pytest
import requests

import steward_bearer_token
from fakes.x_provider import FakeXProvider
from steward_bearer_token import BearerToken, BearerTokenError
from steward_common import aws
from steward_common import bearer_token as layer_module
from steward_common.errors import InvalidInputError
from tests.support.x_apps import APP_A


def test_a_401_refreshes_the_cached_token_once_and_retries(
    aws_env: None, provider: FakeXProvider
) -> None:
    sm = boto3.client("secretsmanager")
    session = requests.Session()
    old = session.post(
        provider.token_url,
        auth=(APP_A["consumer_key"], APP_A["consumer_secret"]),
        data={"grant_type": "client_credentials"},
        timeout=5,
    ).json()["access_token"]
    arn = sm.create_secret(Name="x/bearer", SecretString=json.dumps({"access_token": old}))["ARN"]
    helper = BearerToken(arn, max_age=3600, secrets_client=sm)
    assert helper.request(session, "GET", provider.api_url, timeout=5).status_code == 200

    # Rotated elsewhere: the cached token is dead, the secret holds the new one.
    provider.set_live_token(APP_A["consumer_key"], "AAAA-new-token")
    sm.put_secret_value(SecretId=arn, SecretString=json.dumps({"access_token": "AAAA-new-token"}))
    answer = helper.request(session, "GET", provider.api_url, timeout=5)
    assert answer.status_code == 200
    assert provider.auth_failures == 1  # the one stale request, then the refreshed retry
    assert helper.token() == "AAAA-new-token"
    assert "AAAA" not in repr(helper)


def test_a_dead_token_in_the_secret_is_retried_only_once(
    aws_env: None, provider: FakeXProvider
) -> None:
    sm = boto3.client("secretsmanager")
    arn = sm.create_secret(Name="x/dead", SecretString=json.dumps({"access_token": "AAAA-dead"}))[
        "ARN"
    ]
    answer = BearerToken(arn, secrets_client=sm).request(
        requests.Session(), "GET", provider.api_url, timeout=5
    )
    assert answer.status_code == 401
    assert provider.auth_failures == 2


def test_a_secret_without_a_token_is_an_error_that_shows_no_value(aws_env: None) -> None:
    sm = boto3.client("secretsmanager")
    sm.create_secret(Name="x/empty", SecretString=json.dumps({"token_type": "bearer"}))
    with pytest.raises(BearerTokenError, match="x/empty has no access_token") as caught:
        BearerToken("x/empty", secrets_client=sm).headers()
    assert isinstance(caught.value, ValueError)


def test_the_layer_module_keeps_stewards_client_and_error(aws_env: None) -> None:
    """Applications that attach the layer import steward_common.bearer_token, as before."""
    sm = aws.client("secretsmanager")
    sm.create_secret(Name="x/bearer", SecretString=json.dumps({"access_token": "AAAA-token"}))
    sm.create_secret(Name="x/empty", SecretString=json.dumps({"token_type": "bearer"}))
    helper = layer_module.BearerToken("x/bearer")
    assert isinstance(helper, steward_bearer_token.BearerToken)
    assert helper._provider.client is aws.client("secretsmanager")  # Steward's cached client
    assert helper.headers() == {"Authorization": "Bearer AAAA-token"}
    assert "AAAA" not in repr(helper)

    with pytest.raises(InvalidInputError, match="x/empty has no access_token") as caught:
        layer_module.BearerToken("x/empty").headers()
    assert isinstance(caught.value, steward_bearer_token.BearerTokenError)
    assert isinstance(caught.value, layer_module.BearerTokenError)
    assert isinstance(caught.value, ValueError)
