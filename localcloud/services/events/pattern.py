"""EventBridge event patterns: validation as PutRule does it, matching as EventBridge does.

Pure standard library. Behaviour follows EventBridge (which runs on AWS's Event Ruler),
not moto: see the notes at each function for the rules that are easy to get wrong.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

__all__ = ["InvalidEventPattern", "matches", "validate_pattern", "wildcard_complexity"]


class InvalidEventPattern(ValueError):
    """An event pattern that EventBridge's PutRule would reject."""

    @property
    def reason(self) -> str:
        """The message without its "Event pattern is not valid. Reason: " prefix."""
        return str(self).removeprefix(_PREFIX)


# ----------------------------------------------------------------------------- patterns

_OR: Final = "$or"
_OPERATORS: Final = frozenset(
    {
        "prefix",
        "suffix",
        "equals-ignore-case",
        "anything-but",
        "numeric",
        "exists",
        "cidr",
        "wildcard",
    }
)
_ANYTHING_BUT_OPERATORS: Final = frozenset({"prefix", "suffix", "equals-ignore-case", "wildcard"})
_NUMERIC_OPERATORS: Final = frozenset({"<", "<=", "=", ">=", ">"})
# Event Ruler's ComparableNumber: numeric matching only covers +/-5e9 with 6 decimals.
_NUMERIC_LIMIT: Final = Decimal(5_000_000_000)
_NUMERIC_DECIMALS: Final = 6
_MISSING: Final = object()


_PREFIX: Final = "Event pattern is not valid. Reason: "
_SEPARATOR: Final = "."
_STAR: Final = object()
# "If a rule is too complex, EventBridge returns an InvalidEventPatternException when attempting
# to create the rule" (User Guide, "Wildcards and event pattern complexity"); the text AWS sends:
_TOO_COMPLEX: Final = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
    "sequences after a wildcard character"
)
# The User Guide gives neither the measure nor the limit. The measure is Event Ruler's
# MachineComplexityEvaluator (below); the limit is the local cloud's choice: with it, the one
# published rejection we know of is reproduced (four `*:stack/<name>/*` wildcards on one field
# refused, three accepted: github.com/vals-ai/Valkyrie/pull/278).
WILDCARD_COMPLEXITY_LIMIT: Final = 10


def _fail(message: str) -> InvalidEventPattern:
    return InvalidEventPattern(f"{_PREFIX}{message}")


def _is_number(value: object) -> bool:
    # bool is an int subclass in Python but never a JSON number.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _decimal(value: int | float) -> Decimal:
    # repr() gives the shortest text that round-trips, so 0.1 stays 0.1.
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _comparable(value: object, where: str) -> Decimal:
    """A pattern number as Event Ruler accepts it for numeric/anything-but comparison."""
    if not _is_number(value):
        raise _fail(f"Value of {where} must be numeric")
    assert isinstance(value, int | float)
    try:
        number = _decimal(value)
    except InvalidOperation:
        raise _fail(f"Value of {where} must be a finite number") from None
    if not number.is_finite():
        raise _fail(f"Value of {where} must be a finite number")
    if abs(number) > _NUMERIC_LIMIT:
        raise _fail(f"Value of {where} must be between -5000000000 and 5000000000, inclusive")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > _NUMERIC_DECIMALS:
        raise _fail(f"Value of {where} has more than 6 decimal places")
    return number


def validate_pattern(pattern: Any) -> None:
    """Raise InvalidEventPattern unless ``pattern`` is one EventBridge would accept.

    The top-level ``{}`` is accepted (it matches every event); nested empty objects are not.
    """
    if not isinstance(pattern, Mapping):
        raise _fail(f"Filter is not an object (got {type(pattern).__name__})")
    _validate_object(pattern, path="", inside_or=False)
    wildcards: dict[str, list[str]] = {}
    _collect_wildcards(pattern, "", wildcards)
    for texts in wildcards.values():
        if wildcard_complexity(texts) > WILDCARD_COMPLEXITY_LIMIT:
            raise _fail(_TOO_COMPLEX)


