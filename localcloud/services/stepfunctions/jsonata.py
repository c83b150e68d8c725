"""JSONata in Step Functions: the engine moto's interpreter lacks, and the functions AWS adds.

moto's interpreter (LocalStack's) parses `QueryLanguage: JSONata` and hands each expression to
`eval_jsonata_expression`, a pointer LocalStack fills with a JVM bridge and moto leaves empty:
every JSONata expression failed with States.Runtime. Here expressions run on jsonata-python (a
port of jsonata-java, the engine LocalStack bridges to), as "Transforming data with JSONata in
Step Functions" documents:

- `$states` (input, result, errorOutput, context) and the variables in scope are bound to the
  expression as values. moto wrote them into the expression's text as JSONata literals, which
  parsed the whole state input again for every expression and broke on a string holding a
  quote; that text form still works behind `eval_jsonata_expression`.
- Step Functions' own functions: `$partition`, `$range`, `$hash`, `$random` with a seed,
  `$uuid` and `$parse`; `$eval` is not available.
- An expression that fails, returns nothing or returns what JSON cannot hold fails the state
  with `States.QueryEvaluationError`, naming the field it is written in; a Task, Map or
  Parallel state catches and retries it, its `Output` included.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib
import json
import math
import random
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from jsonata import Jsonata  # type: ignore[import-untyped]
from jsonata.utils import Utils  # type: ignore[import-untyped]

from localcloud.core import Core, MotoChangedError

__all__ = ["QUERY_EVALUATION_ERROR", "UNDEFINED", "QueryEvaluationError", "evaluate", "install"]

_ORIGIN = "moto.stepfunctions.parser.asl.jsonata.jsonata"
# Every module of moto's interpreter that imported `eval_jsonata_expression` by name.
USERS = (
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.jsonata.validations",
)

QUERY_EVALUATION_ERROR: Final = "States.QueryEvaluationError"


class QueryEvaluationError(Exception):
    """A JSONata expression failed; `reason` says how (the engine's code and message)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedResultError(Exception):
    """An expression returned what JSON cannot hold (a function, NaN, infinity)."""


class _Undefined:
    def __repr__(self) -> str:
        return "undefined"


# What an expression that returns nothing evaluates to: JSON has no undefined.
UNDEFINED: Final = _Undefined()


# ------------------------------------------------------------------ Step Functions' functions


class FunctionArgumentError(Exception):
    """A Step Functions JSONata function refused its arguments."""


class _Native(Jsonata.JFunctionCallable):  # type: ignore[misc]
    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def call(self, input: Any, args: Any) -> Any:
        return self.function(*(args or []))


# "Built-in JSONata functions that require integer values as parameters will automatically
# round down any non-integer numbers provided."


def _partition(array: list[Any], chunk_size: float) -> list[list[Any]]:
    size = math.floor(chunk_size)
    if size < 1:
        raise FunctionArgumentError(f"$partition: the chunk size {chunk_size} is not positive")
    return [list(array[i : i + size]) for i in range(0, len(array), size)]


def _range(first: float, last: float, step: float) -> list[int]:
    start, end, delta = math.floor(first), math.floor(last), math.floor(step)
    if delta == 0:
        raise FunctionArgumentError("$range: the step is 0")
    # "... increment or decrement each element from the last until the end value is reached
    # or exceeded." A step away from the end reaches nothing (the documentation is silent;
    # moto's interpreter reads it so too).
    if (start > end and delta > 0) or (start < end and delta < 0):
        return []
    return list(range(start, end + (1 if delta > 0 else -1), delta))


_HASHES: Final = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def _hash(value: str, algorithm: str) -> str:
    if algorithm not in _HASHES:
        raise FunctionArgumentError(
            f"$hash: the algorithm {algorithm!r} is not one of {', '.join(_HASHES)}"
        )
    return hashlib.new(_HASHES[algorithm], value.encode("utf-8")).hexdigest()


def _random(seed: float | None = None) -> float:
    # "If you use this function with the same seed value, it returns an identical number."
    if seed is None:
        return random.random()  # noqa: S311 - $random is not for secrets
    return random.Random(math.floor(seed)).random()  # noqa: S311


def _uuid() -> str:
    return str(uuid.uuid4())


def _parse(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise FunctionArgumentError(f"$parse: {text!r} is not JSON ({error})") from None
    return Utils.NULL_VALUE if value is None else value  # None would be undefined


def _no_eval(*args: Any) -> Any:
    # "JSONata supports this functionality via $eval; however, $eval is not supported in
    # Step Functions workflows."
    raise FunctionArgumentError("$eval is not supported in Step Functions workflows")


def _functions() -> dict[str, Any]:
    """Step Functions' JSONata functions by name (without the $), checked by signature."""
    return {
        "partition": Jsonata.JFunction(_Native(_partition), "<an:a>"),
        "range": Jsonata.JFunction(_Native(_range), "<nnn:a>"),
        "hash": Jsonata.JFunction(_Native(_hash), "<ss:s>"),
        "random": Jsonata.JFunction(_Native(_random), "<n?:n>"),
        "uuid": Jsonata.JFunction(_Native(_uuid), "<:s>"),
        "parse": Jsonata.JFunction(_Native(_parse), "<s:j>"),
        "eval": Jsonata.JFunction(_Native(_no_eval), "<x?x?:x>"),
    }


# ------------------------------------------------------------------ the engine


def evaluate(expression: str, variables: Mapping[str, Any]) -> Any:
    """The value of a JSONata expression with these variables bound (names without the `$`),
    or UNDEFINED when it returns nothing. The value is plain JSON, never a part of a bound
    value. Raises QueryEvaluationError when the expression fails, UnsupportedResultError when
    its value is not JSON."""
    bindings = {**_functions(), **variables}  # a variable of the same name comes first
    try:
        engine = Jsonata(expression)
        engine.set_output_convert_nulls(False)  # to tell JSON null from undefined
        raw = engine.evaluate(None, bindings)
    except RecursionError:
        raise QueryEvaluationError("Stack overflow error") from None
    except Exception as error:  # noqa: BLE001 - whatever the engine raised, the expression failed
        code = getattr(error, "error", None)
        raise QueryEvaluationError(f"{code}: {error}" if code else str(error)) from None
    if raw is None:
        return UNDEFINED
    try:
        return json.loads(json.dumps(Utils.convert_nulls(raw), allow_nan=False))
    except (TypeError, ValueError):
        raise UnsupportedResultError from None


def _eval_jsonata_text(expression: str) -> Any:
    """`eval_jsonata_expression` as moto calls it: the variables are declared in the text
    itself, and null and undefined are both None."""
    from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException

    try:
        value = evaluate(expression, {})
    except QueryEvaluationError as error:
        raise JSONataException(QUERY_EVALUATION_ERROR, error.reason) from None
    except UnsupportedResultError:
        raise JSONataException(QUERY_EVALUATION_ERROR, "unsupported result type") from None
    return None if value is UNDEFINED else value


# ------------------------------------------------------------------ in a state


def _in_scope(env: Any, with_states: bool) -> dict[str, Any]:
    """The variables an expression sees: the outer scopes', this scope's, and `$states`."""
    store = env.variable_store
    variables = {**store._outer_scope, **store._inner_scope}
    if with_states:
        states = env.states._states_data
        # moto keeps the execution's StartTime as a datetime; JSON (and JSONata) sees the
        # ISO 8601 string moto writes for it elsewhere.
        context = json.loads(json.dumps(states["context"], default=_iso))
        variables["states"] = {**states, "context": context}
    return variables


def _iso(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _failure(env: Any, cause: str, location: str | None) -> Exception:
    """The exception that fails the state with States.QueryEvaluationError, after recording
    the EvaluationFailed event (its cause, location and state), as moto's own checks do."""
    from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails as Details

    # A TypedDict of every kind of event's details, of which an event has one.
    EventDetails: Any = Details
    details = EvaluationFailedEventDetails(error=QUERY_EVALUATION_ERROR, cause=cause)
    if location:
        details["location"] = location
    exception = FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError),
            event_type=HistoryEventType.EvaluationFailed,
            event_details=EventDetails(evaluationFailedEventDetails=details),
        )
    )
    env.event_manager.add_event(
        context=env.event_history_context,
        event_type=HistoryEventType.EvaluationFailed,
        event_details=EventDetails(
            evaluationFailedEventDetails=exception.get_evaluation_failed_event_details()
        ),
    )
    return exception


