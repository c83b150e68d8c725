"""Standing a SAM template up on moto: resources in dependency order, each by its provisioner.

Each supported resource type has a provisioner (one module per resource family beside this
one) that makes the real moto resource through boto3, so moto validates it as AWS would, and
records what `Ref` and `Fn::GetAtt` return. Types the local cloud cannot emulate are refused
by name rather than skipped in silence.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from localcloud.core import Core
from localcloud.deploy import (
    budgets,
    cloudwatch,
    dynamodb,
    event_sources,
    events,
    iam,
    kms,
    lambda_,
    logs,
    s3,
    secretsmanager,
    sns,
    sqs,
    stepfunctions,
)
from localcloud.deploy.context import DeployContext, Provisioner
from localcloud.deploy.stack import Stack
from localcloud.errors import TemplateError
from localcloud.template import Resolver, load_yaml

PROVISIONERS: dict[str, Provisioner] = {
    **lambda_.PROVISIONERS,
    **stepfunctions.PROVISIONERS,
    **sns.PROVISIONERS,
    **sqs.PROVISIONERS,
    **events.PROVISIONERS,
    **iam.PROVISIONERS,
    **logs.PROVISIONERS,
    **s3.PROVISIONERS,
    **secretsmanager.PROVISIONERS,
    **budgets.PROVISIONERS,
    **cloudwatch.PROVISIONERS,
    **dynamodb.PROVISIONERS,
    **kms.PROVISIONERS,
}
_GLOBALS_SECTION = {
    "AWS::Serverless::Function": "Function",
    "AWS::Serverless::StateMachine": "StateMachine",
}


def _references(node: Any) -> set[str]:
    """Logical ids a piece of template refers to (Ref, GetAtt, Sub)."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value.split(".", 1)[0] if isinstance(value, str) else value[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                local = set(value[1]) if isinstance(value, list) else set()
                for expr in re.findall(r"\$\{([^}!][^}]*)\}", str(text)):
                    if expr not in local:
                        found.add(expr.split(".", 1)[0])
                if isinstance(value, list):
                    found |= _references(value[1])
            else:
                found |= _references(value)
    return found


def _merge_globals(global_props: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """SAM's Globals rules: maps merge, lists append (globals first), scalars are overridden."""
    merged = copy.deepcopy(global_props)
    for key, value in props.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_globals(merged[key], value)
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + value
        else:
            merged[key] = value
    return merged


class Deployer:
    """Creates one stack's resources in dependency order."""

    def __init__(self, core: Core, stack: Stack) -> None:
        self.stack = stack
        self.template = load_yaml(stack.template_path)
        self.globals = self.template.get("Globals") or {}
        resolver = Resolver(
            parameters=stack.parameters,
            region=stack.region,
            account_id=core.account_id,
            stack_name=stack.name,
            lookup_ref=lambda lid: stack.get(lid).ref,
            lookup_att=self._get_att,
            condition_defs=self.template.get("Conditions") or {},
            mappings=self.template.get("Mappings") or {},
        )
        self.context = DeployContext(core, stack, resolver, stack.template_path.parent)

    def deploy(self) -> None:
        resources: dict[str, Any] = self.template["Resources"]
        resolver = self.context.resolver
        for logical_id, body in resources.items():
            if not isinstance(body, dict) or "Type" not in body:
                raise TemplateError(f"resource {logical_id} has no Type")
            if body["Type"] not in PROVISIONERS:
                raise TemplateError(
                    f"{logical_id}: the local cloud cannot emulate {body['Type']}; "
                    f"supported types are {sorted(PROVISIONERS)}"
                )
        for logical_id in self._order(resources):
            body = resources[logical_id]
            condition = body.get("Condition")
            if condition is not None and not resolver.condition(condition):
                self.stack.skipped[logical_id] = condition
                continue
            raw = body.get("Properties") or {}
            section = _GLOBALS_SECTION.get(body["Type"])
            if section:
                raw = _merge_globals(self.globals.get(section) or {}, raw)
            sources = raw.pop("Events", None) if isinstance(raw, dict) else None
            props = resolver.resolve(raw)
            deployed = PROVISIONERS[body["Type"]](self.context, logical_id, props, body)
            self.stack.resources[logical_id] = deployed
            for event_name, event in (sources or {}).items():
                event_sources.add(self.context, logical_id, deployed, event_name, event)
        for name, output in (self.template.get("Outputs") or {}).items():
            condition = output.get("Condition")
            if condition is None or resolver.condition(condition):
                self.stack.outputs[name] = resolver.resolve(output.get("Value"))

    def _order(self, resources: dict[str, Any]) -> list[str]:
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(lid: str, trail: tuple[str, ...]) -> None:
            if state.get(lid) == 2:
                return
            if state.get(lid) == 1:
                raise TemplateError(f"circular dependency: {' -> '.join((*trail, lid))}")
            state[lid] = 1
            body = resources[lid]
            depends = body.get("DependsOn") or []
            section = _GLOBALS_SECTION.get(body["Type"])
            inherited = (self.globals.get(section) or {}) if section else {}
            deps = _references([body.get("Properties") or {}, inherited]) | set(
                [depends] if isinstance(depends, str) else depends
            )
            for dep in sorted(deps):
                if dep in resources and dep != lid:
                    visit(dep, (*trail, lid))
                elif (
                    dep not in resources
                    and dep not in self.stack.parameters
                    and not dep.startswith("AWS::")
                ):
                    raise TemplateError(
                        f"{lid} refers to {dep!r}, which the template does not define"
                    )
            state[lid] = 2
            order.append(lid)

        for lid in resources:
            visit(lid, ())
        return order

    def _get_att(self, logical_id: str, attribute: str) -> Any:
        deployed = self.stack.get(logical_id)
        if attribute not in deployed.attrs:
            raise TemplateError(
                f"Fn::GetAtt {logical_id}.{attribute}: {deployed.type} has {sorted(deployed.attrs)}"
            )
        return deployed.attrs[attribute]
