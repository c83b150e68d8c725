"""CostControlActionFunction on moto IAM: swap, idempotency, validation before change, dry run."""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from steward_common import aws
from steward_common.errors import ConfigurationError, InvalidInputError
from tests.support.events import load_event
from tests.support.handlers import lambda_context, load_handler
from tests.support.paths import ACCOUNT_ID

FULL = "arn:aws:iam::aws:policy/AmazonEC2FullAccess"
READ_ONLY = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"
TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'


@pytest.fixture
def iam(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    client = boto3.client("iam")
    client.create_group(GroupName="beta-devs")
    client.attach_group_policy(GroupName="beta-devs", PolicyArn=FULL)
    client.create_role(RoleName="beta-ci", AssumeRolePolicyDocument=TRUST)
    client.attach_role_policy(RoleName="beta-ci", PolicyArn=FULL)
    client.create_user(UserName="alice")
    client.attach_user_policy(UserName="alice", PolicyArn=FULL)
    for key, value in {
        "COST_CONTROL_GROUPS": "beta-devs",
        "COST_CONTROL_ROLES": "beta-ci",
        "COST_CONTROL_USERS": "alice",
        "FULL_POLICY_ARN": FULL,
        "RESTRICTED_POLICY_ARN": READ_ONLY,
        "DRY_RUN": "false",
        "RESTRICTIONS_TABLE": "restrictions",
    }.items():
        monkeypatch.setenv(key, value)
    boto3.client("dynamodb").create_table(
        TableName="restrictions",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "target", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "target", "KeyType": "HASH"}],
    )
    return client


def recorded() -> set[str]:
    items = boto3.client("dynamodb").scan(TableName="restrictions")["Items"]
    return {i["target"]["S"] for i in items}


def failing(operation: str, code: str, *, after: int = 0) -> Any:
    """Make the function's own IAM client fail `operation` with `code` after `after` calls."""
    client = aws.client("iam")
    real = getattr(client, operation)
    calls = {"n": 0}

    def fail(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > after:
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)
        return real(**kwargs)

    return fail


def attached(iam: Any) -> dict[str, list[str]]:
    return {
        "group": [
            p["PolicyArn"]
            for p in iam.list_attached_group_policies(GroupName="beta-devs")["AttachedPolicies"]
        ],
        "role": [
            p["PolicyArn"]
            for p in iam.list_attached_role_policies(RoleName="beta-ci")["AttachedPolicies"]
        ],
        "user": [
            p["PolicyArn"]
            for p in iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]
        ],
    }