def evaluate_field(env: Any, expression: str, location: str | None) -> Any:
    """The value of a JSONata field of the running state, or the state fails."""
    # The documentation names the error (States.QueryEvaluationError), not its cause: the
    # cause names the expression, the field it is written in and what went wrong, as the
    # execution histories Step Functions records do.
    field = f" specified for the field '{location}'" if location else ""
    try:
        value = evaluate(expression, _in_scope(env, with_states=True))
    except QueryEvaluationError as error:
        what = f"threw an error during evaluation. {error.reason}"
    except UnsupportedResultError:
        what = "returned an unsupported result type."
    else:
        if value is UNDEFINED:
            what = "returned nothing (undefined)."
        else:
            refused = _refused(location, value)
            if refused is None:
                return value
            what = refused
    raise _failure(env, f"The JSONata expression '{expression}'{field} {what}", location)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "null"


# Fields that take an integer from a JSONata expression, and the least value each accepts
# (ASL: TimeoutSeconds and HeartbeatSeconds are positive, Seconds and MaxConcurrency may be 0).
_INTEGER_FIELDS: Final = {
    "TimeoutSeconds": 1,
    "HeartbeatSeconds": 1,
    "Seconds": 0,
    "MaxConcurrency": 0,
}


def _refused(location: str | None, value: Any) -> str | None:
    """Why the field refuses the value an expression returned, if it does. "Type
    incompatibility - An expression might evaluate to a type that the field will not accept.
    For example, the field TimeoutSeconds requires a numeric input" and "Value out of range -
    ... an expression such as {% $evaluatesToNegativeNumber %} will fail in the TimeoutSeconds
    field." (moto's interpreter failed these with States.Runtime, or took 2.5 seconds as 2.)"""
    if location is None:
        return None
    if location in _INTEGER_FIELDS:
        integral = isinstance(value, int | float) and not isinstance(value, bool)
        if not integral or value != math.floor(value):
            return _unexpected("integer", value)
        if value < _INTEGER_FIELDS[location]:
            least = "a positive" if _INTEGER_FIELDS[location] else "a non-negative"
            return f"returned an out of range value. Expected {least} integer, but was {value}"
    condition = location == "Condition" or location.endswith("/Condition")
    if condition and not isinstance(value, bool):
        return _unexpected("boolean", value)
    return None


