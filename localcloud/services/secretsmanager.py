"""AWS Secrets Manager: RotateSecret drives the rotation function as Secrets Manager does.

- moto validates the request and makes the AWSPENDING version; its own synchronous step calls
  are muted, and its unconditional promotion skipped, because on AWS only the rotation
  function's finishSecret moves AWSCURRENT.
- The four steps run asynchronously, in order, each a Lambda invocation through the API,
  stopping at the first failure (AWSCURRENT stays where it was); RotateImmediately=false
  runs testSecret only, as AWS documents.
- A version that gets AWSCURRENT is the one GetSecretValue returns (moto moved the label only).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable
from typing import Any

from localcloud.core import Core
from localcloud.services.lambda_ import invoke_sync

LOG = logging.getLogger("localcloud")
ROTATION_STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


class Rotations:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._muted = threading.local()

    def run(self, lambda_arn: str, secret_arn: str, token: str, steps: Iterable[str]) -> None:
        """Secrets Manager's side of a rotation: each step in turn, stopping at a failure."""
        steps = tuple(steps)
        core = self.core

        def run() -> None:
            for step in steps:
                event = {
                    "Step": step,
                    "SecretId": secret_arn,
                    "ClientRequestToken": token,
                    "RotationToken": token,
                }
                payload, error = invoke_sync(core, lambda_arn, event)
                if error:
                    detail = payload if isinstance(payload, dict) else {}
                    LOG.warning(
                        "rotation of %s stopped at %s: %s",
                        secret_arn,
                        step,
                        detail.get("errorType"),
                    )
                    name = lambda_arn.rsplit(":", 1)[-1]
                    core.record_failure(
                        f"rotation {step} ({name})",
                        detail.get("errorType", ""),
                        detail.get("errorMessage", ""),
                        event,
                    )
                    return
            if "finishSecret" in steps:
                # A rotation that completed leaves no AWSPENDING label behind.
                sm = core.clients.for_arn("secretsmanager", secret_arn)
                stages = sm.describe_secret(SecretId=secret_arn).get("VersionIdsToStages", {})
                if "AWSPENDING" in stages.get(token, []):
                    sm.update_secret_version_stage(
                        SecretId=secret_arn, VersionStage="AWSPENDING", RemoveFromVersionId=token
                    )

        core.dispatcher.submit(run)

    def install(self) -> None:
        from moto.awslambda.models import LambdaBackend
        from moto.secretsmanager.models import SecretsManagerBackend

        core, hooks, rotations, muted = self.core, self.core.hooks, self, self._muted
        original_invoke = hooks.original(LambdaBackend, "invoke")

        def lambda_invoke(self: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(muted, "on", False):  # moto's own rotation step calls
                return ""
            return original_invoke(self, *args, **kwargs)

        original = hooks.original(SecretsManagerBackend, "rotate_secret")

        def rotate_secret(
            self: Any,
            secret_id: str,
            client_request_token: str | None = None,
            rotation_lambda_arn: str | None = None,
            rotation_rules: dict[str, Any] | None = None,
            rotate_immediately: bool = True,
        ) -> str:
            existing = (
                self.secrets[secret_id].rotation_lambda_arn if secret_id in self.secrets else ""
            )
            lambda_arn = rotation_lambda_arn or existing
            if not lambda_arn or core.functions.get(lambda_arn) is None:
                return original(  # type: ignore[no-any-return]
                    self,
                    secret_id,
                    client_request_token,
                    rotation_lambda_arn,
                    rotation_rules,
                    rotate_immediately,
                )
            if not core.service("iam").service_may_invoke(
                lambda_arn, "secretsmanager.amazonaws.com", source_account=self.account_id
            ):
                from moto.core.exceptions import JsonRESTError

                raise JsonRESTError(
                    "AccessDeniedException",
                    "Secrets Manager cannot invoke the specified Lambda function. Ensure that "
                    "the function policy grants access to the principal "
                    "secretsmanager.amazonaws.com.",
                )
            token = client_request_token or str(uuid.uuid4())
            muted.on = True
            try:
                result = original(self, secret_id, token, lambda_arn, rotation_rules, False)
            finally:
                muted.on = False
            secret = self.secrets[secret_id]
            version = secret.versions.get(token, {})
            if rotate_immediately:
                version.pop("secret_string", None)  # AWS makes the pending version without a value
                version.pop("secret_binary", None)
            secret.rotation_enabled = True
            steps = ROTATION_STEPS if rotate_immediately else ("testSecret",)
            rotations.run(lambda_arn, secret.arn, token, steps)
            return result  # type: ignore[no-any-return]

        original_stage = hooks.original(SecretsManagerBackend, "update_secret_version_stage")

        def update_secret_version_stage(
            self: Any,
            secret_id: str,
            version_stage: str,
            remove_from_version_id: str | None,
            move_to_version_id: str | None,
        ) -> Any:
            result = original_stage(
                self, secret_id, version_stage, remove_from_version_id, move_to_version_id
            )
            # moto moves the label but not the version GetSecretValue returns by default;
            # on AWS, the version with AWSCURRENT is the secret's value.
            if version_stage == "AWSCURRENT" and move_to_version_id:
                self.secrets[secret_id].set_default_version_id(move_to_version_id)
            return result

        hooks.replace(LambdaBackend, "invoke", lambda_invoke)
        hooks.replace(SecretsManagerBackend, "rotate_secret", rotate_secret)
        hooks.replace(
            SecretsManagerBackend, "update_secret_version_stage", update_secret_version_stage
        )

    def configure(self, region: str, secret_id: str, lambda_arn: str) -> None:
        """Rotation set up but not started, as a RotationSchedule with RotateImmediatelyOnUpdate
        false leaves it: a later RotateSecret needs no function ARN."""
        from moto.secretsmanager.models import FakeSecret, secretsmanager_backends

        secret = secretsmanager_backends[self.core.account_id][region].secrets[secret_id]
        if not isinstance(secret, FakeSecret):  # a replica rotates with its primary
            raise ValueError(f"{secret_id} in {region} is a replica; rotate its primary secret")
        secret.rotation_lambda_arn = lambda_arn
        secret.rotation_enabled = secret.rotation_requested = True


def install(core: Core) -> None:
    rotations = Rotations(core)
    rotations.install()
    core.services["secretsmanager"] = rotations


def _secret(secret_arn: str) -> Any:
    from moto.secretsmanager.models import secretsmanager_backends

    _, _, _, region, account, _ = secret_arn.split(":", 5)
    return secretsmanager_backends[account][region].secrets[secret_arn]


def begin_rotation(secret_arn: str, token: str) -> None:
    """What RotateSecret leaves for createSecret: rotation enabled and an AWSPENDING version
    with no value yet. (For tests of one rotation step, with no function to call.)"""
    secret = _secret(secret_arn)
    secret.rotation_enabled = secret.rotation_requested = True
    secret.versions[token] = {
        "version_id": token,
        "version_stages": ["AWSPENDING"],
        "createdate": 0,
    }


def set_rotation_enabled(secret_arn: str, enabled: bool) -> None:
    _secret(secret_arn).rotation_enabled = enabled
