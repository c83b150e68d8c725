"""Typed input at the edge: parse an event into its model, or fail with a named error."""

from __future__ import annotations

from typing import Any, TypeVar

from aws_lambda_powertools.utilities.parser import parse
from pydantic import BaseModel, ValidationError

from steward_common.errors import InvalidInputError

Model = TypeVar("Model", bound=BaseModel)


def parse_event(
    event: Any, model: type[Model], what: str, error: type[InvalidInputError] = InvalidInputError
) -> Model:
    """`event` as `model`; otherwise `error` naming the fields at fault (never their values,
    which may be secret)."""
    try:
        return parse(event=event, model=model)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) or "(the event)" for e in exc.errors()})
        raise error(f"invalid {what}; check {fields}") from None