def _unexpected(expected: str, value: Any) -> str:
    # As moto words it for the Items field.
    return (
        f"returned an unexpected result type. Expected '{expected}', but was "
        f"'{_json_type(value)}' for value: {json.dumps(value)}"
    )


# ------------------------------------------------------------------ where an expression is

# The ASL field each of moto's components stands for, by class name.
_FIELDS: Final = {
    "Output": "Output",
    "ArgumentsJSONataTemplateValueObject": "Arguments",
    "ArgumentsStringJSONata": "Arguments",
    "AssignDecl": "Assign",
    "ItemsArray": "Items",
    "ItemsJSONata": "Items",
    "ItemSelector": "ItemSelector",
    "ItemReader": "ItemReader",
    "ConditionStringJSONata": "Condition",
    "TimeoutSecondsJSONata": "TimeoutSeconds",
    "HeartbeatSecondsJSONata": "HeartbeatSeconds",
    "SecondsJSONata": "Seconds",
    "Timestamp": "Timestamp",
    "MaxConcurrencyJSONata": "MaxConcurrency",
    "MaxItemsStringJSONata": "MaxItems",
    "ToleratedFailureCountStringJSONata": "ToleratedFailureCount",
    "Error": "Error",
    "Cause": "Cause",
    "ChoicesDecl": "Choices",
    "CatchDecl": "Catch",
}
# Components whose list holds the elements of a JSON array: `Choices[1]`, `Output/a[0]`.
_ARRAYS: Final = {
    "ChoicesDecl",
    "CatchDecl",
    "JSONataTemplateValueArray",
    "AssignTemplateValueArray",
}
# Components that stand for a key of a JSON object.
_KEYS: Final = ("JSONataTemplateBinding", "AssignTemplateBinding")


