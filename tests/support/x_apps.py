"""The two X apps of the bearer-token tests, and their secrets as the stack makes them."""

from __future__ import annotations

import json
from typing import Any

import boto3

APP_A = {
    "consumer_key": "ck-a",
    "consumer_secret": "cs-a",
    "access_token": "at-a",
    "access_token_secret": "ats-a",
}
APP_B = {
    "consumer_key": "ck-b",
    "consumer_secret": "cs-b",
    "access_token": "at-b",
    "access_token_secret": "ats-b",
}


def make_secrets(alternating: bool) -> dict[str, str]:
    """API-key secret(s) and a bearer-token secret with rotation enabled, as the stack makes them."""
    sm = boto3.client("secretsmanager")
    a = sm.create_secret(Name="x/app-a", SecretString=json.dumps(APP_A))["ARN"]
    b = sm.create_secret(Name="x/app-b", SecretString=json.dumps(APP_B))["ARN"]
    body: dict[str, Any] = {"access_token": "", "token_type": "bearer"}
    body |= {"masterarns": [a, b], "active_masterarn": a} if alternating else {"masterarn": a}
    bearer = sm.create_secret(Name="x/bearer", SecretString=json.dumps(body))["ARN"]
    return {"a": a, "b": b, "bearer": bearer}


def bearer_stack(stacks: Any, provider: Any, alternating: bool = False) -> Any:
    """The bearer-token rotation alone on the local cloud, pointed at the fake X provider,
    with its API-key secret(s) filled in as an operator would."""
    cloud = stacks(
        "EnableBearerTokenRotation",
        BearerAlternatingApps=str(alternating).lower(),
        BearerTokenUrl=provider.token_url,
        BearerInvalidateUrl=provider.invalidate_url,
        BearerVerifyUrl=provider.verify_url,
    )
    sm = cloud.client("secretsmanager")
    sm.put_secret_value(
        SecretId=cloud.physical_id("BearerApiKeySecret"), SecretString=json.dumps(APP_A)
    )
    if alternating:
        sm.put_secret_value(
            SecretId=cloud.physical_id("BearerApiKeySecretB"), SecretString=json.dumps(APP_B)
        )
    return cloud
