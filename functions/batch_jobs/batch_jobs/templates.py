"""Filling `{key}` / `{tool.key}` placeholders from a JSON document (job commands, names)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")


def lookup(document: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted path, or None where any part is missing."""
    node: Any = document
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def fill(text: str, document: Mapping[str, Any]) -> tuple[str, list[str]]:
    """`text` with its placeholders filled, and the paths that had no value (left as they were)."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        value = lookup(document, match.group(1))
        if value is None:
            missing.append(match.group(1))
            return match.group(0)
        return str(value).strip()

    return _PLACEHOLDER.sub(replace, text), missing
