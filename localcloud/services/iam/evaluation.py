"""IAM policy evaluation as AWS documents it, for requests within one account.

From the IAM User Guide ("Policy evaluation logic", "IAM JSON policy elements"):

- A request is denied unless a statement allows it; an explicit Deny in any policy that
  applies overrides every Allow. Within one account, an Allow in the identity's policies or
  in the resource's policy (for the principal) is enough.
- `Action`/`NotAction` match case-insensitively, `Resource`/`NotResource` case-sensitively;
  both take `*` (any run of characters) and `?` (any one character).
- A statement applies only when every condition operator in it holds (see `conditions`).
- Policy variables (`${aws:username}`) are resolved in `Resource` and condition values only
  in policies of language version 2012-10-17; in the earlier version they are literal text.

A condition key the local cloud cannot supply for a request is an error naming the key, never
a silent allow or deny.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from localcloud.services.iam.conditions import ConditionError, evaluate_block, wildcard_match

CURRENT_VERSION = "2012-10-17"
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class Request:
    """What a call asks for, as IAM sees it: the principal, the action, the resource, and the
    request context (condition keys and their values)."""

    principal: str  # the caller's ARN (an IAM user, a role session's role, or a service)
    action: str  # "s3:GetObject"
    resource: str  # the ARN the request targets ("*" for actions without a resource)
    context: Mapping[str, Any] = field(default_factory=dict)
    # Keys (or prefixes ending in "/") the local cloud knows how to supply for this request:
    # a key outside these, used by a condition, cannot be evaluated.
    known_keys: frozenset[str] = frozenset()

    def knows(self, key: str) -> bool:
        lowered = key.lower()
        return lowered in {k.lower() for k in self.context} or any(
            lowered == k.lower() or (k.endswith("/") and lowered.startswith(k.lower()))
            for k in self.known_keys
        )


@dataclass(frozen=True)
class Statement:
    policy: str  # where it comes from: "role/x inline p", "arn:aws:iam::aws:policy/…"
    index: int
    body: Mapping[str, Any]
    version: str

    @property
    def sid(self) -> str:
        return str(self.body.get("Sid") or f"#{self.index}")

    def __str__(self) -> str:
        return f"{self.policy} statement {self.sid}"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # "allowed", "explicitly denied", "no statement allows it"
    statement: Statement | None = None


def statements(policy: str, document: str | Mapping[str, Any]) -> list[Statement]:
    """The statements of one policy document (JSON text or parsed)."""
    parsed = json.loads(document) if isinstance(document, str) else document
    version = str(parsed.get("Version", "2008-10-17"))
    body = parsed.get("Statement", [])
    listed = body if isinstance(body, list) else [body]
    return [Statement(policy, i, s, version) for i, s in enumerate(listed)]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def substitute_variables(text: str, statement: Statement, request: Request) -> str | None:
    """`text` with its policy variables replaced; None when a variable has no value."""
    if statement.version != CURRENT_VERSION:
        return text
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        if name in ("*", "?", "$"):
            return name
        key, _, default = name.partition(", ")
        value = _lookup(request, key)
        if value is None:
            if not request.knows(key):
                raise ConditionError(
                    f"policy variable ${{{key}}}: the local cloud cannot supply it"
                )
            if default:
                return default.strip("'")
            missing = True
            return ""
        return str(value)

    result = _VARIABLE.sub(replace, text)
    return None if missing else result


def _lookup(request: Request, key: str) -> Any:
    lowered = key.lower()
    for name, value in request.context.items():
        if name.lower() == lowered:
            return value
    return None


def _matches_any(
    patterns: Iterable[Any],
    value: str,
    statement: Statement,
    request: Request,
    *,
    ignore_case: bool,
    variables: bool,
) -> bool:
    for pattern in patterns:
        text = str(pattern)
        if variables:
            resolved = substitute_variables(text, statement, request)
            if resolved is None:
                continue
            text = resolved
        if wildcard_match(text, value, ignore_case=ignore_case):
            return True
    return False


def _covers(
    statement: Statement, request: Request, element: str, value: str, *, resource: bool
) -> bool:
    """Whether `Action`/`NotAction` (or `Resource`/`NotResource`) lets the request through."""
    body = statement.body
    for name, positive in ((element, True), (f"Not{element}", False)):
        if name in body:
            found = _matches_any(
                _as_list(body[name]),
                value,
                statement,
                request,
                ignore_case=not resource,
                variables=resource,
            )
            return found if positive else not found
    return True


def applies(statement: Statement, request: Request, *, principal_required: bool = False) -> bool:
    """Whether the statement covers the request (its effect aside)."""
    if not _covers(statement, request, "Action", request.action, resource=False):
        return False
    if not _covers(statement, request, "Resource", request.resource, resource=True):
        return False
    if principal_required and not _principal_matches(statement.body, request.principal):
        return False
    condition = statement.body.get("Condition")
    if condition:
        return evaluate_block(
            condition, request, lambda v: substitute_variables(v, statement, request)
        )
    return True


def _principal_matches(body: Mapping[str, Any], principal: str) -> bool:
    if "Principal" in body:
        return _in_principal(body["Principal"], principal)
    if "NotPrincipal" in body:
        return not _in_principal(body["NotPrincipal"], principal)
    return False


def _in_principal(element: Any, principal: str) -> bool:
    if element == "*":
        return True
    if not isinstance(element, Mapping):
        return False
    account = principal.split(":")[4] if principal.count(":") >= 5 else ""
    for kind, values in element.items():
        for value in _as_list(values):
            value = str(value)
            if value == "*" or value == principal:
                return True
            if kind == "AWS" and value in (account, f"arn:aws:iam::{account}:root"):
                return True
    return False


def evaluate(
    request: Request,
    identity: Iterable[Statement],
    resource_policy: Iterable[Statement] = (),
) -> Decision:
    """AWS's decision for a request within one account: explicit deny, else any allow, else
    the implicit deny."""
    # (statement, whether it must name the principal): a resource policy's must.
    candidates = [(s, False) for s in identity] + [(s, True) for s in resource_policy]
    for effect, allowed, reason in (
        ("Deny", False, "explicitly denied"),
        ("Allow", True, "allowed"),
    ):
        for statement, named in candidates:
            if statement.body.get("Effect") == effect and applies(
                statement, request, principal_required=named
            ):
                return Decision(allowed, reason, statement)
    return Decision(False, "no statement allows it")
