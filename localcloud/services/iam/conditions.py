"""IAM condition operators, as the IAM User Guide's "Condition operators" page defines them.

- Within one operator, several keys must all hold; several values for one key are
  alternatives (any one). Several operators in one Condition must all hold.
- "If the key that you specify in a policy condition is not present in the request context,
  the values do not match and the condition is false. If the policy condition requires that
  the key is not matched, such as StringNotLike or ArnNotLike, and the right key is not
  present, the condition is true. This logic applies to all condition operators except
  ...IfExists and Null check."
- `ForAnyValue:` holds when any request value matches; `ForAllValues:` when every request value
  matches (and when the key is absent). Negated operators hold when no value matches.
"""

from __future__ import annotations

import ipaddress
import operator
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.services.iam.evaluation import Request


class ConditionError(ValueError):
    """A condition the local cloud cannot evaluate (an unknown operator, or a key it cannot
    supply for the request): never silently taken as true or false."""


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcards: `*` any run of characters (`/` and `:` too), `?` any one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def _date(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value)
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return datetime.fromtimestamp(float(text), UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _arn_like(pattern: str, value: str) -> bool:
    # ARN operators compare each of the six colon-delimited parts on its own.
    wanted, given = pattern.split(":", 5), value.split(":", 5)
    return len(wanted) == len(given) == 6 and all(
        wildcard_match(p, v) for p, v in zip(wanted, given, strict=True)
    )


def _bool(value: Any) -> str:
    return str(value).lower()


# name -> (matches one request value against one policy value, negated)
_BASE: dict[str, tuple[Callable[[Any, str], bool], bool]] = {
    "StringEquals": (lambda v, p: str(v) == p, False),
    "StringNotEquals": (lambda v, p: str(v) == p, True),
    "StringEqualsIgnoreCase": (lambda v, p: str(v).lower() == p.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda v, p: str(v).lower() == p.lower(), True),
    "StringLike": (lambda v, p: wildcard_match(p, str(v)), False),
    "StringNotLike": (lambda v, p: wildcard_match(p, str(v)), True),
    "Bool": (lambda v, p: _bool(v) == p.lower(), False),
    "BinaryEquals": (lambda v, p: str(v) == p, False),
    "IpAddress": (
        lambda v, p: ipaddress.ip_address(str(v)) in ipaddress.ip_network(p, False),
        False,
    ),
    "NotIpAddress": (
        lambda v, p: ipaddress.ip_address(str(v)) in ipaddress.ip_network(p, False),
        True,
    ),
    "ArnEquals": (lambda v, p: _arn_like(p, str(v)), False),
    "ArnLike": (lambda v, p: _arn_like(p, str(v)), False),
    "ArnNotEquals": (lambda v, p: _arn_like(p, str(v)), True),
    "ArnNotLike": (lambda v, p: _arn_like(p, str(v)), True),
}
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "LessThanEquals": operator.le,
    "GreaterThan": operator.gt,
    "GreaterThanEquals": operator.ge,
}
_CONVERT: dict[str, Callable[[Any], Any]] = {"Numeric": float, "Date": _date}


def _converted(
    compare: Callable[[Any, Any], bool], convert: Callable[[Any], Any]
) -> Callable[[Any, str], bool]:
    return lambda v, p: compare(convert(v), convert(p))


for _family, _convert in _CONVERT.items():
    for _name, _compare in _ORDER.items():
        _BASE[_family + _name] = (_converted(_compare, _convert), False)
    _BASE[_family + "NotEquals"] = (_converted(operator.eq, _convert), True)
OPERATORS = frozenset(_BASE) | {"Null"}


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


def _lookup(request: Request, key: str) -> tuple[bool, Any]:
    lowered = key.lower()  # condition key names are not case-sensitive
    for name, value in request.context.items():
        if name.lower() == lowered:
            return True, value
    if not request.knows(key):
        raise ConditionError(
            f"condition key {key}: the local cloud cannot supply it for {request.action}"
        )
    return False, None


def _operator(name: str, key: str, wanted: list[str], request: Request) -> bool:
    qualifier, _, operator = name.rpartition(":")
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise ConditionError(f"condition operator {name} is not one IAM defines")
    if_exists = operator.endswith("IfExists") and operator != "IfExists"
    base = operator[: -len("IfExists")] if if_exists else operator
    present, value = _lookup(request, key)
    if base == "Null":
        return (not present) == (str(wanted[0]).lower() == "true")
    if base not in _BASE:
        raise ConditionError(f"condition operator {name} is not one IAM defines")
    match, negated = _BASE[base]
    if not present:
        if if_exists:
            return True
        if qualifier == "ForAllValues":
            return True
        return negated  # "...and the right key is not present, the condition is true"
    given = _values(value)

    def hits(item: Any) -> bool:
        return any(match(item, str(p)) for p in wanted)

    if qualifier == "ForAllValues":
        return all((not hits(v)) if negated else hits(v) for v in given)
    if qualifier == "ForAnyValue":
        return any((not hits(v)) if negated else hits(v) for v in given)
    if negated:
        return not any(hits(v) for v in given)
    return any(hits(v) for v in given)


def evaluate_block(
    block: Mapping[str, Any], request: Request, substitute: Callable[[str], str | None]
) -> bool:
    """Whether a statement's whole Condition holds for the request."""
    for name, keys in block.items():
        if not isinstance(keys, Mapping):
            raise ConditionError(f"condition operator {name} must map keys to values")
        for key, values in keys.items():
            wanted: list[str] = []
            for raw in _values(values):
                text = substitute(str(raw)) if isinstance(raw, str) else str(raw).lower()
                if text is not None:
                    wanted.append(text)
            if not _operator(name, key, wanted, request):
                return False
    return True