def _collect_wildcards(node: Mapping[str, Any], path: str, found: dict[str, list[str]]) -> None:
    """Every wildcard text (wildcard and anything-but/wildcard) by the field name it tests,
    joined with dots as EventBridge compiles names ($or branches name the same fields)."""
    for key, value in node.items():
        if key == _OR:
            for branch in value:
                _collect_wildcards(branch, path, found)
            continue
        where = f"{path}{_SEPARATOR}{key}" if path else key
        if isinstance(value, Mapping):
            _collect_wildcards(value, where, found)
            continue
        for item in value:
            if not isinstance(item, Mapping):
                continue
            ((operator, operand),) = item.items()
            if operator == "wildcard":
                found.setdefault(where, []).append(operand)
            elif operator == "anything-but" and isinstance(operand, Mapping):
                ((inner, texts),) = operand.items()
                if inner == "wildcard":
                    listed = texts if isinstance(texts, list) else [texts]
                    found.setdefault(where, []).extend(listed)


def _wildcard_tokens(text: str) -> list[object]:
    tokens: list[object] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            tokens.append(next(chars))
        else:
            tokens.append(_STAR if char == "*" else char)
    return tokens


def wildcard_complexity(texts: list[str]) -> int:
    """Event Ruler's complexity of one field's wildcard values: the most wildcard-pattern
    states a worst-case value keeps alive at once (MachineComplexityEvaluator: "the maximum
    number of states a traversal could be present in simultaneously, counting only states
    that can lead to a wildcard match pattern").

    Each value is a small automaton (a `*` is a state that loops on every character); every
    set of states some value can reach is explored, and the largest is the complexity.
    """
    patterns = [_wildcard_tokens(text) for text in dict.fromkeys(texts)]
    alphabet = {t for tokens in patterns for t in tokens if isinstance(t, str)}
    symbols: list[str | None] = [*sorted(alphabet), None]  # None: any other character

    def closure(states: set[tuple[int, int]]) -> frozenset[tuple[int, int]]:
        pending, seen = list(states), set(states)
        while pending:
            p, i = pending.pop()
            if i < len(patterns[p]) and patterns[p][i] is _STAR and (p, i + 1) not in seen:
                seen.add((p, i + 1))  # a star also matches nothing
                pending.append((p, i + 1))
        return frozenset(seen)

    def step(states: frozenset[tuple[int, int]], symbol: str | None) -> set[tuple[int, int]]:
        reached: set[tuple[int, int]] = set()
        for p, i in states:
            if i >= len(patterns[p]):
                continue
            token = patterns[p][i]
            if token is _STAR:
                reached.add((p, i))
            elif symbol is not None and token == symbol:
                reached.add((p, i + 1))
        return reached

    start = closure({(p, 0) for p in range(len(patterns))})
    seen_sets = {start}
    pending = [start]
    worst = 0
    while pending:
        states = pending.pop()
        for symbol in symbols:
            reached = step(states, symbol)
            if not reached:
                continue
            # Count the states a character leads to (not the empty matches of a star).
            worst = max(worst, len(reached))
            if worst > WILDCARD_COMPLEXITY_LIMIT:
                return worst
            following = closure(reached)
            if following not in seen_sets:
                seen_sets.add(following)
                pending.append(following)
    return worst


def _validate_object(node: Mapping[str, Any], *, path: str, inside_or: bool) -> None:
    if not node and path:
        raise _fail(f"Empty objects are not allowed (at {path!r})")
    for key, value in node.items():
        if not isinstance(key, str):
            raise _fail(f"field names must be strings, got {key!r}")
        where = f"{path}.{key}" if path else key
        if key == _OR:
            _validate_or(value, path=path or "<root>")
            continue
        if inside_or and key in _OPERATORS:
            raise _fail(f"{key} is Ruler reserved fieldName which cannot be used inside $or.")
        if isinstance(value, Mapping):
            _validate_object(value, path=where, inside_or=inside_or)
        elif isinstance(value, list):
            _validate_leaf(value, where)
        else:
            raise _fail(f'"{key}" must be an object or an array (at {where!r})')


