"""What an EventBridge target receives: Input, InputPath or InputTransformer applied to an event."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from localcloud.services.events.envelope import Timestamp, iso

__all__ = ["InvalidTargetInput", "target_input"]


class InvalidTargetInput(ValueError):
    """A target's Input, InputPath or InputTransformer that cannot produce an input."""


_WILDCARD: Final = object()
_Segment = str | int | object
_PLACEHOLDER: Final = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_RULE_ARN: Final = "aws.events.rule-arn"
_RULE_NAME: Final = "aws.events.rule-name"
_INGESTION_TIME: Final = "aws.events.event.ingestion-time"
_EVENT: Final = "aws.events.event"
_EVENT_JSON: Final = "aws.events.event.json"
_JSON_ONLY: Final = frozenset({_EVENT, _EVENT_JSON})  # documented: only as a JSON field value
_MAX_PATHS: Final = 100


def _parse_path(path: Any, what: str) -> list[_Segment]:
    """EventBridge's JSONPath subset: $, .name, ['name'], [index], .* and [*]."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise InvalidTargetInput(f"{what} must be a JSONPath starting with '$', got {path!r}")
    segments: list[_Segment] = []
    position = 1
    while position < len(path):
        if path[position] == ".":
            match = re.compile(r"\*|[^.\[\]\s]+").match(path, position + 1)
            if match is None:
                raise InvalidTargetInput(f"{what} {path!r}: empty name at position {position}")
            segments.append(_WILDCARD if match.group() == "*" else match.group())
            position = match.end()
        elif path[position] == "[":
            match = re.compile(r"\[(?:(\d+)|(\*)|'([^']*)'|\"([^\"]*)\")\]").match(path, position)
            if match is None:
                raise InvalidTargetInput(f"{what} {path!r}: bad subscript at position {position}")
            index, star, single, double = match.groups()
            if index is not None:
                segments.append(int(index))
            elif star is not None:
                segments.append(_WILDCARD)
            else:
                segments.append(single if single is not None else double)
            position = match.end()
        else:
            raise InvalidTargetInput(f"{what} {path!r}: unexpected {path[position]!r}")
    return segments


def _resolve(segments: list[_Segment], document: Any) -> tuple[bool, Any]:
    """(found, value); a path with a wildcard yields the list of what it reached."""
    nodes = [document]
    many = False
    for segment in segments:
        reached: list[Any] = []
        for node in nodes:
            if segment is _WILDCARD:
                many = True
                if isinstance(node, Mapping):
                    reached.extend(node.values())
                elif isinstance(node, list):
                    reached.extend(node)
            elif isinstance(segment, int):
                if isinstance(node, list) and segment < len(node):
                    reached.append(node[segment])
            elif isinstance(node, Mapping) and segment in node:
                reached.append(node[segment])
        nodes = reached
    if many:
        return True, nodes
    return (True, nodes[0]) if nodes else (False, None)


def target_input(
    target: Mapping[str, Any],
    event: Mapping[str, Any],
    *,
    rule_arn: str,
    rule_name: str,
    ingestion_time: Timestamp | None = None,
) -> Any:
    """What ``target`` (a PutTargets entry) receives for ``event``.

    ``ingestion_time`` feeds <aws.events.event.ingestion-time>; it defaults to the
    event's own ``time`` (the local bus ingests instantly).
    """
    chosen = [
        key for key in ("Input", "InputPath", "InputTransformer") if target.get(key) is not None
    ]
    if len(chosen) > 1:
        raise InvalidTargetInput(
            f"Only one of Input, InputPath or InputTransformer may be set; target has {chosen}"
        )
    if not chosen:
        return copy.deepcopy(dict(event))
    if chosen[0] == "Input":
        text = target["Input"]
        if not isinstance(text, str):
            raise InvalidTargetInput(f"Input must be JSON text, got {type(text).__name__}")
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidTargetInput(f"Input is not valid JSON: {error}") from None
    if chosen[0] == "InputPath":
        found, value = _resolve(_parse_path(target["InputPath"], "InputPath"), event)
        return copy.deepcopy(value) if found else None
    if ingestion_time is None:
        ingestion_time = event.get("time")
    reserved = {
        _RULE_ARN: rule_arn,
        _RULE_NAME: rule_name,
        _INGESTION_TIME: iso(ingestion_time),
        _EVENT: {key: value for key, value in event.items() if key != "detail"},
        _EVENT_JSON: dict(event),
    }
    return _transform(target["InputTransformer"], event, reserved)


def _transform(transformer: Any, event: Mapping[str, Any], reserved: dict[str, Any]) -> Any:
    if not isinstance(transformer, Mapping):
        raise InvalidTargetInput("InputTransformer must be an object")
    template = transformer.get("InputTemplate")
    if not isinstance(template, str) or not template.strip():
        raise InvalidTargetInput("InputTransformer.InputTemplate must be a non-empty string")
    paths = transformer.get("InputPathsMap") or {}
    if not isinstance(paths, Mapping):
        raise InvalidTargetInput("InputTransformer.InputPathsMap must be an object")
    if len(paths) > _MAX_PATHS:
        raise InvalidTargetInput(f"InputPathsMap has {len(paths)} entries; at most 100 allowed")
    variables: dict[str, tuple[bool, Any]] = {}
    for name, path in paths.items():
        if not isinstance(name, str) or not name or name.lower().startswith("aws."):
            raise InvalidTargetInput(
                f"InputPathsMap key {name!r} is invalid: keys are non-empty and may not start "
                "with 'aws.' (reserved for predefined variables)"
            )
        variables[name] = _resolve(_parse_path(path, f"InputPathsMap[{name!r}]"), event)
    for name, value in reserved.items():
        variables[name] = (True, value)

    placeholders = list(_placeholders(template))
    for _, _, name, _ in placeholders:
        if name not in variables:
            raise InvalidTargetInput(
                f"InputTemplate uses <{name}>, which is neither in InputPathsMap nor a "
                f"predefined variable ({', '.join(sorted(reserved))})"
            )

    stripped = template.strip()
    json_mode = stripped[0] in '{["' or _PLACEHOLDER.fullmatch(stripped) is not None
    pieces: list[str] = []
    cursor = 0
    for start, end, name, quoted in placeholders:
        pieces.append(template[cursor:start])
        found, value = variables[name]
        if name in _JSON_ONLY and (quoted or not json_mode):
            raise InvalidTargetInput(
                f"<{name}> can only be used as the value of a JSON field, not inside a string"
            )
        if quoted and json_mode:
            # Inside "...": the value's text, escaped so the template stays valid JSON.
            pieces.append(json.dumps(_as_text(found, value), ensure_ascii=False)[1:-1])
        elif json_mode:
            pieces.append(json.dumps(value if found else None, ensure_ascii=False))
        else:
            pieces.append(_as_text(found, value))
        cursor = end
    pieces.append(template[cursor:])
    rendered = "".join(pieces)
    if not json_mode:
        return rendered
    try:
        return json.loads(rendered)
    except json.JSONDecodeError as error:
        if stripped.startswith('"'):
            lines = _quoted_lines(rendered)
            if lines is not None:
                return "\n".join(lines)
        raise InvalidTargetInput(
            f"InputTemplate does not render to valid JSON ({error}): {rendered!r}"
        ) from None


def _as_text(found: bool, value: Any) -> str:
    if not found:
        return ""  # a path missing from the event creates no variable
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        # AWS drops the inner quotes of an object/array placed inside a string.
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace('"', "")
    return json.dumps(value)


def _placeholders(template: str) -> Iterator[tuple[int, int, str, bool]]:
    """(start, end, name, inside a JSON string) for every <name> in the template."""
    in_string = False
    position = 0
    while position < len(template):
        char = template[position]
        if char == "<":
            match = _PLACEHOLDER.match(template, position)
            if match is not None:
                yield match.start(), match.end(), match.group(1), in_string
                position = match.end()
                continue
        elif char == "\\" and in_string:
            position += 2
            continue
        elif char == '"':
            in_string = not in_string
        position += 1


def _quoted_lines(rendered: str) -> list[str] | None:
    """Multi-line text templates: one JSON string per line, joined by newlines."""
    lines: list[str] = []
    for line in rendered.splitlines():
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            return None
        if not isinstance(value, str):
            return None
        lines.append(value)
    return lines
