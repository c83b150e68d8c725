"""The suite as a first `sam deploy` makes it: every parameter at its default."""

from __future__ import annotations

from typing import Any


def test_the_suite_deploys_with_every_parameter_at_its_default(stack: Any) -> None:
    cloud = stack()
    # Bucket sync is on by default with no bucket configured: every statement of the validate
    # function's policy is conditional, and IAM refuses an inline policy with none (the local
    # cloud's IAM does too), so the role must then have no inline policy at all.
    role = cloud.physical_id("BucketSyncValidateFunctionRole")
    assert cloud.client("iam").list_role_policies(RoleName=role)["PolicyNames"] == []
    page_role = cloud.physical_id("BucketSyncPageFunctionRole")
    assert cloud.client("iam").list_role_policies(RoleName=page_role)["PolicyNames"]