def run(event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = load_handler("cost_controls", "cost_action").lambda_handler(
        event, lambda_context()
    )
    return result


def restore_event() -> dict[str, Any]:
    event = load_event("cost_controls/action_restrict.json")
    event["request"]["mode"] = "restore"
    return event


def test_restrict_swaps_every_target_to_the_restricted_policy(iam: Any) -> None:
    result = run(load_event("cost_controls/action_restrict.json"))
    assert attached(iam) == {"group": [READ_ONLY], "role": [READ_ONLY], "user": [READ_ONLY]}
    assert result["changed"] == 3
    record = next(r for r in result["records"] if r["target"] == "group/beta-devs")
    assert (record["before"], record["after"], record["result"]) == ([FULL], [READ_ONLY], "changed")
    assert record["execution"].endswith("restrict-steward-cost-control-2026-11")
    assert "budget" in record["why"]


def test_restrict_twice_changes_nothing_the_second_time(iam: Any) -> None:
    run(load_event("cost_controls/action_restrict.json"))
    again = run(load_event("cost_controls/action_restrict.json"))
    assert again["changed"] == 0
    assert {r["result"] for r in again["records"]} == {"unchanged"}
    assert attached(iam)["group"] == [READ_ONLY]


def test_restore_gives_back_the_full_policy_only_where_it_was_restricted(iam: Any) -> None:
    run(load_event("cost_controls/action_restrict.json"))
    assert recorded() == {"group/beta-devs", "role/beta-ci", "user/alice"}
    iam.detach_user_policy(UserName="alice", PolicyArn=READ_ONLY)  # someone removed it by hand
    result = run(restore_event())
    assert attached(iam) == {"group": [FULL], "role": [FULL], "user": []}
    assert {r["target"]: r["result"] for r in result["records"]}["user/alice"] == "skipped"
    assert recorded() == set()


def test_restore_leaves_alone_a_principal_someone_else_restricted(iam: Any) -> None:
    iam.detach_role_policy(RoleName="beta-ci", PolicyArn=FULL)  # restricted by hand, not Steward
    iam.attach_role_policy(RoleName="beta-ci", PolicyArn=READ_ONLY)
    run(load_event("cost_controls/action_restrict.json"))
    result = run(restore_event())
    assert attached(iam) == {"group": [FULL], "role": [READ_ONLY], "user": [FULL]}
    role = next(r for r in result["records"] if r["target"] == "role/beta-ci")
    assert role["result"] == "skipped" and "not restricted by Steward" in role["why"]


def test_the_migration_step_reports_then_adopts_a_principal_restricted_the_old_way(
    iam: Any,
) -> None:
    iam.detach_role_policy(RoleName="beta-ci", PolicyArn=FULL)  # as the old version left it
    iam.attach_role_policy(RoleName="beta-ci", PolicyArn=READ_ONLY)
    report = run({"request": {"mode": "migrate", "reason": "adopting"}})
    results = {r["target"]: r["result"] for r in report["records"]}
    assert results == {
        "group/beta-devs": "skipped",
        "role/beta-ci": "would-adopt",
        "user/alice": "skipped",
    }
    assert recorded() == set()
    run({"request": {"mode": "migrate", "reason": "adopting", "apply": True}})
    assert recorded() == {"role/beta-ci"}
    run(restore_event())
    assert attached(iam)["role"] == [FULL]


def test_a_principal_at_its_policy_quota_fails_the_restriction_before_any_change(
    iam: Any,
) -> None:
    # GetAccountSummary: AttachedPoliciesPerUserQuota 10; alice has the full policy and 9 more.
    for n in range(9):
        arn = iam.create_policy(
            PolicyName=f"extra-{n}",
            PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
        )["Policy"]["Arn"]
        iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    # (by name: the local cloud's Lambda runtime loads the package afresh, and names are API)
    with pytest.raises(Exception, match=r"user/alice \(10 attached, quota 10\)") as raised:
        run(load_event("cost_controls/action_restrict.json"))
    assert type(raised.value).__name__ == "PolicyQuotaExceededError"
    assert attached(iam)["group"] == [FULL] and attached(iam)["role"] == [FULL]
    assert recorded() == set()


@pytest.mark.parametrize(
    ("code", "error"), [("Throttling", "IamThrottledError"), ("ServiceFailure", "SwapFailedError")]
)
def test_a_change_that_fails_half_way_undoes_the_runs_changes(
    iam: Any, monkeypatch: pytest.MonkeyPatch, code: str, error: str
) -> None:
    client = aws.client("iam")
    monkeypatch.setattr(client, "attach_user_policy", failing("attach_user_policy", code))
    with pytest.raises(Exception, match="undone") as raised:
        run(load_event("cost_controls/action_restrict.json"))
    assert type(raised.value).__name__ == error
    assert attached(iam) == {"group": [FULL], "role": [FULL], "user": [FULL]}
    assert recorded() == set()


def test_an_undo_that_fails_too_names_the_state_of_every_target(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = aws.client("iam")
    monkeypatch.setattr(
        client, "attach_user_policy", failing("attach_user_policy", "ServiceFailure")
    )
    # the group's swap attaches once; the undo's attach back of its full policy fails
    monkeypatch.setattr(
        client, "attach_group_policy", failing("attach_group_policy", "ServiceFailure", after=1)
    )
    with pytest.raises(Exception, match="undoing it failed") as raised:
        run(load_event("cost_controls/action_restrict.json"))
    assert type(raised.value).__name__ == "UndoFailedError"
    message = str(raised.value)
    assert f"group/beta-devs: {READ_ONLY}" in message
    assert f"user/alice: {FULL}" in message


def test_a_missing_target_fails_before_any_target_changes(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COST_CONTROL_GROUPS", "beta-devs,no-such-group")
    with pytest.raises(InvalidInputError, match="group/no-such-group"):
        run(load_event("cost_controls/action_restrict.json"))
    assert attached(iam) == {"group": [FULL], "role": [FULL], "user": [FULL]}


def test_a_missing_policy_fails_before_any_change(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESTRICTED_POLICY_ARN", f"arn:aws:iam::{ACCOUNT_ID}:policy/does-not-exist")
    with pytest.raises(InvalidInputError, match="does-not-exist does not exist"):
        run(load_event("cost_controls/action_restrict.json"))
    assert attached(iam)["group"] == [FULL]


def test_dry_run_reports_the_change_and_makes_none(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRY_RUN", "true")
    result = run(load_event("cost_controls/action_restrict.json"))
    assert result["dry_run"] is True
    assert {r["result"] for r in result["records"]} == {"would-change"}
    assert attached(iam) == {"group": [FULL], "role": [FULL], "user": [FULL]}


@pytest.mark.parametrize("bad", [{"request": {"mode": "nuke"}}, {"request": "restrict"}, {}])
def test_a_malformed_request_is_a_typed_error_and_changes_nothing(
    iam: Any, bad: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInputError, match="invalid cost-control request"):
        run(copy.deepcopy(bad))
    assert attached(iam)["group"] == [FULL]


def test_no_configured_target_is_a_configuration_error(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("COST_CONTROL_GROUPS", "COST_CONTROL_ROLES", "COST_CONTROL_USERS"):
        monkeypatch.setenv(key, "")
    with pytest.raises(ConfigurationError, match="no targets"):
        run(load_event("cost_controls/action_restrict.json"))
