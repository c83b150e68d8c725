"""Definitions Step Functions rejects are rejected when the state machine is created or updated.

AWS ("Reserved characters in intrinsic functions"): "The following characters are reserved
for intrinsic functions, and must be escaped with a backslash ('\\') if you want them to appear
in the Value: ' { } and \\. If the character \\ needs to appear as part of the value without
serving as an escape character, it must first be escaped with a backslash." The literal
strings \\' \\{ \\} and \\\\ are the only escapes it lists. So a string argument with any other
backslash (\\n, \\q) or with no closing quote is not an intrinsic function call, and
CreateStateMachine answers `InvalidDefinition` ("... must be a valid JSONPath or a valid
intrinsic function call at <where>", the message CloudFormation passes on from the API).

moto accepted such a definition (its intrinsic parser printed the syntax error and went on),
and its executions then produced a value AWS never would, or failed at run time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TypeGuard

from localcloud.core import Core

__all__ = ["ESCAPABLE", "install", "intrinsic_errors"]

# What may follow a backslash inside an intrinsic function's string literal.
ESCAPABLE = frozenset("'{}\\")
# The fields of a state whose ".$" members are paths or intrinsic function calls.
_TEMPLATE_FIELDS = ("Parameters", "ResultSelector", "ItemSelector", "Assign")
_PATH_FIELDS = ("ErrorPath", "CausePath")


def _literals_are_valid(call: str) -> bool:
    """Every quoted string argument is closed and escapes only the reserved characters."""
    quoted = False
    index = 0
    while index < len(call):
        char = call[index]
        if quoted and char == "\\":
            if call[index + 1 : index + 2] not in ESCAPABLE:
                return False
            index += 2
            continue
        if char == "'":
            quoted = not quoted
        index += 1
    return not quoted


def _is_intrinsic(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and value.lstrip().startswith("States.")


def _template_errors(template: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(template, dict):
        for key, value in template.items():
            if key.endswith(".$") and _is_intrinsic(value):
                if not _literals_are_valid(value):
                    yield key, where
            elif isinstance(value, dict | list):
                yield from _template_errors(value, f"{where}/{key}")
    elif isinstance(template, list):
        for index, value in enumerate(template):
            yield from _template_errors(value, f"{where}/{index}")


def _states_errors(states: Any, where: str) -> Iterator[tuple[str, str]]:
    if not isinstance(states, dict):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        here = f"{where}/{name}"
        for field in _TEMPLATE_FIELDS:
            if field in state:
                yield from _template_errors(state[field], f"{here}/{field}")
        for field in _PATH_FIELDS:
            value = state.get(field)
            if _is_intrinsic(value) and not _literals_are_valid(value):
                yield field, here
        for field in ("ItemProcessor", "Iterator"):
            processor = state.get(field)
            if isinstance(processor, dict):
                yield from _states_errors(processor.get("States"), f"{here}/{field}/States")
        for index, branch in enumerate(state.get("Branches") or []):
            if isinstance(branch, dict):
                yield from _states_errors(branch.get("States"), f"{here}/Branches/{index}/States")


def intrinsic_errors(definition: str) -> list[str]:
    """AWS's message for each intrinsic function call of the definition it would refuse."""
    try:
        document = json.loads(definition)
    except ValueError:
        return []  # not JSON: moto's own validation says so
    if not isinstance(document, dict):
        return []
    return [
        "SCHEMA_VALIDATION_FAILED: The value for the field "
        f"'{field}' must be a valid JSONPath or a valid intrinsic function call at {where}"
        for field, where in _states_errors(document.get("States"), "/States")
    ]


def install(core: Core) -> None:
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = core.hooks.original(StepFunctionsParserBackend, "_validate_definition")

    def _validate_definition(definition: str) -> None:
        errors = intrinsic_errors(definition)
        if errors:
            raise AWSError(
                f"Invalid State Machine Definition: '{', '.join(errors)}'",
                exception_type="InvalidDefinition",
            )
        original(definition)

    core.hooks.replace(
        StepFunctionsParserBackend, "_validate_definition", staticmethod(_validate_definition)
    )
