"""Workflow variables (`Assign`) take effect when the state is done, as Step Functions documents.

"Passing data between states with variables": "All variable references in Step Functions states
use the values as they were on state entry", "The new variable values will be available starting
with the next state", and Assign and Output "are processed in parallel ... assigning variable
values will not affect state Output". moto's interpreter set each variable as soon as the state's
`Assign` was evaluated, so the same state's `Output` (or a Catch's, or a Choice rule's) read the
new value. Here an `Assign` is evaluated where moto evaluates it, and its values are stored when
the state exits; an attempt that fails (and is retried or caught) assigns nothing.

A string assigned as written (`"Assign": {"name": "Mar\\u00eda"}`) is the JSON string, escapes
read (moto kept them as typed), and the history's `assignedVariables` hold each value "as a
serialized JSON representation" (moto quoted strings without escaping them).

"You can reference a variable in any field that accepts a JSONpath expression": a Choice rule
comparing with a variable (`"NumericGreaterThanPath": "$limit"`) compares the rule's Variable
with it; moto compared them the wrong way round (7 > 5 was false).
"""

from __future__ import annotations

import datetime
import json
import weakref
from typing import Any

from localcloud.core import Core, MotoChangedError

__all__ = ["install"]


def _iso(value: Any) -> str:
    # A timestamp from the Context object (moto keeps the execution's StartTime as a datetime).
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _json_string(ctx: Any) -> Any:
    """The value of a JSON string token of the definition (None for `null`)."""
    return json.loads(ctx.getText())


def install(core: Core) -> None:
    from moto.stepfunctions.parser.asl.component.common.assign.assign_decl import AssignDecl
    from moto.stepfunctions.parser.asl.component.common.assign.assign_template_value_terminal import (
        AssignTemplateValueTerminalLit,
    )
    from moto.stepfunctions.parser.asl.component.state.choice.comparison.comparison_func import (
        ComparisonFuncStringVariableSample,
    )
    from moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.factory import (
        OperatorFactory,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.asl.eval.variable_store import (
        IllegalOuterScopeWrite,
        VariableStore,
    )
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    # Read, not replaced: attributes moto's VariableStore declares but does not expose.
    declared = getattr(VariableStore, "__annotations__", {})
    missing = [n for n in ("_outer_scope", "_declaration_tracing") if n not in declared]
    if missing:
        raise MotoChangedError(
            f"moto changed: VariableStore no longer declares {missing}, which the local "
            "cloud's variables read"
        )

    # The values a state assigned, by the variable store (the scope) they go to, until the
    # state exits. Weak: a Map iteration's scope goes when the iteration is done.
    pending: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()

    def assign(self: Any, env: Any) -> None:
        # As moto: every binding evaluated first, against the values on state entry.
        declarations: dict[str, Any] = {}
        for declaration_binding in self.declaration_bindings:
            declaration_binding.eval(env=env)
            declarations.update(env.stack.pop())
        # A variable holds JSON (a timestamp of the Context object is its ISO 8601 string).
        declarations = json.loads(json.dumps(declarations, default=_iso))
        for identifier, value in declarations.items():
            # Refused where moto refuses it, in the state that assigns: "a variable assigned
            # in an inner scope cannot have the same name as one assigned in an outer scope".
            if identifier in env.variable_store._outer_scope:
                raise IllegalOuterScopeWrite(identifier, value)
        pending.setdefault(env.variable_store, {}).update(declarations)

    def flush(env: Any) -> None:
        for identifier, value in pending.pop(env.variable_store, {}).items():
            env.variable_store.set(variable_identifier=identifier, variable_value=value)

    exited_details = core.hooks.original(CommonStateField, "_get_state_exited_event_details")

    def _get_state_exited_event_details(self: Any, env: Any) -> Any:
        flush(env)
        return exited_details(self, env)

    # A failed attempt's Assign is dropped before the Retry or Catch that follows it; the
    # Catch's own Assign is what the state then assigns.
    def forgetting(name: str) -> Any:
        original = core.hooks.original(ExecutionState, name)

        def handler(self: Any, env: Any, failure_event: Any) -> Any:
            pending.pop(env.variable_store, None)
            return original(self, env, failure_event)

        return handler

    def get_assigned_variables(self: Any) -> dict[str, str]:
        return {
            name: json.dumps(
                self.get(name), separators=(",", ":"), ensure_ascii=False, default=_iso
            )
            for name in self._declaration_tracing
        }

    def string_literal(self: Any, ctx: Any) -> Any:
        return AssignTemplateValueTerminalLit(value=_json_string(ctx.string_literal()))

    # In a JSONPath state a "{% … %}" string is a string like any other.
    jsonata_like = core.hooks.original(
        Preprocessor, "visitAssign_template_value_terminal_string_jsonata"
    )

    def string_jsonata_literal(self: Any, ctx: Any) -> Any:
        terminal = jsonata_like(self, ctx)
        if isinstance(terminal, AssignTemplateValueTerminalLit):
            return AssignTemplateValueTerminalLit(value=_json_string(ctx.string_jsonata()))
        return terminal

    def compare_with_variable(self: Any, env: Any) -> None:
        # The rule's Variable is on the stack; a *Path operator takes it from the top and
        # reads its other operand at the path "$" of what lies below: the variable's value.
        variable = env.stack.pop()
        self.string_variable_sample.eval(env=env)
        env.stack.append(variable)
        OperatorFactory.get(self.operator_type).eval(env=env, value=self.value)
        outcome = env.stack.pop()
        env.stack.pop()  # the variable's value
        env.stack.append(outcome)

    core.hooks.replace(ComparisonFuncStringVariableSample, "_eval_body", compare_with_variable)
    core.hooks.replace(
        Preprocessor, "visitAssign_template_value_terminal_string_literal", string_literal
    )
    core.hooks.replace(
        Preprocessor, "visitAssign_template_value_terminal_string_jsonata", string_jsonata_literal
    )
    core.hooks.replace(AssignDecl, "_eval_body", assign)
    core.hooks.replace(
        CommonStateField, "_get_state_exited_event_details", _get_state_exited_event_details
    )
    core.hooks.replace(ExecutionState, "_handle_retry", forgetting("_handle_retry"))
    core.hooks.replace(ExecutionState, "_handle_catch", forgetting("_handle_catch"))
    core.hooks.replace(VariableStore, "get_assigned_variables", get_assigned_variables)
