"""AWS IAM as moto emulates it, corrected where Steward relies on IAM's own behaviour.

- Policy language versions: IAM takes a policy document with `"Version": "2012-10-17"`, with
  the earlier `"2008-10-17"`, or with no Version at all (which is the earlier one), as the IAM
  User Guide's "IAM JSON policy elements: Version" says; moto refused all but 2012-10-17, so
  the policies SAM generates from policy templates (which carry no Version) failed to deploy.
- Managed policies per role, user or group: at most the quota GetAccountSummary reports (10),
  as the IAM User Guide's "IAM and AWS STS quotas" says; moto attached any number (quotas.py).
- AWS managed policies, loaded once, where they are used: moto makes one IAM backend per partition (aws, aws-cn, aws-us-gov, …) as soon as any request
looks up its access key, and each loads all ~1,300 AWS managed policies from JSON, again at
every reset: seconds of every local cloud's start and stop. The local cloud's stacks live in
the `aws` partition, so only that backend gets the managed policies, parsed once per process.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from localcloud.core import Core, Hooks
from localcloud.services.iam import quotas

PARTITION = "aws"
POLICY_VERSIONS = ("2012-10-17", "2008-10-17")


@functools.cache
def _policy_documents() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return dict(json.loads(aws_managed_policies_data))


def install(core: Core) -> None:
    install_hooks(core.hooks)
    quotas.install(core)


def install_hooks(hooks: Hooks) -> None:
    from moto.iam.models import AWSManagedPolicy, IAMBackend
    from moto.iam.policy_validation import IAMPolicyDocumentValidator
    from moto.settings import load_iam_aws_managed_policies

    hooks.original(IAMBackend, "_init_aws_policies")

    def _init_aws_policies(self: Any) -> list[Any]:
        if not load_iam_aws_managed_policies() or self.region_name != PARTITION:
            return []
        return [
            AWSManagedPolicy.from_data(name, self.account_id, self.region_name, document)
            for name, document in _policy_documents().items()
        ]

    hooks.replace(IAMBackend, "_init_aws_policies", _init_aws_policies)

    hooks.original(IAMPolicyDocumentValidator, "_validate_version")

    def _validate_version(self: Any) -> None:
        assert self._policy_json.get("Version", "2008-10-17") in POLICY_VERSIONS

    hooks.replace(IAMPolicyDocumentValidator, "_validate_version", _validate_version)