def _locate(program: Any, locations: weakref.WeakKeyDictionary[Any, str]) -> None:
    """Record, for each JSONata expression of a parsed definition, the field it is written in
    (`Arguments/Payload/title`, `Choices[0]/Condition`), relative to its state."""
    from moto.stepfunctions.parser.asl.component.common.string.string_expression import (
        StringJSONata,
    )
    from moto.stepfunctions.parser.asl.component.component import Component
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField

    def children(node: Any) -> Iterator[tuple[Any, str | None]]:
        for value in vars(node).values():
            if isinstance(value, Component):
                yield value, None
            elif isinstance(value, list | dict):
                items = value.values() if isinstance(value, dict) else value
                indexed = type(node).__name__ in _ARRAYS and isinstance(value, list)
                for index, item in enumerate(items):
                    if isinstance(item, Component):
                        yield item, f"[{index}]" if indexed else None

    seen: set[int] = set()
    stack: list[tuple[Any, tuple[str, ...]]] = [(program, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, CommonStateField):
            path = ()  # fields are named relative to their own state
        elif isinstance(node, StringJSONata):
            if path:
                locations[node] = "/".join(path)
            continue
        name = type(node).__name__
        if name in _FIELDS:
            path = (*path, _FIELDS[name])
        elif any(c.__name__.startswith(_KEYS) for c in type(node).__mro__):
            path = (*path, str(node.identifier))
        for child, index in children(node):
            child_path = path
            if index is not None and path:
                child_path = (*path[:-1], path[-1] + index)
            stack.append((child, child_path))


# ------------------------------------------------------------------ install


def _check_private_state() -> None:
    """The bindings read attributes moto declares but does not expose: a moto that renames
    them fails start-up, not every expression."""
    from moto.stepfunctions.parser.asl.eval.states import States
    from moto.stepfunctions.parser.asl.eval.variable_store import VariableStore

    for owner, names in (
        (VariableStore, ("_outer_scope", "_inner_scope")),
        (States, ("_states_data",)),
    ):
        missing = [n for n in names if n not in getattr(owner, "__annotations__", {})]
        if missing:
            raise MotoChangedError(
                f"moto changed: {owner.__qualname__} no longer declares {missing}, which the "
                "local cloud's JSONata engine reads"
            )


def _install_engine(core: Core, locations: weakref.WeakKeyDictionary[Any, str]) -> None:
    from moto.stepfunctions.parser.asl.component.common.query_language import QueryLanguageMode
    from moto.stepfunctions.parser.asl.component.common.string.string_expression import (
        StringJSONata,
        StringVariableSample,
    )

    _check_private_state()
    for name in (_ORIGIN, *USERS):
        module = importlib.import_module(name)
        core.hooks.replace(module, "eval_jsonata_expression", _eval_jsonata_text)

    def string_jsonata(self: Any, env: Any) -> None:
        env.stack.append(evaluate_field(env, self.expression, locations.get(self)))

    def variable_sample(self: Any, env: Any) -> None:
        # `$name.field` in a JSONPath field: the variable's value. One never assigned is None,
        # as in moto (Step Functions refuses such a definition when it is created).
        jsonata = self.query_language_mode == QueryLanguageMode.JSONata
        try:
            value = evaluate(self.expression, _in_scope(env, with_states=jsonata))
        except QueryEvaluationError as error:
            cause = f"The JSONata expression '{self.expression}' threw an error during "
            raise _failure(env, f"{cause}evaluation. {error.reason}", None) from None
        except UnsupportedResultError:
            value = None
        env.stack.append(None if value is UNDEFINED else value)

    core.hooks.replace(StringJSONata, "_eval_body", string_jsonata)
    core.hooks.replace(StringVariableSample, "_eval_body", variable_sample)


def _install_locations(core: Core, locations: weakref.WeakKeyDictionary[Any, str]) -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    original = core.hooks.original(AmazonStateLanguageParser, "parse")

    def parse(definition: str) -> Any:
        program, tree = original(definition)
        _locate(program, locations)
        return program, tree

    core.hooks.replace(AmazonStateLanguageParser, "parse", staticmethod(parse))


def _install_catchable_output(core: Core) -> None:
    """ "Your Task, Map, and Parallel states can provide a Catch field to catch the error, and
    a Retry field to retry on the error." moto evaluated a JSONata `Output` after the state's
    Retry and Catch were done with, so an Output that failed failed the execution. Here the
    Output of a Task, Map or Parallel is evaluated with the rest of the attempt."""
    from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState

    # The Output an attempt computed, by the state's environment, until the state takes it.
    computed: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
    attempt = core.hooks.original(ExecutionState, "_evaluate_with_timeout")
    take_output = core.hooks.original(ExecutionState, "_eval_state_output")

    def _evaluate_with_timeout(self: Any, env: Any) -> None:
        attempt(self, env)
        if self.output is not None:
            self.output.jsonata_template_value.eval(env=env)
            computed[env] = env.stack.pop()

    def _eval_state_output(self: Any, env: Any) -> None:
        if env in computed:
            env.states.reset(input_value=computed.pop(env))
            return
        take_output(self, env)

    core.hooks.replace(ExecutionState, "_evaluate_with_timeout", _evaluate_with_timeout)
    core.hooks.replace(ExecutionState, "_eval_state_output", _eval_state_output)


def install(core: Core) -> None:
    # The field each parsed expression is written in; weak, as parsed definitions come and go.
    locations: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
    _install_engine(core, locations)
    _install_locations(core, locations)
    _install_catchable_output(core)
