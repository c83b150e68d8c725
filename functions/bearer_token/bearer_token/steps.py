"""The four Secrets Manager rotation steps for an X bearer-token secret.

Two strategies, chosen by the bearer-token secret's content:
- single-app (`masterarn`): invalidate the live token, mint, verify, promote. Each step is
  idempotent: a retried createSecret whose AWSPENDING token already works does nothing.
- alternating apps (`masterarns`, two API keys): re-mint the token of the app that is not
  serving, verify it, promote it. The previous token stays valid until the next rotation, so
  clients never see a failed request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from bearer_token.x_oauth import ApiKey, XOAuthClient
from steward_common.errors import ConfigurationError, InvalidInputError, StewardError

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


class RotationContractError(InvalidInputError):
    """The event does not fit the secret's rotation state (not enabled, unknown version...)."""


class MalformedSecretError(InvalidInputError):
    """A bearer-token or API-key secret lacks a field or is not JSON (values never shown)."""


class UnreadableApiKeyError(ConfigurationError):
    """An API-key secret cannot be read (missing, or the function may not read it)."""


class TokenMismatchError(StewardError):
    """The provider's live token for the app is not the pending one: rotated elsewhere."""


class TokenVerificationError(StewardError):
    """The pending token does not authenticate at the provider."""


@dataclass(frozen=True)
class BearerSecret:
    access_token: str
    token_type: str
    masterarns: tuple[str, ...]  # one (single-app) or two (alternating apps)
    active_masterarn: str

    @property
    def alternating(self) -> bool:
        return len(self.masterarns) == 2

    @classmethod
    def parse(cls, text: str | None, where: str) -> BearerSecret:
        try:
            data = json.loads(text or "")
        except json.JSONDecodeError:
            raise MalformedSecretError(f"{where} is not JSON") from None
        if not isinstance(data, dict):
            raise MalformedSecretError(f"{where} is not a JSON object")
        if "masterarns" in data:
            arns = data["masterarns"]
            if not (
                isinstance(arns, list)
                and len(arns) == 2
                and all(isinstance(a, str) and a for a in arns)
                and arns[0] != arns[1]
            ):
                raise MalformedSecretError(
                    f"{where}: masterarns must list two different API-key secret ARNs"
                )
            active = data.get("active_masterarn") or arns[0]
            if active not in arns:
                raise MalformedSecretError(f"{where}: active_masterarn is not one of masterarns")
        elif isinstance(data.get("masterarn"), str) and data["masterarn"]:
            arns, active = [data["masterarn"]], data["masterarn"]
        else:
            raise MalformedSecretError(f"{where} has neither masterarn nor masterarns")
        token = data.get("access_token", "")
        if not isinstance(token, str):
            raise MalformedSecretError(f"{where}: access_token is not a string")
        return cls(token, str(data.get("token_type") or "bearer"), tuple(arns), active)

    def with_token(self, token: str, token_type: str, active: str) -> BearerSecret:
        return BearerSecret(token, token_type, self.masterarns, active)

    def dumps(self) -> str:
        body: dict[str, Any] = {"access_token": self.access_token, "token_type": self.token_type}
        if self.alternating:
            body |= {"masterarns": list(self.masterarns), "active_masterarn": self.active_masterarn}
        else:
            body["masterarn"] = self.masterarns[0]
        return json.dumps(body)

    def __repr__(self) -> str:
        return f"BearerSecret(<redacted>, apps={len(self.masterarns)})"


