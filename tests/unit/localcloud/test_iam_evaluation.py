"""IAM policy evaluation, each rule as the IAM User Guide states it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from localcloud.services.iam.conditions import ConditionError
from localcloud.services.iam.evaluation import Request, evaluate, statements

ACCOUNT = "111122223333"  # a sample account, as the IAM User Guide's examples use
ROLE = f"arn:aws:iam::{ACCOUNT}:role/worker"


def policy(*body: dict[str, Any], version: str | None = "2012-10-17") -> list[Any]:
    document: dict[str, Any] = {"Statement": list(body)}
    if version:
        document["Version"] = version
    return statements("test", document)


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def request(action: str, resource: str = "*", **context: Any) -> Request:
    return Request(ROLE, action, resource, context)


def test_actions_match_without_regard_to_case_and_with_wildcards() -> None:
    # IAM JSON policy elements, Action: the service prefix and action name are not case
    # sensitive ("iam:ListAccessKeys" is "IAM:listaccesskeys"); "*" and "?" are wildcards.
    identity = policy(allow("S3:Get*"))
    assert evaluate(request("s3:GetObject"), identity).allowed
    assert not evaluate(request("s3:PutObject"), identity).allowed


def test_resources_match_case_sensitively_with_wildcards_across_slashes() -> None:
    identity = policy(allow("s3:GetObject", "arn:aws:s3:::site/public/*"))
    assert evaluate(request("s3:GetObject", "arn:aws:s3:::site/public/a/b.html"), identity).allowed
    assert not evaluate(
        request("s3:GetObject", "arn:aws:s3:::site/Public/a.html"), identity
    ).allowed


def test_an_explicit_deny_overrides_any_allow() -> None:
    # "If policies that apply to a request include an Allow statement and a Deny statement,
    # the Deny statement trumps the Allow statement. The request is explicitly denied."
    identity = policy(
        allow("s3:*"), {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}
    )
    decision = evaluate(request("s3:DeleteObject", "arn:aws:s3:::b/k"), identity)
    assert (decision.allowed, decision.reason) == (False, "explicitly denied")
    assert decision.statement is not None and decision.statement.index == 1


def test_nothing_allowing_the_request_is_the_implicit_deny() -> None:
    # "An implicit denial occurs when there is no applicable Deny statement but also no
    # applicable Allow statement."
    decision = evaluate(request("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q"), policy())
    assert (decision.allowed, decision.reason) == (False, "no statement allows it")


def test_not_action_and_not_resource_cover_everything_else() -> None:
    identity = policy(
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::open/*"},
    )
    assert evaluate(request("s3:GetObject", "arn:aws:s3:::open/k"), identity).allowed
    assert not evaluate(request("s3:GetObject", "arn:aws:s3:::closed/k"), identity).allowed
    assert not evaluate(request("iam:CreateUser"), identity).allowed


def test_each_configured_principal_is_matched_at_any_iam_path_and_no_other() -> None:
    # The cost-control swap statement's shape: each name at the root and at any path.
    identity = policy(
        allow(
            "iam:AttachGroupPolicy",
            ["arn:*:iam::*:group/devs", "arn:*:iam::*:group/*/devs"],
        )
    )
    for group, allowed in (
        ("devs", True),
        ("teams/devs", True),
        ("a/b/devs", True),
        ("teams/otherdevs", False),
        ("devs2", False),
    ):
        arn = f"arn:aws:iam::{ACCOUNT}:group/{group}"
        assert evaluate(request("iam:AttachGroupPolicy", arn), identity).allowed is allowed, group


CONDITION_CASES = [
    # (operator block, context, holds)
    ({"StringEquals": {"aws:ResourceTag/team": "ops"}}, {"aws:ResourceTag/team": "ops"}, True),
    (
        {"StringEquals": {"aws:ResourceTag/team": ["dev", "ops"]}},
        {"aws:ResourceTag/team": "ops"},
        True,
    ),
    ({"StringEquals": {"aws:ResourceTag/team": "ops"}}, {"aws:ResourceTag/team": "dev"}, False),
    # "If the key ... is not present in the request context, the values do not match and the
    # condition is false."
    ({"StringEquals": {"aws:ResourceTag/team": "ops"}}, {}, False),
    # "If the policy condition requires that the key is not matched, such as StringNotLike or
    # ArnNotLike, and the right key is not present, the condition is true."
    ({"StringNotEquals": {"aws:ResourceTag/team": "ops"}}, {}, True),
    ({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:alerts"}}, {}, True),
    ({"StringEqualsIfExists": {"aws:ResourceTag/team": "ops"}}, {}, True),
    (
        {"StringEqualsIfExists": {"aws:ResourceTag/team": "ops"}},
        {"aws:ResourceTag/team": "x"},
        False,
    ),
    ({"StringLike": {"ec2:CreateAction": "Copy*"}}, {"ec2:CreateAction": "CopySnapshot"}, True),
    ({"Null": {"aws:RequestTag/team": "true"}}, {}, True),
    ({"Null": {"aws:RequestTag/team": "false"}}, {}, False),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a"]}, True),
    (
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}},
        {"aws:TagKeys": ["a", "c"]},
        False,
    ),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {}, True),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["c"]}}, {"aws:TagKeys": ["a", "c"]}, True),
    (
        {"ArnEquals": {"iam:PolicyARN": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}},
        {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        True,
    ),
    (
        {"ArnLike": {"aws:SourceArn": "arn:aws:states:*:111122223333:stateMachine:*"}},
        {"aws:SourceArn": "arn:aws:states:us-east-1:111122223333:stateMachine:m"},
        True,
    ),
    (
        {"ArnLike": {"aws:SourceArn": "arn:aws:states:*:111122223333:stateMachine:*"}},
        {"aws:SourceArn": "arn:aws:states:us-east-1:999999999999:stateMachine:m"},
        False,
    ),
    ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": True}, True),
    (
        {"DateLessThan": {"aws:TokenIssueTime": "2026-12-01T00:00:00Z"}},
        {"aws:TokenIssueTime": datetime(2026, 11, 30, tzinfo=UTC)},
        True,
    ),
    (
        {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
        {"kms:viaservice": "s3.us-east-1.amazonaws.com"},
        True,
    ),
]


@pytest.mark.parametrize(("block", "context", "holds"), CONDITION_CASES)
def test_condition_operators_hold_as_iam_defines_them(
    block: dict[str, Any], context: dict[str, Any], holds: bool
) -> None:
    keys = {key for keys in block.values() for key in keys}
    identity = policy(allow("s3:GetObject", Condition=block))
    known = Request(ROLE, "s3:GetObject", "*", context, frozenset(keys))
    assert evaluate(known, identity).allowed is holds


def test_every_operator_of_a_statement_must_hold() -> None:
    identity = policy(
        allow(
            "s3:GetObject",
            Condition={
                "StringEquals": {"aws:ResourceTag/team": "ops"},
                "Bool": {"aws:SecureTransport": "true"},
            },
        )
    )
    context = {"aws:ResourceTag/team": "ops", "aws:SecureTransport": False}
    assert not evaluate(request("s3:GetObject", **context), identity).allowed


def test_a_key_the_local_cloud_cannot_supply_is_an_error_naming_it_not_a_silent_answer() -> None:
    identity = policy(
        allow("s3:GetObject", Condition={"StringEquals": {"s3:x-amz-acl": "private"}})
    )
    with pytest.raises(ConditionError, match="s3:x-amz-acl"):
        evaluate(request("s3:GetObject"), identity)


def test_an_operator_iam_does_not_define_is_an_error() -> None:
    identity = policy(allow("s3:GetObject", Condition={"StringRoughly": {"aws:username": "a"}}))
    with pytest.raises(ConditionError, match="StringRoughly"):
        evaluate(Request(ROLE, "s3:GetObject", "*", {"aws:username": "a"}), identity)


def test_policy_variables_resolve_only_in_the_2012_language_version() -> None:
    # "2008-10-17 ... variables such as ${aws:username} aren't recognized as variables and are
    # instead treated as literal strings in the policy."
    home = "arn:aws:s3:::home/${aws:username}/*"
    mine = Request(ROLE, "s3:GetObject", "arn:aws:s3:::home/ana/notes", {"aws:username": "ana"})
    assert evaluate(mine, policy(allow("s3:GetObject", home))).allowed
    assert not evaluate(mine, policy(allow("s3:GetObject", home), version="2008-10-17")).allowed
    assert not evaluate(mine, policy(allow("s3:GetObject", home), version=None)).allowed


def test_a_resource_policy_allows_only_the_principals_it_names() -> None:
    # A Lambda function's resource policy (AddPermission) lets a service invoke it.
    function = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"
    resource_policy = statements(
        "function f",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "lambda:InvokeFunction",
                    "Resource": function,
                }
            ],
        },
    )
    by_sns = Request("sns.amazonaws.com", "lambda:InvokeFunction", function)
    by_other = Request("events.amazonaws.com", "lambda:InvokeFunction", function)
    assert evaluate(by_sns, [], resource_policy).allowed
    assert not evaluate(by_other, [], resource_policy).allowed