def _validate_or(value: Any, *, path: str) -> None:
    if not isinstance(value, list):
        raise _fail(f"$or must be an array of patterns (at {path!r})")
    if len(value) < 2:
        raise _fail(f"There must have at least 2 Objects in $or relationship (at {path!r})")
    for branch in value:
        if not isinstance(branch, Mapping):
            raise _fail(f"Only JSON object is allowed in array of $or relationship (at {path!r})")
        if not branch:
            raise _fail(f"Empty objects are not allowed in $or (at {path!r})")
        _validate_object(branch, path=path, inside_or=True)


def _validate_leaf(values: list[Any], where: str) -> None:
    if not values:
        raise _fail(f"Empty arrays are not allowed (at {where!r})")
    for item in values:
        if isinstance(item, Mapping):
            _validate_expression(item, where)
        elif item is None or isinstance(item, str | bool) or _is_number(item):
            if isinstance(item, float) and not Decimal(repr(item)).is_finite():
                raise _fail(f"Match value must be a finite number (at {where!r})")
        else:
            raise _fail(
                f"Match value must be String, number, true, false, or null (at {where!r}, "
                f"got {item!r})"
            )


def _validate_expression(expression: Mapping[str, Any], where: str) -> None:
    if len(expression) != 1:
        if not expression:
            raise _fail(f"Match expression name not found (at {where!r})")
        raise _fail(f"Only one key allowed in match expression (at {where!r})")
    ((operator, operand),) = expression.items()
    at = f" (at {where!r})"
    if operator in ("prefix", "suffix"):
        if isinstance(operand, Mapping):
            if list(operand) != ["equals-ignore-case"]:
                raise _fail(f"Unsupported {operator} pattern: {', '.join(map(str, operand))}{at}")
            if not isinstance(operand["equals-ignore-case"], str):
                raise _fail(f"equals-ignore-case match pattern must be a string{at}")
        elif not isinstance(operand, str):
            raise _fail(f"{operator} match pattern must be a string{at}")
    elif operator == "equals-ignore-case":
        if not isinstance(operand, str):
            raise _fail(f"equals-ignore-case match pattern must be a string{at}")
    elif operator == "wildcard":
        if not isinstance(operand, str):
            raise _fail(f"wildcard match pattern must be a string{at}")
        _validate_wildcard(operand, at)
    elif operator == "cidr":
        _validate_cidr(operand, at)
    elif operator == "exists":
        if not isinstance(operand, bool):
            raise _fail(f"exists match pattern must be either true or false.{at}")
    elif operator == "numeric":
        _parse_numeric(operand, at)
    elif operator == "anything-but":
        _validate_anything_but(operand, at)
    else:
        raise _fail(f"Unrecognized match type {operator}{at}")


def _validate_wildcard(text: str, at: str) -> None:
    previous_star = False
    chars = iter(enumerate(text))
    for position, char in chars:
        if char == "\\":
            escaped = next(chars, None)
            if escaped is None or escaped[1] not in "*\\":
                raise _fail(
                    f"Invalid escape in wildcard at pos {position}: only \\* and \\\\ allowed{at}"
                )
            previous_star = False
        elif char == "*":
            if previous_star:
                raise _fail(f"Consecutive wildcard characters at pos {position}{at}")
            previous_star = True
        else:
            previous_star = False


def _validate_cidr(operand: Any, at: str) -> None:
    if not isinstance(operand, str):
        raise _fail(f"cidr match pattern must be a string{at}")
    if operand.count("/") != 1:
        raise _fail(f"Malformed CIDR, one '/' required{at}")
    try:
        ipaddress.ip_network(operand, strict=False)
    except ValueError:
        raise _fail(f"Malformed CIDR {operand!r}{at}") from None


