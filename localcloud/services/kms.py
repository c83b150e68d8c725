"""AWS KMS as moto emulates it, corrected where key policies and aliases decide access.

- Key policies decide every call on a key, as the authorizer evaluates them (`iam.enforcement`,
  `_kms_decision`); this module names the keys a call is on (`key_of_ciphertext`) and the AWS
  managed keys, which no one can give a service principal access to.
- Aliases: "The alias name for a customer managed key cannot begin with alias/aws/. The
  alias/aws/ prefix is reserved for AWS managed key." (KMS Developer Guide, "Create aliases",
  https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html). moto refused only
  the fourteen `alias/aws/…` names it creates keys for, so `alias/aws/sns` or `alias/aws/mine`
  could be made by anyone; every name with the prefix is refused here, with the error moto
  gives for its own reserved names (the documentation names no error code).
"""

from __future__ import annotations

import struct
from typing import Any

from localcloud.core import Core

AWS_MANAGED_PREFIX = "alias/aws/"
# The AWS managed key of SNS. "You cannot change any properties of AWS managed keys, rotate
# them, change their key policies, or schedule them for deletion" (KMS Developer Guide,
# "AWS managed keys", https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key),
# so no statement for a service principal can be added to its key policy.
SNS_MANAGED_ALIAS = "alias/aws/sns"


def alias_name(key: str) -> str | None:
    """The alias a key reference names (`alias/x` or an alias ARN), None for a key id/ARN."""
    if key.startswith("alias/"):
        return key
    if key.startswith("arn:") and ":alias/" in key:
        return "alias/" + key.split(":alias/", 1)[1]
    return None


def is_aws_managed(key: str) -> bool:
    """Whether the reference names an AWS managed key by its alias (`alias/aws/…`)."""
    name = alias_name(key)
    return name is not None and name.startswith(AWS_MANAGED_PREFIX)


def key_of_ciphertext(blob: Any) -> str | None:
    """The key id a ciphertext blob of moto's names (Decrypt and ReEncrypt take no KeyId for
    symmetric keys: "KMS uses the metadata that it adds to the ciphertext blob to determine
    which KMS key was used to encrypt the ciphertext", API reference, Decrypt)."""
    from moto.kms.utils import _deserialize_ciphertext_blob

    if not isinstance(blob, bytes | bytearray):
        return None
    try:
        return str(_deserialize_ciphertext_blob(bytes(blob)).key_id)
    except (struct.error, UnicodeDecodeError):
        return None


def install(core: Core) -> None:
    from moto.kms.exceptions import NotAuthorizedException
    from moto.kms.responses import KmsResponse

    set_alias = core.hooks.original(KmsResponse, "_set_alias")

    def _set_alias(self: Any, update: bool = False) -> str:
        name = self._get_param("AliasName")
        if isinstance(name, str) and name.startswith(AWS_MANAGED_PREFIX):
            raise NotAuthorizedException()
        return set_alias(self, update)  # type: ignore[no-any-return]

    core.hooks.replace(KmsResponse, "_set_alias", _set_alias)