class BearerTokenRotation:
    """One rotation, one step at a time; clients are passed in (rotation-template style)."""

    def __init__(self, secrets: Any, provider: XOAuthClient) -> None:
        self.sm = secrets
        self.x = provider

    # ------------------------------------------------------------------ contract

    def check(self, arn: str, token: str) -> bool:
        """Validate the event against the secret; False if the version is already current."""
        metadata = self.sm.describe_secret(SecretId=arn)
        if not metadata.get("RotationEnabled"):
            raise RotationContractError(f"secret {arn} is not enabled for rotation")
        versions = metadata.get("VersionIdsToStages", {})
        if token not in versions:
            raise RotationContractError(
                f"secret version {token} has no stage for rotation of {arn}"
            )
        if "AWSCURRENT" in versions[token]:
            return False
        if "AWSPENDING" not in versions[token]:
            raise RotationContractError(
                f"secret version {token} is not set as AWSPENDING for {arn}"
            )
        return True

    def run(self, step: str, arn: str, token: str) -> str:
        if step not in STEPS:
            raise RotationContractError(f"unknown rotation step {step!r}; expected one of {STEPS}")
        if not self.check(arn, token):
            return "already-current"
        return str(getattr(self, _METHOD[step])(arn, token))

    # ------------------------------------------------------------------ helpers

    def _bearer(self, arn: str, **version: str) -> BearerSecret:
        value = self.sm.get_secret_value(SecretId=arn, **version)
        stage = version.get("VersionStage", "AWSCURRENT")
        return BearerSecret.parse(value.get("SecretString"), f"the {stage} bearer-token secret")

    def _api_key_document(self, arn: str) -> dict[str, Any]:
        """The API-key secret's JSON object; UnreadableApiKeyError if it cannot be read."""
        try:
            text = self.sm.get_secret_value(SecretId=arn).get("SecretString")
        except ClientError as error:  # AWS's message names the secret, never its value
            code = error.response.get("Error", {}).get("Code", "an error")
            raise UnreadableApiKeyError(f"API-key secret {arn} cannot be read: {code}") from None
        try:
            data = json.loads(text or "")
        except json.JSONDecodeError:
            raise MalformedSecretError(f"API-key secret {arn} is not JSON") from None
        if not isinstance(data, dict):
            raise MalformedSecretError(f"API-key secret {arn} is not a JSON object")
        return data

    def _api_key(self, arn: str) -> ApiKey:
        data = self._api_key_document(arn)
        missing = [f for f in ("consumer_key", "consumer_secret") if not data.get(f)]
        if missing:
            raise MalformedSecretError(f"API-key secret {arn} lacks {missing}")
        return ApiKey(
            data["consumer_key"],
            data["consumer_secret"],
            data.get("access_token") or None,
            data.get("access_token_secret") or None,
        )

    def _pending(self, arn: str, token: str) -> BearerSecret | None:
        try:
            return self._bearer(arn, VersionId=token, VersionStage="AWSPENDING")
        except self.sm.exceptions.ResourceNotFoundException:
            return None

    # ------------------------------------------------------------------ steps

    def create_secret(self, arn: str, token: str) -> str:
        current = self._bearer(arn, VersionStage="AWSCURRENT")
        pending = self._pending(arn, token)
        if pending is not None:
            if pending.access_token and self.x.works(pending.access_token):
                return "pending-token-already-works"
            raise TokenVerificationError(
                f"the AWSPENDING version {token} of {arn} holds a token that no longer works; "
                "cancel this rotation (cancel-rotate-secret) and rotate again"
            )
        if current.alternating:
            standby = next(a for a in current.masterarns if a != current.active_masterarn)
            key = self._api_key(standby)
            # Re-mint: kill the standby app's live token (the previous one, which clients
            # left at the last rotation), then mint a fresh one.
            live, _ = self.x.mint(key)
            self.x.invalidate(key, live)
            new_token, token_type = self.x.mint(key)
            active = standby
        else:
            key = self._api_key(current.active_masterarn)
            if current.access_token and self.x.works(current.access_token):
                self.x.invalidate(key, current.access_token)
            new_token, token_type = self.x.mint(key)
            active = current.active_masterarn
        self.sm.put_secret_value(
            SecretId=arn,
            ClientRequestToken=token,
            VersionStages=["AWSPENDING"],
            SecretString=current.with_token(new_token, token_type, active).dumps(),
        )
        return "created"

    def set_secret(self, arn: str, token: str) -> str:
        pending = self._required_pending(arn, token)
        live, _ = self.x.mint(self._api_key(pending.active_masterarn))
        if live != pending.access_token:
            raise TokenMismatchError(
                f"the provider's live token for the app of {arn} is not the AWSPENDING one: it was "
                "rotated outside Secrets Manager; cancel this rotation and rotate again"
            )
        return "confirmed"

    def test_secret(self, arn: str, token: str) -> str:
        pending = self._pending(arn, token)
        if pending is None:
            raise RotationContractError(
                f"secret version {token} of {arn} has no AWSPENDING value yet"
            )
        if not pending.access_token:
            # Secrets Manager's configuration test (RotateSecret with RotateImmediately=false,
            # as the stack's RotationSchedule does) runs testSecret alone, on a pending version
            # holding the current value. Before the first rotation that holds no token, and
            # the API keys may still be empty: what can be tested is that each API-key secret
            # exists and this function can read it as JSON. A rotation's own testSecret always
            # has a token: createSecret stores only a minted one.
            for masterarn in pending.masterarns:
                self._api_key_document(masterarn)
            return "configuration-verified"
        if not self.x.works(pending.access_token):
            raise TokenVerificationError(f"the AWSPENDING token of {arn} does not authenticate")
        return "verified"

    def finish_secret(self, arn: str, token: str) -> str:
        versions = self.sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
        current = next((v for v, stages in versions.items() if "AWSCURRENT" in stages), None)
        if current == token:
            return "already-current"
        self.sm.update_secret_version_stage(
            SecretId=arn,
            VersionStage="AWSCURRENT",
            MoveToVersionId=token,
            RemoveFromVersionId=current,
        )
        return "promoted"

    def _required_pending(self, arn: str, token: str) -> BearerSecret:
        pending = self._pending(arn, token)
        if pending is None or not pending.access_token:
            raise RotationContractError(
                f"secret version {token} of {arn} has no AWSPENDING value yet"
            )
        return pending


_METHOD = {
    "createSecret": "create_secret",
    "setSecret": "set_secret",
    "testSecret": "test_secret",
    "finishSecret": "finish_secret",
}
