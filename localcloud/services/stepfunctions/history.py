"""GetExecutionHistory in pages, as the API reference describes it.

moto returned the whole history in one response whatever the request asked. Here `maxResults`
(0 to 1000, 0 or none for the default of 100) bounds a page, `reverseOrder` lists the latest
events first, `nextToken` continues where the previous page stopped (an invalid or expired
token is `InvalidToken`), and `includeExecutionData: false` leaves out events' input and
output.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from localcloud.core import Core

__all__ = ["DEFAULT_PAGE", "MAX_PAGE", "TOKEN_LIFETIME_SECONDS", "install"]

DEFAULT_PAGE = 100  # "The default is 100 and the maximum allowed page size is 1000."
MAX_PAGE = 1000
TOKEN_LIFETIME_SECONDS = 24 * 3600  # "Each pagination token expires after 24 hours."
# "You can select whether execution data (input or output of a history event) is returned."
EXECUTION_DATA = ("input", "output")


def _encode(token: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(token, separators=(",", ":")).encode()).decode()


def _decode(text: str) -> dict[str, Any] | None:
    try:
        token = json.loads(base64.urlsafe_b64decode(text.encode()))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    if not isinstance(token, dict):
        return None
    shape: dict[str, type | tuple[type, ...]] = {"e": str, "r": bool, "n": int, "t": (int, float)}
    if not all(isinstance(token.get(key), kind) for key, kind in shape.items()):
        return None
    return token


def _without_data(event: dict[str, Any]) -> dict[str, Any]:
    stripped = dict(event)
    for key, details in event.items():
        if key.endswith("EventDetails") and isinstance(details, dict):
            stripped[key] = {k: v for k, v in details.items() if k not in EXECUTION_DATA}
    return stripped


def install(core: Core) -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.exceptions import InvalidToken, ValidationException
    from moto.stepfunctions.responses import StepFunctionResponse

    core.hooks.original(StepFunctionResponse, "get_execution_history")

    def get_execution_history(self: Any) -> Any:
        arn = self._get_param("executionArn")
        max_results = self._get_int_param("maxResults") or 0
        if max_results > MAX_PAGE:  # botocore checks the minimum only; AWS answers this
            raise ValidationException(
                f"1 validation error detected: Value '{max_results}' at 'maxResults' failed "
                f"to satisfy constraint: Member must have value less than or equal to {MAX_PAGE}"
            )
        page_size = max_results or DEFAULT_PAGE  # "A value of 0 uses the default."
        reverse = bool(self._get_bool_param("reverseOrder", False))
        include_data = bool(self._get_bool_param("includeExecutionData", True))
        given = self._get_param("nextToken")
        events = list(self.stepfunction_backend.get_execution_history(arn)["events"])
        if reverse:  # "Lists events in descending order of their timeStamp."
            events.reverse()
        start = 0
        if given is not None:
            token = _decode(given)
            # A token continues the call it came from ("Keep all other arguments
            # unchanged"): one for another execution or order, or one that is not ours, is
            # not valid; "Using an expired pagination token will return an HTTP 400
            # InvalidToken error."
            if (
                token is None
                or token.get("e") != arn
                or token.get("r") != reverse
                or core.clock.wall() - token["t"] > TOKEN_LIFETIME_SECONDS
            ):
                raise InvalidToken()
            # The token names the next event by its id, so events added while paging (the
            # execution still running) neither repeat nor go missing.
            ids = [event["id"] for event in events]
            start = next(
                (
                    i
                    for i, eid in enumerate(ids)
                    if (eid <= token["n"] if reverse else eid >= token["n"])
                ),
                len(events),
            )
        page = events[start : start + page_size]
        result: dict[str, Any] = {
            "events": page if include_data else [_without_data(e) for e in page]
        }
        if start + page_size < len(events):
            following = events[start + page_size]["id"]
            result["nextToken"] = _encode(
                {"e": arn, "r": reverse, "n": following, "t": core.clock.wall()}
            )
        return ActionResult(result)

    core.hooks.replace(StepFunctionResponse, "get_execution_history", get_execution_history)
