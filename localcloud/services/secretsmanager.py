"""AWS Secrets Manager: RotateSecret runs a Lambda rotation as Secrets Manager documents it.

moto's RotateSecret is replaced whole: it refuses a second rotation when AWSPENDING sits on
the AWSCURRENT version (AWS allows exactly that and refuses the opposite), empties a secret
that has no rotation function, and calls the function's steps synchronously. Here:

- A secret with no rotation function (none given, none configured) cannot be rotated.
- AWSPENDING on a version other than AWSCURRENT's is a rotation still in progress: refused.
- RotateImmediately=true (the default): a new AWSPENDING version with no value, then the four
  steps asynchronously, in order, each a Lambda invocation through the API, stopping at the
  first failure (AWSCURRENT stays where the function left it). The stages are what the
  function leaves: Secrets Manager moves no label itself after finishSecret.
- RotateImmediately=false: the configuration test, testSecret alone on an AWSPENDING version
  holding the current value, which is then removed; a failed test fails the call and leaves
  the secret as it was.
- RotationStarted / RotationSucceeded / RotationFailed reach the default bus as "AWS Service
  Event via CloudTrail" events; a new AWSCURRENT version put by hand during a rotation
  abandons it (AWSPENDING removed, RotationAbandoned).
- A version that gets AWSCURRENT is the one GetSecretValue returns (moto moved the label only).
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from localcloud.core import Core
from localcloud.services.events import service_events
from localcloud.services.events.envelope import iso
from localcloud.services.lambda_ import invoke_sync

LOG = logging.getLogger("localcloud")
ROTATION_STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
SERVICE_PRINCIPAL = "secretsmanager.amazonaws.com"

# The message AWS answers (as users report it: the API reference names the condition, not the
# words): https://github.com/hashicorp/terraform-provider-aws/issues/35023
ROTATION_IN_PROGRESS = "A previous rotation isn't complete. That rotation will be reattempted."
# As the AWS CLI prints it, quoted in https://github.com/getmoto/moto/pull/3912
NO_ROTATION_FUNCTION = "No Lambda rotation function ARN is associated with this secret."


@dataclass(frozen=True)
class TestFailure:
    """Why a configuration test (RotateImmediately=false) failed: the function's error."""

    function_arn: str
    error_type: str
    error_message: str