def _validate_anything_but(operand: Any, at: str) -> None:
    if isinstance(operand, Mapping):
        if len(operand) != 1:
            raise _fail(f"Only one key allowed in anything-but expression{at}")
        ((inner, value),) = operand.items()
        if inner not in _ANYTHING_BUT_OPERATORS:
            raise _fail(f"Unsupported anything-but pattern: {inner}{at}")
        texts = value if isinstance(value, list) else [value]
        if not texts or not all(isinstance(text, str) for text in texts):
            raise _fail(
                f"anything-but/{inner} must be a string or a non-empty array of strings{at}"
            )
        for text in texts:
            if inner in ("prefix", "suffix") and not text:
                raise _fail(f"Null prefix/suffix not allowed{at}")
            if inner == "wildcard":
                _validate_wildcard(text, at)
        return
    values = operand if isinstance(operand, list) else [operand]
    if not isinstance(operand, list) and not (isinstance(operand, str) or _is_number(operand)):
        raise _fail(f"Value of anything-but must be an array or single string/number value.{at}")
    if not values:
        raise _fail(f"Empty arrays are not allowed in anything-but{at}")
    if all(isinstance(value, str) for value in values):
        return
    if all(_is_number(value) for value in values):
        for value in values:
            _comparable(value, "anything-but")
        return
    if any(not (isinstance(value, str) or _is_number(value)) for value in values):
        raise _fail(f"Inside anything but list, start|null|boolean is not supported.{at}")
    raise _fail(
        f"Inside anything but list, either all values are number or string, "
        f"mixed type is not supported{at}"
    )


_Bound = tuple[Decimal, bool]  # (limit, inclusive)


def _parse_numeric(operand: Any, at: str) -> tuple[_Bound | None, _Bound | None]:
    """(lower, upper) bounds. Grammar: ``= n`` | ``<[=] n`` | ``>[=] n [<[=] m]``."""
    if not isinstance(operand, list):
        raise _fail(f"Value of numeric must be an array.{at}")
    if len(operand) not in (2, 4):
        raise _fail(f"numeric needs an operator and a number, or two of each for a range{at}")
    operators = operand[0::2]
    for operator in operators:
        if not isinstance(operator, str) or operator not in _NUMERIC_OPERATORS:
            raise _fail(f"Unrecognized numeric range operator: {operator!r}{at}")
    first = operators[0]
    first_value = _comparable(operand[1], "equals" if first == "=" else first)
    lower: _Bound | None = None
    upper: _Bound | None = None
    if first == "=":
        lower = upper = (first_value, True)
    elif first in ("<", "<="):
        upper = (first_value, first == "<=")
    else:
        lower = (first_value, first == ">=")
    if len(operand) == 4:
        second = operators[1]
        if first not in (">", ">="):
            raise _fail(f"Too many elements in numeric expression{at}")
        if second not in ("<", "<="):
            raise _fail(f"Bad numeric range operator: {second}{at}")
        upper = (_comparable(operand[3], second), second == "<=")
        if upper[0] <= first_value:
            raise _fail(f"Bottom must be less than top{at}")
    return lower, upper


# ----------------------------------------------------------------------------- matching


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """True if EventBridge would deliver ``event`` to a rule with ``pattern``.

    Raises InvalidEventPattern for a pattern PutRule would reject.

    Arrays of objects are matched array-consistently (Event Ruler's rulesForJSONEvent):
    the fields one sub-pattern names must all come from the same array element.
    """
    validate_pattern(pattern)
    return any(_match_object(branch, event) for branch in _expand_or(_undot(pattern)))


