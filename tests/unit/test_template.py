"""Static checks of template.yaml and statemachines/ that cfn-lint cannot make."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from localcloud.template import load_yaml
from tests.support.paths import ROOT, TEMPLATE

RESOURCES: dict[str, Any] = load_yaml(TEMPLATE)["Resources"]
FUNCTIONS = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}
MACHINES = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::StateMachine"}
# What every deployment has, whichever automations are on: the alert path and where nothing
# undeliverable is lost.
SUITE = {
    "StewardCommonLayer",
    "AlertTopic",
    "AlertEmailSubscription",
    "TopicKey",
    "TopicKeyAlias",
    "PublishAlertsPolicy",
    "StateMachineLogDeliveryPolicy",
    "FailedInvocationsQueue",
    "FailedInvocationsAlarm",
    "UndeliveredEventsQueue",
    "UndeliveredEventsQueuePolicy",
    "UndeliveredEventsAlarm",
    "UndeliveredNotificationsQueue",
    "UndeliveredNotificationsQueuePolicy",
    "UndeliveredNotificationsAlarm",
}
PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


@pytest.mark.parametrize("logical_id", sorted(MACHINES))
def test_every_asl_placeholder_has_a_substitution_and_every_substitution_is_used(
    logical_id: str,
) -> None:
    props = MACHINES[logical_id]["Properties"]
    text = (ROOT / props["DefinitionUri"]).read_text(encoding="utf-8")
    used = set(PLACEHOLDER.findall(text))
    given = set(props.get("DefinitionSubstitutions", {}))
    assert used - given == set(), f"placeholders without a substitution: {used - given}"
    assert given - used == set(), f"substitutions the definition never uses: {given - used}"


def test_every_asl_file_is_used_by_a_state_machine() -> None:
    used = {m["Properties"]["DefinitionUri"] for m in MACHINES.values()}
    on_disk = {str(p.relative_to(ROOT)) for p in (ROOT / "statemachines").rglob("*.asl.json")}
    assert on_disk == used


@pytest.mark.parametrize(
    "path",
    [
        "template.yaml",
        *sorted(
            str(p.relative_to(ROOT))
            for p in [
                *(ROOT / "statemachines").rglob("*.asl.json"),
                *(ROOT / "functions").rglob("*.py"),
                *(ROOT / "layers").rglob("*.py"),
            ]
        ),
    ],
)
def test_no_account_id_or_region_is_hard_coded(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    assert not re.search(r"(?<![\d.])\d{12}(?![\d.])", text), "an account id"
    assert not re.search(
        r"\b(us|eu|ap|sa|ca|me|af)-(east|west|north|south|central|northeast|southeast)-\d\b", text
    ), "a region"


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_builds_without_docker_and_names_its_service(logical_id: str) -> None:
    function = FUNCTIONS[logical_id]
    build = {k: v for k, v in function["Metadata"].items() if k not in ("checkov", "cfn-lint")}
    assert build == {"BuildMethod": "makefile", "ContextPath": "."}
    assert "POWERTOOLS_SERVICE_NAME" in function["Properties"]["Environment"]["Variables"]


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_handler_is_a_qualified_path_in_its_automations_package(logical_id: str) -> None:
    # functions/<key>/<key>/handlers/<step>.py, Handler <key>.handlers.<step>.lambda_handler
    props = FUNCTIONS[logical_id]["Properties"]
    code_uri = Path(props["CodeUri"])
    key = code_uri.name
    assert code_uri.parent.name == "functions"
    package, handlers, step, attr = props["Handler"].split(".")
    assert (package, handlers, attr) == (key, "handlers", "lambda_handler")
    module = ROOT / code_uri / key / "handlers" / f"{step}.py"
    assert "def lambda_handler(" in module.read_text(encoding="utf-8")


def test_one_code_uri_per_automation() -> None:
    by_key: dict[str, set[str]] = {}
    for function in FUNCTIONS.values():
        props = function["Properties"]
        by_key.setdefault(props["Handler"].split(".")[0], set()).add(props["CodeUri"])
    assert all(len(uris) == 1 for uris in by_key.values()), by_key
    on_disk = {p.name for p in (ROOT / "functions").iterdir() if p.is_dir()}
    assert on_disk == set(by_key)


def test_every_automation_resource_can_be_disabled() -> None:
    for logical_id, resource in RESOURCES.items():
        if logical_id not in SUITE:
            assert "Condition" in resource, f"{logical_id} has no Enable… condition"


def test_the_budget_notifies_only_the_budget_topic() -> None:
    budget = RESOURCES["CostControlBudget"]["Properties"]
    rendered = json.dumps(budget["NotificationsWithSubscribers"])
    assert rendered.count('"Address": {"Ref": "BudgetAlertTopic"}') == 2
    policy = RESOURCES["BudgetAlertTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert [s["Principal"] for s in policy] == [{"Service": "budgets.amazonaws.com"}]


def test_the_policy_swap_is_limited_to_the_two_policies_on_configured_targets() -> None:
    statements = RESOURCES["CostControlActionFunction"]["Properties"]["Policies"][0]["Statement"]
    swaps = [s["Fn::If"][1] for s in statements if "Fn::If" in s]
    assert len(swaps) == 3
    for statement in swaps:
        assert statement["Condition"]["ArnEquals"]["iam:PolicyARN"] == [
            {"Ref": "CostControlFullPolicyArn"},
            {"Ref": "CostControlRestrictedPolicyArn"},
        ]
        # The one wildcard allowed is the ARN prefix's partition and account (Fn::Join takes no
        # function in its delimiter) and the path (a name is unique in the account whatever its
        # path): every name is the parameter's own, exactly.
        resource = json.dumps(statement["Resource"])
        assert "*" not in re.sub(r"arn:\*:iam::\*:(group|role|user)/(\*/)?", "", resource)
    read, record = [s for s in statements if "Fn::If" not in s]
    assert all(a.startswith(("iam:List", "iam:Get")) for a in read["Action"])
    # its own restrictions table, and nothing else, besides IAM
    assert record["Resource"] == {"Fn::GetAtt": ["CostControlRestrictionsTable", "Arn"]}
    assert all(a.startswith("dynamodb:") for a in record["Action"])


def test_the_rotation_function_touches_only_its_secrets() -> None:
    statements = RESOURCES["BearerTokenRotationFunction"]["Properties"]["Policies"][0]["Statement"]
    rotate, read = statements
    assert rotate["Resource"] == {"Ref": "BearerTokenSecret"}
    assert "secretsmanager:PutSecretValue" in rotate["Action"]
    assert read["Action"] == "secretsmanager:GetSecretValue"
    assert "BearerApiKeySecret" in json.dumps(read["Resource"])
    assert "*" not in json.dumps(statements)
    permission = RESOURCES["BearerTokenRotationPermission"]["Properties"]
    assert permission["Principal"] == "secretsmanager.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}


def _statements(logical_id: str) -> list[dict[str, Any]]:
    raw = RESOURCES[logical_id]["Properties"]["Policies"][0]["Statement"]
    return [s["Fn::If"][1] if "Fn::If" in s else s for s in raw]


def test_snapshots_can_be_deleted_only_when_steward_manages_them() -> None:
    [delete] = [
        s for s in _statements("SnapshotRetainFunction") if s["Action"] == "ec2:DeleteSnapshot"
    ]
    assert delete["Condition"] == {
        "StringEquals": {"aws:ResourceTag/steward:managed-by": "steward"}
    }
    assert all(
        "DeleteSnapshot" not in json.dumps(_statements(f))
        for f in ("SnapshotTagFunction", "SnapshotCopyFunction")
    )


def test_snapshot_copies_are_limited_to_the_two_regions() -> None:
    [copy] = [s for s in _statements("SnapshotCopyFunction") if s["Action"] == "ec2:CopySnapshot"]
    rendered = json.dumps(copy["Resource"])
    assert (
        "${AWS::Region}::snapshot/*" in rendered and "${SnapshotDrRegion}::snapshot/*" in rendered
    )
    assert len(copy["Resource"]) == 2


# Layer modules every automation may use although fewer use them today: the local cloud lends
# its scaled clock through `clock`; `bearer_token` is the client for users' applications.
SUITE_WIDE = {"__init__", "clock", "bearer_token", "observability"}


def test_the_layer_holds_no_module_of_a_single_automation() -> None:
    layer = ROOT / "layers" / "steward_common" / "steward_common"
    users: dict[str, set[str]] = {p.stem: set() for p in layer.glob("*.py")}
    for package in (ROOT / "functions").iterdir():
        for module in package.rglob("*.py"):
            text = module.read_text(encoding="utf-8")
            for name in users:
                if re.search(rf"\bsteward_common(\.{name}\b| import [^\n]*\b{name}\b)", text):
                    users[name].add(package.name)
    single = {name: sorted(by) for name, by in users.items() if len(by) < 2}
    assert set(single) <= SUITE_WIDE, single
