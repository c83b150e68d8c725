"""Contracts between template.yaml, the state machines' ASL and the functions' code, checked
statically (nothing is imported or run).

- Error names: Step Functions matches a Retry's or Catch's `ErrorEquals` against the error
  name Lambda reports, which for Python is the raised exception's class name, exactly (a base
  class never matches its subclasses). So each name a state lists, other than Step Functions'
  own (`States.*`) and the integrations' (`Lambda.*`, `Batch.*`), must be a class that the
  invoked functions' code defines or imports, that some code raises, and that no other class
  of that code derives from.
- Settings: each setting a function reads with a default (`env_int("PAGE_SIZE", 1000)`) must
  default to what the template's parameter defaults to, where the template passes it that
  parameter; a deployment and a bare invocation then behave alike.
"""

from __future__ import annotations

import ast
import json
import operator
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.paths import ROOT

LAYER = ROOT / "layers" / "steward_common" / "steward_common"
OWN_PREFIXES = ("States.", "Lambda.", "Batch.")
READERS = {"env_str", "env_int", "env_bool", "env_list"}


# ---------------------------------------------------------------------------- the code


@dataclass
class Code:
    """What a body of Python code defines, imports and raises (class names)."""

    bases: dict[str, set[str]] = field(default_factory=dict)  # class -> its base names
    imported: set[str] = field(default_factory=set)
    raised: set[str] = field(default_factory=set)
    # setting name -> {default value as written in the code}
    defaults: dict[str, set[str]] = field(default_factory=dict)

    def subclasses_of(self, name: str) -> set[str]:
        return {cls for cls, bases in self.bases.items() if name in bases}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


_OPS = {ast.Mult: operator.mul, ast.Pow: operator.pow, ast.Add: operator.add}


def _constant(node: ast.expr, names: Mapping[str, ast.expr]) -> Any:
    """A literal default, arithmetic on literals (`512 * 1024**2`), or a module-level constant
    of the automation's code (`MAX_SINGLE_COPY`)."""
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_constant(node.left, names), _constant(node.right, names))
    if isinstance(node, ast.Name) and node.id in names:
        return _constant(names[node.id], names)
    return ast.literal_eval(node)


def _default(call: ast.Call, reader: str, names: Mapping[str, ast.expr]) -> str | None:
    """The default a settings reader call gives, as the environment would spell it."""
    given = call.args[1] if len(call.args) > 1 else None
    for keyword in call.keywords:
        if keyword.arg == "default":
            given = keyword.value
    if given is None:
        # env_bool defaults to False and env_list to empty; env_str and env_int have none
        return {"env_bool": "false", "env_list": ""}.get(reader)
    value = _constant(given, names)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_code(files: Iterable[Path]) -> Code:
    code = Code()
    trees = [ast.parse(p.read_text(encoding="utf-8"), filename=str(p)) for p in files]
    # module-level `NAME = value` of every module: what a default may be spelled with
    names = {
        target.id: node.value
        for tree in trees
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                code.bases[node.name] = {n for b in node.bases if (n := _name(b))}
            elif isinstance(node, ast.ImportFrom):
                code.imported.update(alias.asname or alias.name for alias in node.names)
            elif isinstance(node, ast.Raise) and node.exc is not None:
                if (raised := _name(node.exc)) is not None:
                    code.raised.add(raised)
            elif isinstance(node, ast.Call) and _name(node) in READERS and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    default = _default(node, str(_name(node)), names)
                    if default is not None:
                        code.defaults.setdefault(first.value, set()).add(default)
    return code


def automation_files(code_uri: str) -> list[Path]:
    """A function's code as Lambda has it: its automation's package and the layer."""
    return sorted((ROOT / code_uri).rglob("*.py")) + sorted(LAYER.rglob("*.py"))


# ---------------------------------------------------------------------------- the ASL


def _placeholders(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if value.startswith("${") and value.endswith("}"):
            yield value[2:-1]
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _placeholders(item)
    elif isinstance(value, list):
        for item in value:
            yield from _placeholders(item)


def _nested(state: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for branch in state.get("Branches") or []:
        yield from branch["States"].values()
    for key in ("Iterator", "ItemProcessor"):
        if key in state:
            yield from state[key]["States"].values()


def _invoked(state: Mapping[str, Any], functions: Mapping[str, str]) -> set[str]:
    """The functions a state invokes, itself or through the states inside it; `functions`
    maps a definition substitution to the function it names."""
    found: set[str] = set()
    if state.get("Type") == "Task":
        for key in ("Resource", "Parameters", "Arguments"):
            found |= {functions[p] for p in _placeholders(state.get(key)) if p in functions}
    for inner in _nested(state):
        found |= _invoked(inner, functions)
    return found


def error_names(definition: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], str]]:
    """(state name, state, error name) for every ErrorEquals entry, nested states included."""
    for name, state in definition["States"].items():
        for rule in [*state.get("Retry", []), *state.get("Catch", [])]:
            for error in rule["ErrorEquals"]:
                yield name, state, error
        for inner in _nested(state):
            yield from error_names({"States": {"(inner)": inner}})


@dataclass(frozen=True)
class Violation:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def error_name_violations(
    machine: str,
    definition: Mapping[str, Any],
    functions: Mapping[str, str],
    code_of: Mapping[str, Code],
) -> list[Violation]:
    """`functions`: substitution -> function logical id; `code_of`: function -> its code."""
    found: list[Violation] = []
    for state_name, state, error in error_names(definition):
        if error.startswith(OWN_PREFIXES):
            continue
        invoked = sorted(_invoked(state, functions))
        where = f"{machine}.{state_name} {error}"
        if str(state.get("Resource", "")).endswith(".waitForTaskToken") and (
            f"--error {error} " in json.dumps(state.get("Parameters"))
        ):
            continue  # the error a person sends back with the command the task publishes
        if not invoked:
            found.append(Violation(where, "the state invokes no function that could raise it"))
            continue
        codes = [code_of[f] for f in invoked]
        if not any(error in c.bases or error in c.imported for c in codes):
            found.append(Violation(where, f"no class of that name in {', '.join(invoked)}"))
        elif not any(error in c.raised for c in codes):
            found.append(Violation(where, f"nothing in {', '.join(invoked)} raises it"))
        for c in codes:
            if subclasses := c.subclasses_of(error):
                found.append(
                    Violation(
                        where,
                        f"a base class ({', '.join(sorted(subclasses))} derive from it): "
                        "Step Functions matches the raised class's own name only",
                    )
                )
                break
    return found


def settings_violations(
    function: str, variables: Mapping[str, Any], parameters: Mapping[str, Any], code: Code
) -> list[Violation]:
    """Each variable the template sets from a parameter against the code's default for it."""
    found: list[Violation] = []
    for variable, value in variables.items():
        if not (isinstance(value, Mapping) and set(value) == {"Ref"}):
            continue
        parameter = parameters.get(value["Ref"])
        if parameter is None or "Default" not in parameter:
            continue
        expected = str(parameter["Default"])
        for default in sorted(code.defaults.get(variable, set())):
            if default.lower() != expected.lower():
                found.append(
                    Violation(
                        f"{function} {variable}",
                        f"the code defaults to {default!r}, {value['Ref']} to {expected!r}",
                    )
                )
    return found


def load_definition(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
