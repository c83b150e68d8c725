"""IAM's quota on the managed policies attached to one role, user or group.

IAM User Guide, "IAM and AWS STS quotas" (reference_iam-quotas), "IAM object quotas":
    "Managed policies attached to an IAM role | 10 | 20" (default quota, maximum quota)
    "Managed policies attached to an IAM user | 10 | 20"
    "Managed policies attached to an IAM group | 10"
and its note: "To get account-level information about IAM usage and quotas, use the
GetAccountSummary API operation". IAM API Reference, AttachRolePolicy (likewise
AttachUserPolicy, AttachGroupPolicy), Errors:
    "LimitExceeded: The request was rejected because it attempted to create resources beyond
    the current AWS account limits. The error message describes the limit exceeded."
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud

QUOTA = 10
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}],
    }
)
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def _policies(iam: Any, count: int) -> list[str]:
    return [
        iam.create_policy(PolicyName=f"quota-{n}", PolicyDocument=POLICY)["Policy"]["Arn"]
        for n in range(count)
    ]


def _role(iam: Any) -> tuple[Callable[[str], Any], Callable[[], list[Any]]]:
    iam.create_role(RoleName="quota-role", AssumeRolePolicyDocument=TRUST)
    return (
        lambda arn: iam.attach_role_policy(RoleName="quota-role", PolicyArn=arn),
        lambda: iam.list_attached_role_policies(RoleName="quota-role")["AttachedPolicies"],
    )


def _user(iam: Any) -> tuple[Callable[[str], Any], Callable[[], list[Any]]]:
    iam.create_user(UserName="quota-user")
    return (
        lambda arn: iam.attach_user_policy(UserName="quota-user", PolicyArn=arn),
        lambda: iam.list_attached_user_policies(UserName="quota-user")["AttachedPolicies"],
    )


def _group(iam: Any) -> tuple[Callable[[str], Any], Callable[[], list[Any]]]:
    iam.create_group(GroupName="quota-group")
    return (
        lambda arn: iam.attach_group_policy(GroupName="quota-group", PolicyArn=arn),
        lambda: iam.list_attached_group_policies(GroupName="quota-group")["AttachedPolicies"],
    )


def test_the_account_summary_reports_ten_managed_policies_per_role_user_and_group(
    cloud: LocalCloud,
) -> None:
    summary = cloud.client("iam").get_account_summary()["SummaryMap"]
    assert summary["AttachedPoliciesPerRoleQuota"] == QUOTA
    assert summary["AttachedPoliciesPerUserQuota"] == QUOTA
    assert summary["AttachedPoliciesPerGroupQuota"] == QUOTA


@pytest.mark.parametrize(
    ("principal", "quota_name"),
    [(_role, "PoliciesPerRole"), (_user, "PoliciesPerUser"), (_group, "PoliciesPerGroup")],
    ids=["role", "user", "group"],
)
def test_an_eleventh_managed_policy_is_refused_with_limit_exceeded(
    cloud: LocalCloud,
    principal: Callable[[Any], tuple[Callable[[str], Any], Callable[[], list[Any]]]],
    quota_name: str,
) -> None:
    iam = cloud.client("iam")
    attach, attached = principal(iam)
    *allowed, eleventh = _policies(iam, QUOTA + 1)
    for arn in allowed:
        attach(arn)

    with pytest.raises(ClientError) as refused:
        attach(eleventh)

    assert refused.value.response["Error"]["Code"] == "LimitExceeded"
    # "The error message describes the limit exceeded"; AWS words it this way for roles.
    assert refused.value.response["Error"]["Message"] == (
        f"Cannot exceed quota for {quota_name}: {QUOTA}"
    )
    assert sorted(p["PolicyArn"] for p in attached()) == sorted(allowed)


def test_reattaching_an_attached_policy_at_the_quota_is_not_refused(cloud: LocalCloud) -> None:
    # The quotas page and the API reference are silent on re-attaching; an attached policy
    # attached again creates no resource "beyond the current AWS account limits", so the least
    # surprising behaviour is to accept it, and the role keeps its ten policies.
    iam = cloud.client("iam")
    attach, attached = _role(iam)
    policies = _policies(iam, QUOTA)
    for arn in policies:
        attach(arn)

    attach(policies[0])

    assert len(attached()) == QUOTA


def test_a_detached_policy_frees_its_place_under_the_quota(cloud: LocalCloud) -> None:
    iam = cloud.client("iam")
    attach, attached = _role(iam)
    *first_ten, eleventh = _policies(iam, QUOTA + 1)
    for arn in first_ten:
        attach(arn)
    iam.detach_role_policy(RoleName="quota-role", PolicyArn=first_ten[0])

    attach(eleventh)

    assert eleventh in {p["PolicyArn"] for p in attached()}
    assert len(attached()) == QUOTA
