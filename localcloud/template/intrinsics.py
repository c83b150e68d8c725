"""Parameters, conditions and intrinsic functions, with CloudFormation's semantics.

Only the CloudFormation features SAM templates really use are implemented, but each one
with CloudFormation's semantics, so that what stands up locally is what would deploy.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from localcloud.errors import TemplateError

NO_VALUE = object()  # AWS::NoValue: the property disappears


# --------------------------------------------------------------------------- parameters


def resolve_parameters(template: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values after defaults and overrides, checked as CloudFormation checks them."""
    declared: dict[str, Any] = template.get("Parameters") or {}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(f"parameters {unknown} are not declared in the template")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in overrides:
            raw = overrides[name]
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            raise TemplateError(f"parameter {name} has no default and no value was given")
        ptype = spec.get("Type", "String")
        if isinstance(raw, list):
            raw = ",".join(str(v) for v in raw)
        text = str(raw).lower() if isinstance(raw, bool) else str(raw)
        allowed = spec.get("AllowedValues")
        if allowed is not None and text not in [str(a) for a in allowed]:
            raise TemplateError(f"parameter {name}={text!r} is not one of {allowed}")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and not re.fullmatch(pattern, text):
            raise TemplateError(f"parameter {name}={text!r} does not match {pattern}")
        if ptype == "Number":
            try:
                float(text)
            except ValueError:
                raise TemplateError(f"parameter {name}={text!r} is not a number") from None
            for bound, ok in (("MinValue", float.__ge__), ("MaxValue", float.__le__)):
                if bound in spec and not ok(float(text), float(spec[bound])):
                    raise TemplateError(f"parameter {name}={text} violates {bound} {spec[bound]}")
            values[name] = text
        elif ptype == "CommaDelimitedList" or ptype.startswith("List<"):
            values[name] = [v.strip() for v in text.split(",")] if text else []
        else:
            values[name] = text
    return values


# --------------------------------------------------------------------------- intrinsics


@dataclass
class Resolver:
    """Evaluates intrinsic functions against one stack's parameters, conditions and resources.

    `lookup_ref(logical_id)` and `lookup_att(logical_id, attribute)` come from the deployer,
    which knows what each created resource is called.
    """

    parameters: dict[str, Any]
    region: str
    account_id: str
    stack_name: str
    lookup_ref: Callable[[str], Any]
    lookup_att: Callable[[str, str], Any]
    condition_defs: dict[str, Any] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, bool] = field(default_factory=dict, init=False)
    _evaluating: list[str] = field(default_factory=list, init=False)

    def pseudo(self, name: str) -> Any:
        table = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local"
            ),
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
            "AWS::NotificationARNs": [],
        }
        if name not in table:
            raise TemplateError(f"unknown pseudo parameter {name}")
        return table[name]

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.parameters:
            return self.parameters[name]
        return self.lookup_ref(name)

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.resolve(item) for item in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            handler = self._functions().get(key)
            if handler is not None:
                return handler(arg)
        return {
            k: v for k, v in ((k, self.resolve(v)) for k, v in node.items()) if v is not NO_VALUE
        }

    def condition(self, name: str) -> bool:
        """A condition's value, evaluated on first use (conditions may refer to conditions)."""
        if name in self.conditions:
            return self.conditions[name]
        if name not in self.condition_defs:
            raise TemplateError(f"unknown condition {name}")
        if name in self._evaluating:
            raise TemplateError(f"condition {name} refers to itself through {self._evaluating}")
        self._evaluating.append(name)
        try:
            self.conditions[name] = self._truth(self.condition_defs[name])
        finally:
            self._evaluating.pop()
        return self.conditions[name]

    # -- the functions themselves

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": lambda a: self.ref(a),
            "Condition": lambda a: self.condition(a),
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": lambda a: self.resolve(a[1])[int(self.resolve(a[0]))],
            "Fn::Split": lambda a: str(self.resolve(a[1])).split(a[0]),
            "Fn::If": self._if,
            "Fn::Equals": lambda a: str(self.resolve(a[0])) == str(self.resolve(a[1])),
            "Fn::Not": lambda a: not self._truth(a[0]),
            "Fn::And": lambda a: all(self._truth(c) for c in a),
            "Fn::Or": lambda a: any(self._truth(c) for c in a),
            "Fn::FindInMap": self._find_in_map,
            "Fn::Base64": lambda a: base64.b64encode(str(self.resolve(a)).encode()).decode(),
            "Fn::GetAZs": lambda a: [f"{self.region}{z}" for z in "abc"],
            "Fn::ToJsonString": lambda a: json.dumps(self.resolve(a), separators=(",", ":")),
            "Fn::Length": lambda a: len(self.resolve(a)),
        }

    def _truth(self, node: Any) -> bool:
        value = self.resolve(node)
        if not isinstance(value, bool):
            raise TemplateError(f"condition expression {node!r} is not a boolean")
        return value

    def _join(self, arg: list[Any]) -> str:
        delimiter, values = arg
        if not isinstance(delimiter, str):
            # "For the Fn::Join delimiter, you can't use any functions. You must specify a
            # string value." (CloudFormation template reference, Fn::Join)
            raise TemplateError(
                f"Fn::Join: the delimiter must be a literal string, not {delimiter!r}"
            )
        return delimiter.join(str(v) for v in self.resolve(values))

    def _if(self, arg: list[Any]) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)

    def _get_att(self, arg: Any) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        logical_id, attribute = arg[0], self.resolve(arg[1])
        return self.lookup_att(logical_id, attribute)

    def _find_in_map(self, arg: list[Any]) -> Any:
        name, top, second = (self.resolve(a) for a in arg)
        try:
            return self.mappings[name][top][second]
        except KeyError:
            raise TemplateError(f"Fn::FindInMap {name}/{top}/{second} not found") from None

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.resolve(v) for k, v in arg[1].items()}
        else:
            text, variables = arg, {}

        def replace(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("!"):
                return "${" + expr[1:] + "}"
            if expr in variables:
                value = variables[expr]
            elif "." in expr and not expr.startswith("AWS::"):
                logical_id, attribute = expr.split(".", 1)
                value = self.lookup_att(logical_id, attribute)
            else:
                value = self.ref(expr)
            if isinstance(value, list):
                value = ",".join(str(v) for v in value)
            return str(value)

        return re.sub(r"\$\{([^}]+)\}", replace, str(text))


def substitute_definition(text: str, substitutions: Mapping[str, Any], where: str) -> str:
    """Replace `${Name}` placeholders in an ASL definition, as SAM's DefinitionSubstitutions.

    A placeholder without a substitution is an error here, although SAM would pass it through:
    Step Functions would then reject or misroute the state, so it is caught before deploying.
    """

    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in substitutions:
            missing.append(name)
            return match.group(0)
        value = substitutions[name]
        return value if isinstance(value, str) else json.dumps(value)

    result = re.sub(r"\$\{([A-Za-z0-9_.:-]+)\}", replace, text)
    if missing:
        raise TemplateError(f"{where}: no DefinitionSubstitutions for {sorted(set(missing))}")
    return result