class Rotations:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._lock = threading.Lock()
        self._test_failures: dict[str, TestFailure] = {}

    # ------------------------------------------------------------------ events

    def send_event(self, name: str, secret_arn: str, token: str) -> None:
        """A rotation event as CloudTrail delivers it to EventBridge.

        Shape of the sample RotationSucceeded event in
        https://aws.amazon.com/blogs/database/multi-user-secrets-rotation-for-amazon-rds/ ;
        the User Guide lists RotationStarted, RotationSucceeded and RotationFailed with it
        (https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieve-ct-entries.html)
        and shows no failure detail, so RotationFailed carries none here either."""
        _, _, _, region, account, _ = secret_arn.split(":", 5)
        now = self.core.clock.wall()
        detail = {
            "eventVersion": "1.08",
            "userIdentity": {"accountId": account, "invokedBy": SERVICE_PRINCIPAL},
            "eventTime": iso(now),
            "eventSource": SERVICE_PRINCIPAL,
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": SERVICE_PRINCIPAL,
            "userAgent": SERVICE_PRINCIPAL,
            "requestParameters": None,
            "responseElements": None,
            "additionalEventData": {"SecretId": secret_arn},
            "requestID": f"Rotation-{secret_arn}-{token}",
            "eventID": str(uuid.uuid4()),
            "readOnly": False,
            "eventType": "AwsServiceEvent",
            "managementEvent": True,
            "recipientAccountId": account,
            "eventCategory": "Management",
        }
        service_events.send(
            self.core,
            source="aws.secretsmanager",
            detail_type="AWS Service Event via CloudTrail",
            detail=detail,
            region=region,
            account=account,
            resources=[],
            time=now,
        )

    # ------------------------------------------------------------------ the steps

    def _invoke(self, lambda_arn: str, secret_arn: str, token: str, step: str) -> Any:
        """One step: (event, error detail or None)."""
        event = {
            "Step": step,
            "SecretId": secret_arn,
            "ClientRequestToken": token,
            "RotationToken": token,
        }
        payload, error = invoke_sync(self.core, lambda_arn, event)
        if not error:
            return event, None
        detail = payload if isinstance(payload, dict) else {}
        return event, (str(detail.get("errorType", "")), str(detail.get("errorMessage", "")))

    def run(self, lambda_arn: str, secret_arn: str, token: str, steps: Iterable[str]) -> None:
        """Secrets Manager's side of a rotation: each step in turn, stopping at a failure."""
        steps = tuple(steps)
        core = self.core

        def run() -> None:
            for step in steps:
                event, failed = self._invoke(lambda_arn, secret_arn, token, step)
                if failed:
                    error_type, message = failed
                    LOG.warning("rotation of %s stopped at %s: %s", secret_arn, step, error_type)
                    name = lambda_arn.rsplit(":", 1)[-1]
                    core.record_failure(f"rotation {step} ({name})", error_type, message, event)
                    self.send_event("RotationFailed", secret_arn, token)
                    return
            secret = _secret(secret_arn)
            secret.last_rotation_date = int(core.clock.wall())
            self.send_event("RotationSucceeded", secret_arn, token)

        core.dispatcher.submit(run)

    def test_configuration(self, backend: Any, secret: Any, lambda_arn: str) -> str:
        """RotateImmediately=false: testSecret on an AWSPENDING version, then removed.

        The documentation does not say what that version holds. It holds the current value:
        the only one Secrets Manager has (it makes no credentials itself), and what the
        rotation templates' testSecret reads back to test. Nor does it say whether a failed
        test fails the call; here it does, and changes nothing, since a configuration test
        whose verdict nobody sees tests nothing."""
        token = str(uuid.uuid4())
        current: dict[str, Any] = next(
            (v for v in secret.versions.values() if "AWSCURRENT" in v["version_stages"]), {}
        )
        version: dict[str, Any] = {
            "createdate": int(self.core.clock.wall()),
            "version_id": token,
            "version_stages": ["AWSPENDING"],
        }
        for field in ("secret_string", "secret_binary"):
            if current.get(field) is not None:
                version[field] = current[field]
        for other in secret.versions.values():  # a finished rotation's label on AWSCURRENT
            if "AWSPENDING" in other["version_stages"]:
                other["version_stages"].remove("AWSPENDING")
        secret.versions[token] = version
        try:
            _, failed = self._invoke(lambda_arn, secret.arn, token, "testSecret")
        finally:
            secret.versions.pop(token, None)
        if failed:
            error_type, message = failed
            with self._lock:
                self._test_failures[secret.arn] = TestFailure(lambda_arn, error_type, message)
            raise _invalid_request(
                f"The rotation function's testSecret step failed with {error_type}: {message}"
            )
        return token

    def last_test_failure(self, secret_arn: str) -> TestFailure | None:
        """Why the last configuration test of that secret failed (None if it passed)."""
        with self._lock:
            return self._test_failures.get(secret_arn)

    def abandon(self, secret: Any, pending: list[str], new_version: str) -> None:
        """A new AWSCURRENT version put by hand abandons the rotation in progress.

        User Guide: "RotationAbandoned event - Secrets Manager removed the AWSPENDING label
        from an existing version of a secret. When you manually create a new version of a
        secret, you send a message signalling the abandonment of the current ongoing rotation
        in favor of the new secret version. As a result, Secrets Manager removes the
        AWSPENDING label to allow future rotations to succeed and publish a CloudTrail event
        to provide awareness of the change."
        (https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieve-ct-entries.html)"""
        for version_id in pending:
            stages = secret.versions.get(version_id, {}).get("version_stages", [])
            if version_id != new_version and "AWSPENDING" in stages:
                stages.remove("AWSPENDING")
                self.send_event("RotationAbandoned", secret.arn, version_id)

    # ------------------------------------------------------------------ RotateSecret

    def rotate_secret(
        self,
        backend: Any,
        secret_id: str,
        client_request_token: str | None,
        rotation_lambda_arn: str | None,
        rotation_rules: dict[str, Any] | None,
        rotate_immediately: bool,
    ) -> str:
        from moto.secretsmanager.exceptions import (
            InvalidParameterException,
            OperationNotPermittedOnReplica,
            ResourceNotFoundException,
            SecretNotFoundException,
        )
        from moto.secretsmanager.models import ReplicaSecret

        core = self.core
        if secret_id not in backend.secrets:
            raise SecretNotFoundException()
        secret = backend.secrets[secret_id]
        with self._lock:  # what the deployer reads is this call's verdict, not an earlier one
            self._test_failures.pop(secret.arn, None)
        if isinstance(secret, ReplicaSecret):
            raise OperationNotPermittedOnReplica
        if secret.is_deleted():
            raise _invalid_request(
                "You tried to perform the operation on a secret that's currently marked deleted."
            )
        if rotation_lambda_arn and len(rotation_lambda_arn) > 2048:
            raise InvalidParameterException("RotationLambdaARN must <= 2048 characters long.")
        days = (rotation_rules or {}).get("AutomaticallyAfterDays")
        if days is not None and not 1 <= int(days) <= 1000:
            raise InvalidParameterException(
                "RotationRules.AutomaticallyAfterDays must be within 1-1000."
            )
        if client_request_token:
            backend._client_request_token_validator(client_request_token)

        # API reference, InvalidRequestException: "You tried to enable rotation on a secret that
        # doesn't already have a Lambda function ARN configured and you didn't include such an
        # ARN as a parameter in this call."
        lambda_arn = rotation_lambda_arn or secret.rotation_lambda_arn
        if not lambda_arn:
            raise _invalid_request(NO_ROTATION_FUNCTION)
        try:
            core.clients.for_arn("lambda", lambda_arn).get_function(FunctionName=lambda_arn)
        except ClientError:
            raise ResourceNotFoundException(f"Resource not found for ARN '{lambda_arn}'.") from None
        if not core.service("iam").service_may_invoke(
            lambda_arn, SERVICE_PRINCIPAL, source_account=backend.account_id
        ):
            raise _error(
                "AccessDeniedException",
                "Secrets Manager cannot invoke the specified Lambda function. Ensure that "
                "the function policy grants access to the principal "
                "secretsmanager.amazonaws.com.",
            )
        # API reference: "If the AWSPENDING staging label is present but not attached to the
        # same version as AWSCURRENT, then any later invocation of RotateSecret assumes that a
        # previous rotation request is still in progress and returns an error."
        for version in secret.versions.values():
            stages = version["version_stages"]
            if "AWSPENDING" in stages and "AWSCURRENT" not in stages:
                raise _invalid_request(ROTATION_IN_PROGRESS)

        # "If you include the configuration parameters, the operation sets the values for the
        # secret and then immediately starts a rotation."
        before = {
            key: copy.deepcopy(getattr(secret, key))
            for key in (
                "rotation_lambda_arn",
                "rotation_enabled",
                "rotation_requested",
                "auto_rotate_after_days",
                "next_rotation_date",
            )
        }
        secret.rotation_lambda_arn = lambda_arn
        secret.rotation_requested = secret.rotation_enabled = True
        if days is not None:
            secret.auto_rotate_after_days = int(days)
            secret.next_rotation_date = int(core.clock.wall()) + int(days) * 86400

        if not rotate_immediately:
            try:
                token = self.test_configuration(backend, secret, lambda_arn)
            except Exception:
                for key, value in before.items():
                    setattr(secret, key, value)
                raise
            return str(secret.to_short_dict(version_id=token))

        token = client_request_token or str(uuid.uuid4())
        for version in secret.versions.values():  # off the AWSCURRENT version it was left on
            if "AWSPENDING" in version["version_stages"]:
                version["version_stages"].remove("AWSPENDING")
        # "When rotation is unsuccessful, the AWSPENDING staging label might be attached to an
        # empty secret version": RotateSecret makes the version, createSecret gives it a value.
        secret.versions[token] = {
            "createdate": int(core.clock.wall()),
            "version_id": token,
            "version_stages": ["AWSPENDING"],
        }
        self.send_event("RotationStarted", secret.arn, token)
        self.run(lambda_arn, secret.arn, token, ROTATION_STEPS)
        return str(secret.to_short_dict(version_id=token))

    def install(self) -> None:
        from moto.secretsmanager.models import SecretsManagerBackend

        hooks, rotations = self.core.hooks, self
        hooks.original(SecretsManagerBackend, "rotate_secret")  # fails loudly if moto renames it

        def rotate_secret(
            self: Any,
            secret_id: str,
            client_request_token: str | None = None,
            rotation_lambda_arn: str | None = None,
            rotation_rules: dict[str, Any] | None = None,
            rotate_immediately: bool = True,
        ) -> str:
            return rotations.rotate_secret(
                self,
                secret_id,
                client_request_token,
                rotation_lambda_arn,
                rotation_rules,
                rotate_immediately,
            )

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

        original_put = hooks.original(SecretsManagerBackend, "put_secret_value")

        def put_secret_value(
            self: Any,
            secret_id: str,
            secret_string: str,
            secret_binary: str,
            client_request_token: str,
            version_stages: list[str],
        ) -> str:
            secret = self.secrets.get(secret_id)
            versions = getattr(secret, "versions", {})
            pending = [
                version_id
                for version_id, version in versions.items()
                if "AWSPENDING" in version["version_stages"]
                and "AWSCURRENT" not in version["version_stages"]
            ]
            result: str = original_put(
                self, secret_id, secret_string, secret_binary, client_request_token, version_stages
            )
            if secret is not None and "AWSCURRENT" in (version_stages or []):
                rotations.abandon(secret, pending, json.loads(result)["VersionId"])
            return result

        hooks.replace(SecretsManagerBackend, "rotate_secret", rotate_secret)
        hooks.replace(SecretsManagerBackend, "put_secret_value", put_secret_value)
        hooks.replace(
            SecretsManagerBackend, "update_secret_version_stage", update_secret_version_stage
        )


def install(core: Core) -> None:
    rotations = Rotations(core)
    rotations.install()
    core.services["secretsmanager"] = rotations


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _invalid_request(message: str) -> Exception:
    from moto.secretsmanager.exceptions import InvalidRequestException

    return InvalidRequestException(message)


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
