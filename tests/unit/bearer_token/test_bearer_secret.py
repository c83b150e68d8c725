"""The bearer-token secret's shape: single-app or alternating, and malformed ones refused."""

from __future__ import annotations

import json

import pytest

from bearer_token.steps import BearerSecret, MalformedSecretError
from bearer_token.x_oauth import ApiKey

A = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app-a"
B = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app-b"


def test_single_app_secret_round_trips() -> None:
    secret = BearerSecret.parse(
        json.dumps({"access_token": "t", "token_type": "bearer", "masterarn": A}), "x"
    )
    assert (secret.alternating, secret.active_masterarn) == (False, A)
    assert json.loads(secret.dumps()) == {
        "access_token": "t",
        "token_type": "bearer",
        "masterarn": A,
    }


def test_alternating_secret_defaults_to_the_first_app_and_round_trips() -> None:
    secret = BearerSecret.parse(json.dumps({"access_token": "", "masterarns": [A, B]}), "x")
    assert secret.alternating and secret.active_masterarn == A
    moved = secret.with_token("new", "bearer", B)
    assert json.loads(moved.dumps()) == {
        "access_token": "new",
        "token_type": "bearer",
        "masterarns": [A, B],
        "active_masterarn": B,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "is not JSON"),
        ("[1, 2]", "is not a JSON object"),
        ('{"access_token": "t"}', "neither masterarn nor masterarns"),
        (json.dumps({"masterarns": [A]}), "two different"),
        (json.dumps({"masterarns": [A, A]}), "two different"),
        (json.dumps({"masterarns": [A, B], "active_masterarn": "other"}), "not one of masterarns"),
        (json.dumps({"masterarn": A, "access_token": 5}), "access_token is not a string"),
    ],
)
def test_malformed_bearer_secrets_are_refused_without_showing_values(
    text: str, message: str
) -> None:
    with pytest.raises(MalformedSecretError, match=message) as raised:
        BearerSecret.parse(text, "the AWSCURRENT bearer-token secret")
    assert "AWSCURRENT" in str(raised.value)


def test_reprs_never_show_tokens_or_keys() -> None:
    secret = BearerSecret("super-secret-token", "bearer", (A,), A)
    key = ApiKey("ck-value", "cs-value", "at-value", "ats-value")
    for shown in (repr(secret), str(secret), repr(key), str(key)):
        for value in ("super-secret-token", "ck-value", "cs-value", "at-value", "ats-value"):
            assert value not in shown
