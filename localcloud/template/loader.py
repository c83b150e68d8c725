"""Reading a CloudFormation/SAM template: YAML with the short-form tags (!Ref, !Sub, ...)."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

from localcloud.errors import TemplateError

_SHORT_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "Sub",
            "GetAtt",
            "Join",
            "Select",
            "Split",
            "If",
            "Equals",
            "Not",
            "And",
            "Or",
            "FindInMap",
            "Base64",
            "GetAZs",
            "ImportValue",
            "Cidr",
            "ToJsonString",
            "Length",
        )
    },
}


# libyaml parses a template like Steward's ten times faster; the constructors are the same.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CfnLoader(_SafeLoader):  # type: ignore[misc]  # a base chosen at run time is an Any
    """SafeLoader that understands CloudFormation's short-form tags (!Ref, !Sub, ...)."""


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = _SHORT_TAGS.get(tag_suffix)
    if key is None:
        raise TemplateError(f"unknown YAML tag !{tag_suffix} at {node.start_mark}")
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if key == "Fn::GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {key: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_yaml(path: Path) -> dict[str, Any]:
    """The template as data: a fresh copy each call (callers change what they are given)."""
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise TemplateError(f"template not found: {path}") from exc
    return copy.deepcopy(_load(path.resolve(), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=16)
def _load(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    except FileNotFoundError as exc:
        raise TemplateError(f"template not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or "Resources" not in data:
        raise TemplateError(f"{path} has no Resources section")
    return data