def _undot(node: Mapping[str, Any]) -> dict[str, Any]:
    """The pattern with each dotted field name made the path it names.

    "Be aware that when EventBridge compiles event patterns for use, it uses dot (.) as the
    joining character": {"detail.state": [...]} is {"detail": {"state": [...]}} (User Guide,
    "Event pattern syntax"). Where two spellings name one field, the later wins, as for
    duplicate fields ("EventBridge only considers the final field value").
    """
    undotted: dict[str, Any] = {}
    for key, value in node.items():
        if key == _OR:
            undotted = _merge(undotted, {_OR: [_undot(branch) for branch in value]})
            continue
        inner = _undot(value) if isinstance(value, Mapping) else value
        for segment in reversed(key.split(_SEPARATOR)[1:]):
            inner = {segment: inner}
        undotted = _merge(undotted, {key.split(_SEPARATOR)[0]: inner})
    return undotted


def _child(node: Mapping[str, Any], key: str) -> Any:
    """What the event holds at `key` under `node`, dotted field names included.

    EventBridge compiles an event's field names by joining them with dots too, so a pattern's
    detail.state.status matches {"detail": {"state.status": "running"}} as it matches
    {"detail": {"state": {"status": "running"}}} (User Guide, "Event pattern syntax"). A field
    "state.status" is read as a field "status" of an object "state" in the same place.
    """
    direct = node.get(key, _MISSING)
    prefix = key + _SEPARATOR
    dotted: dict[str, Any] = {}
    for name, value in node.items():
        if isinstance(name, str) and name.startswith(prefix):
            rest = name[len(prefix) :]
            dotted[rest] = [dotted[rest], value] if rest in dotted else value
    if not dotted:
        return direct
    if direct is _MISSING:
        return dotted
    elements = list(_flatten(direct))
    if not any(isinstance(element, Mapping) for element in elements):
        return [*elements, dotted]
    # Fields outside an array are compatible with each of its elements (array consistency).
    return [
        _combine(element, dotted) if isinstance(element, Mapping) else element
        for element in elements
    ]


def _combine(left: Mapping[str, Any], right: Mapping[str, Any]) -> dict[str, Any]:
    combined = dict(left)
    for name, value in right.items():
        combined[name] = [combined[name], value] if name in combined else value
    return combined


