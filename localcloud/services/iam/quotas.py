"""IAM's quota on managed policies attached to one role, user or group, enforced at attachment.

The IAM User Guide's "IAM and AWS STS quotas" lists "Managed policies attached to an IAM
role | 10", the same for an IAM user, and "Managed policies attached to an IAM group | 10";
GetAccountSummary reports them as AttachedPoliciesPerRoleQuota, AttachedPoliciesPerUserQuota
and AttachedPoliciesPerGroupQuota. moto reports 10 for each but attaches an eleventh policy
anyway, so a template or automation that would fail to deploy on AWS deployed locally. Here
AttachRolePolicy, AttachUserPolicy and AttachGroupPolicy refuse the attachment that would pass
the quota the account summary reports, with IAM's LimitExceeded error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localcloud.core import Core, Hooks

# Per attach method: the principal's getter, the summary key of its quota, and the quota's name
# in IAM's error message ("Cannot exceed quota for PoliciesPerRole: 10", as AWS answers an
# eleventh AttachRolePolicy; the user and group names follow the same pattern — the API
# reference gives no message text, only that "The error message describes the limit exceeded").
ATTACHMENTS = {
    "attach_role_policy": ("get_role", "AttachedPoliciesPerRoleQuota", "PoliciesPerRole"),
    "attach_user_policy": ("get_user", "AttachedPoliciesPerUserQuota", "PoliciesPerUser"),
    "attach_group_policy": ("get_group", "AttachedPoliciesPerGroupQuota", "PoliciesPerGroup"),
}


def install(core: Core) -> None:
    install_hooks(core.hooks)


def install_hooks(hooks: Hooks) -> None:
    from moto.iam.models import IAMBackend

    hooks.original(IAMBackend, "get_account_summary")
    for method, (getter, summary_key, quota_name) in ATTACHMENTS.items():
        hooks.original(IAMBackend, getter)
        attach = hooks.original(IAMBackend, method)
        hooks.replace(IAMBackend, method, _within_quota(attach, getter, summary_key, quota_name))


def _within_quota(
    attach: Callable[[Any, str, str], None], getter: str, summary_key: str, quota_name: str
) -> Callable[[Any, str, str], None]:
    def attach_within_quota(self: Any, policy_arn: str, principal_name: str) -> None:
        from moto.iam.exceptions import LimitExceededException

        # The principal is looked up first, so a missing one is still NoSuchEntity.
        attached = getattr(self, getter)(principal_name).managed_policies
        # Attaching a policy that is already attached adds nothing, so it cannot pass the quota.
        if policy_arn not in attached:
            quota = int(self.get_account_summary().summary_map[summary_key])
            if len(attached) >= quota:
                raise LimitExceededException(f"Cannot exceed quota for {quota_name}: {quota}")
        attach(self, policy_arn, principal_name)

    return attach_within_quota
