"""KMS: keys with their key policies, rotation and spec, and aliases.

From the CloudFormation User Guide ("AWS::KMS::Key", "AWS::KMS::Alias"):
- Key: "Ref returns the key ID, such as 1234abcd-12ab-34cd-56ef-1234567890ab"; `Fn::GetAtt`
  gives `Arn` and `KeyId`. `PendingWindowInDays` is the waiting period "before AWS KMS deletes a
  CMK that has been removed from a CloudFormation stack. Enter a value between 7 and 30 days.
  The default value is 30 days." (checked here; a stack of the local cloud is never deleted,
  so the window is never used). A key without `KeyPolicy` gets KMS's default key policy, the
  one that lets the account's IAM policies allow access to it.
- Alias: "The name must start with alias followed by a forward slash, such as alias/. You can't
  specify aliases that begin with alias/AWS. These aliases are reserved."; "Ref returns the
  alias name, such as alias/myKeyAlias".

The key policy is then KMS's own: the local cloud's IAM evaluates it for every call on the key.
"""

from __future__ import annotations

import json
from typing import Any

from localcloud.deploy.context import DeployContext
from localcloud.deploy.stack import Deployed
from localcloud.errors import TemplateError
from localcloud.services.kms import AWS_MANAGED_PREFIX


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def key(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    window = int(props.get("PendingWindowInDays", 30))
    if not 7 <= window <= 30:
        raise TemplateError(
            f"{logical_id}: PendingWindowInDays is {window}; enter a value between 7 and 30 days"
        )
    kwargs: dict[str, Any] = {
        "KeyUsage": str(props.get("KeyUsage", "ENCRYPT_DECRYPT")),
        "KeySpec": str(props.get("KeySpec", "SYMMETRIC_DEFAULT")),
        "Description": str(props.get("Description", "")),
        "MultiRegion": _true(props.get("MultiRegion", False)),
    }
    policy = props.get("KeyPolicy")
    if policy is not None:
        kwargs["Policy"] = policy if isinstance(policy, str) else json.dumps(policy)
    if props.get("Tags"):
        kwargs["Tags"] = [{"TagKey": t["Key"], "TagValue": str(t["Value"])} for t in props["Tags"]]
    kms = ctx.client("kms")
    metadata = kms.create_key(**kwargs)["KeyMetadata"]
    key_id = metadata["KeyId"]
    if _true(props.get("EnableKeyRotation", False)):
        rotation: dict[str, Any] = {"KeyId": key_id}
        if "RotationPeriodInDays" in props:
            rotation["RotationPeriodInDays"] = int(props["RotationPeriodInDays"])
        kms.enable_key_rotation(**rotation)
    if not _true(props.get("Enabled", True)):
        kms.disable_key(KeyId=key_id)
    return Deployed(logical_id, body["Type"], key_id, {"Arn": metadata["Arn"], "KeyId": key_id})


def alias(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    name = str(props["AliasName"])
    if not name.startswith("alias/") or name.lower().startswith(AWS_MANAGED_PREFIX):
        raise TemplateError(
            f"{logical_id}: AliasName {name!r} must start with alias/ and must not begin with "
            f"{AWS_MANAGED_PREFIX} (reserved for AWS managed keys)"
        )
    ctx.client("kms").create_alias(AliasName=name, TargetKeyId=str(props["TargetKeyId"]))
    return Deployed(logical_id, body["Type"], name)


PROVISIONERS = {"AWS::KMS::Key": key, "AWS::KMS::Alias": alias}
