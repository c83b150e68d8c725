"""The contracts between the ASL, the template and the functions' code hold (tests/support/
contracts.py says which and why), and the checks find each kind of break."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.template import load_yaml
from tests.support import contracts
from tests.support.paths import ROOT, TEMPLATE

TEMPLATE_DATA: dict[str, Any] = load_yaml(TEMPLATE)
RESOURCES: dict[str, Any] = TEMPLATE_DATA["Resources"]
PARAMETERS: dict[str, Any] = TEMPLATE_DATA["Parameters"]
FUNCTIONS = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}
MACHINES = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::StateMachine"}
CODE = {
    logical_id: contracts.read_code(contracts.automation_files(f["Properties"]["CodeUri"]))
    for logical_id, f in FUNCTIONS.items()
}


def _function_refs(value: Any) -> Iterator[str]:
    """The functions an intrinsic names (`!GetAtt F.Arn`, `!Ref F`, inside `!If` too)."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            name = target[0] if isinstance(target, list) else str(target).split(".")[0]
            if name in FUNCTIONS:
                yield name
        elif value.get("Ref") in FUNCTIONS:
            yield value["Ref"]
        else:
            for item in value.values():
                yield from _function_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _function_refs(item)


def substitutions(logical_id: str) -> dict[str, str]:
    given = MACHINES[logical_id]["Properties"].get("DefinitionSubstitutions", {})
    return {name: f for name, value in given.items() for f in _function_refs(value)}


def definition(logical_id: str) -> Any:
    return contracts.load_definition(ROOT / MACHINES[logical_id]["Properties"]["DefinitionUri"])


@pytest.mark.parametrize("logical_id", sorted(MACHINES))
def test_every_error_name_a_machine_retries_or_catches_is_raised_by_its_functions(
    logical_id: str,
) -> None:
    violations = contracts.error_name_violations(
        logical_id, definition(logical_id), substitutions(logical_id), CODE
    )
    assert not violations, "\n".join(map(str, violations))


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_settings_default_in_the_code_is_the_templates_default(logical_id: str) -> None:
    variables = FUNCTIONS[logical_id]["Properties"].get("Environment", {}).get("Variables", {})
    violations = contracts.settings_violations(logical_id, variables, PARAMETERS, CODE[logical_id])
    assert not violations, "\n".join(map(str, violations))


# The checks themselves: each break of a contract is found (on copies of the real inputs).

POLLER = "BatchJobPollerStateMachine"


def _retry_first_task(definition: dict[str, Any], error: str) -> dict[str, Any]:
    broken = copy.deepcopy(definition)
    for state in broken["States"].values():
        if state.get("Type") == "Task" and "Retry" in state:
            state["Retry"][0]["ErrorEquals"].append(error)
            return broken
    raise AssertionError("no Task with a Retry to break")


@pytest.mark.parametrize(
    ("error", "finding"),
    [
        ("NoSuchError", "no class of that name"),
        ("TransientError", "a base class"),  # a layer class nothing raises itself
        ("InvalidInputError", "a base class"),
        ("ConfigurationError", "nothing in"),  # raised by the layer? see below
    ],
)
def test_a_broken_error_name_is_found(error: str, finding: str) -> None:
    code = dict(CODE)
    if error == "ConfigurationError":
        # a class the code defines but that nothing raises: drop the layer's raises of it
        poller = [f for f in substitutions(POLLER).values()]
        for function in poller:
            code[function] = copy.deepcopy(code[function])
            code[function].raised.discard(error)
    broken = _retry_first_task(definition(POLLER), error)
    violations = contracts.error_name_violations(POLLER, broken, substitutions(POLLER), code)
    assert any(error in str(v) and finding in v.what for v in violations), violations


def test_an_error_name_on_a_state_that_invokes_no_function_is_found() -> None:
    machine = {
        "StartAt": "Wait",
        "States": {
            "Wait": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Retry": [{"ErrorEquals": ["BatchThrottledError"]}],
                "End": True,
            }
        },
    }
    [violation] = contracts.error_name_violations("M", machine, {}, CODE)
    assert "invokes no function" in violation.what


def test_a_settings_default_that_differs_from_the_templates_is_found() -> None:
    function = "BucketSyncPageFunction"
    parameters = copy.deepcopy(PARAMETERS)
    variables = FUNCTIONS[function]["Properties"]["Environment"]["Variables"]
    [(variable, ref)] = [
        (name, value["Ref"])
        for name, value in variables.items()
        if name == "PAGE_SIZE" and isinstance(value, dict) and "Ref" in value
    ]
    parameters[ref]["Default"] = "250"
    [violation] = contracts.settings_violations(function, variables, parameters, CODE[function])
    assert variable in violation.where and "'1000'" in violation.what