def _expand_or(node: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rewrite a pattern into $or-free alternatives, as Event Ruler compiles it."""
    alternatives: list[dict[str, Any]] = [{}]
    for key, value in node.items():
        if key == _OR:
            branches = [expanded for branch in value for expanded in _expand_or(branch)]
            alternatives = [_merge(alt, branch) for alt in alternatives for branch in branches]
        elif isinstance(value, Mapping):
            subs = _expand_or(value)
            alternatives = [_merge(alt, {key: sub}) for alt in alternatives for sub in subs]
        else:
            alternatives = [_merge(alt, {key: value}) for alt in alternatives]
    return alternatives


def _merge(left: dict[str, Any], right: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(left)
    for key, value in right.items():
        existing = merged.get(key)
        if isinstance(existing, dict) and isinstance(value, Mapping):
            merged[key] = _merge(existing, value)
        else:
            merged[key] = value  # Ruler lets the later definition of a path win
    return merged


def _match_object(pattern: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    for key, sub in pattern.items():
        child = _child(node, key)
        if isinstance(sub, Mapping):
            # Leaves under a missing/scalar node are missing, which exists:false can still match.
            objects = list(_objects_in(child)) or [{}]
            if not any(_match_object(sub, obj) for obj in objects):
                return False
        elif not _match_leaf(sub, list(_leaf_values(child))):
            return False
    return True


def _flatten(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    else:
        yield value


def _objects_in(value: Any) -> Iterator[Mapping[str, Any]]:
    if value is _MISSING:
        return
    for item in _flatten(value):
        if isinstance(item, Mapping):
            yield item


def _leaf_values(value: Any) -> Iterator[Any]:
    """Scalars at a path; objects are intermediate nodes, not leaves."""
    if value is _MISSING:
        return
    for item in _flatten(value):
        if not isinstance(item, Mapping):
            yield item


def _match_leaf(alternatives: list[Any], values: list[Any]) -> bool:
    if not values:
        # A missing field (or [] or an object) fails everything except exists:false.
        return any(_is_exists(alt, False) for alt in alternatives)
    return any(_match_value(alt, value) for alt in alternatives for value in values)


def _is_exists(alternative: Any, wanted: bool) -> bool:
    return isinstance(alternative, Mapping) and alternative.get("exists", _MISSING) is wanted


def _match_value(alternative: Any, value: Any) -> bool:
    if isinstance(alternative, Mapping):
        ((operator, operand),) = alternative.items()
        return _match_operator(operator, operand, value)
    if alternative is None or isinstance(alternative, bool):
        return value is alternative
    if _is_number(alternative):
        # Event Ruler adds a numeric-equality matcher for numbers, so 300 matches 300.0.
        return _is_number(value) and value == alternative
    if isinstance(value, str):
        return value == alternative or _same_ip(alternative, value)
    return False


def _same_ip(left: str, right: str) -> bool:
    # Ruler compares string values that are IP addresses as addresses (::1 == 0:0:0:0:0:0:0:1).
    try:
        return ipaddress.ip_address(left) == ipaddress.ip_address(right)
    except ValueError:
        return False


def _match_operator(operator: str, operand: Any, value: Any) -> bool:
    if operator == "exists":
        return bool(operand)  # a value is present here; exists:false only matches absence
    if operator == "anything-but":
        return _match_anything_but(operand, value)
    if operator == "numeric":
        return _match_numeric(operand, value)
    if not isinstance(value, str):
        return False  # the remaining matchers only ever match strings
    if operator in ("prefix", "suffix"):
        subject: str = value
        text: str = operand
        if isinstance(operand, Mapping):
            text, subject = operand["equals-ignore-case"].lower(), subject.lower()
        return subject.startswith(text) if operator == "prefix" else subject.endswith(text)
    if operator == "equals-ignore-case":
        return bool(value.lower() == operand.lower())
    if operator == "wildcard":
        return _wildcard_regex(operand).fullmatch(value) is not None
    if operator == "cidr":
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return False
        network = ipaddress.ip_network(operand, strict=False)
        return address.version == network.version and address in network
    raise _fail(f"Unrecognized match type {operator}")  # unreachable after validation


def _match_anything_but(operand: Any, value: Any) -> bool:
    # Present values of another type are "not in the list", so they match (null included).
    if isinstance(operand, Mapping):
        ((inner, texts),) = operand.items()
        if not isinstance(value, str):
            return True
        candidates = texts if isinstance(texts, list) else [texts]
        return not any(_match_operator(inner, text, value) for text in candidates)
    excluded = operand if isinstance(operand, list) else [operand]
    if _is_number(value):
        return not any(_is_number(item) and item == value for item in excluded)
    if isinstance(value, str):
        return value not in excluded
    return True


def _match_numeric(operand: list[Any], value: Any) -> bool:
    if not _is_number(value):
        return False  # strings such as "5" and booleans never match numeric
    try:
        number = _decimal(value)
    except InvalidOperation:
        return False
    if not number.is_finite() or abs(number) > _NUMERIC_LIMIT:
        return False  # outside ComparableNumber's range Ruler cannot compare it
    lower, upper = _parse_numeric(operand, "")
    if lower is not None:
        limit, inclusive = lower
        if number < limit or (number == limit and not inclusive):
            return False
    if upper is not None:
        limit, inclusive = upper
        if number > limit or (number == limit and not inclusive):
            return False
    return True


@functools.lru_cache(maxsize=512)
def _wildcard_regex(text: str) -> re.Pattern[str]:
    parts: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars)))
        elif char == "*":
            parts.append(".*")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)
