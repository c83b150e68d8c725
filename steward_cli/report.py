"""Terminal output for `steward demo`: colour on a TTY, plain text in a pipe."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

_COLOURS = {"title": "1;36", "ok": "32", "fail": "31", "dim": "2", "state": "33", "key": "1"}


class Reporter:
    def __init__(self, stream: TextIO | None = None, colour: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        if colour is None:
            colour = self.stream.isatty() and os.environ.get("NO_COLOR") is None
        self.colour = colour

    def _paint(self, text: str, style: str) -> str:
        return f"\033[{_COLOURS[style]}m{text}\033[0m" if self.colour else text

    def line(self, text: str = "", style: str | None = None, indent: int = 0) -> None:
        prefix = "  " * indent
        self.stream.write(prefix + (self._paint(text, style) if style else text) + "\n")
        self.stream.flush()

    def title(self, text: str) -> None:
        self.line()
        self.line(f"== {text} ==", "title")

    def step(self, text: str) -> None:
        self.line(f"- {text}", "key")

    def detail(self, text: str, indent: int = 1) -> None:
        self.line(text, "dim", indent)

    def json(self, label: str, value: Any, limit: int = 600) -> None:
        text = json.dumps(value, default=str, sort_keys=True)
        if len(text) > limit:
            text = text[: limit - 3] + "..."
        self.line(f"{label}: {text}", indent=1)

    def execution(self, execution: dict[str, Any]) -> None:
        """Each state entered, with what it added to the state data, then how it ended."""
        entered: dict[str, Any] = {}
        for event in execution["history"]:
            kind = event["type"]
            if kind.endswith("StateEntered"):
                details: dict[str, Any] = event.get("stateEnteredEventDetails", {})
                entered[details.get("name", "")] = _parse(details.get("input"))
            elif kind.endswith("StateExited"):
                details = event.get("stateExitedEventDetails", {})
                name = details.get("name", "")
                shown = _changes(entered.get(name), _parse(details.get("output")))
                self.line(f"> {name}: {_short(shown)}", "state", 1)
            elif kind.endswith("Failed") and "StateEntered" not in kind:
                details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
                self.line(
                    f"! {kind}: {details.get('error', '')} {str(details.get('cause', ''))[:200]}",
                    "fail",
                    1,
                )
        style = "ok" if execution["status"] == "SUCCEEDED" else "fail"
        self.line(f"execution {execution['status']}", style, 1)

    def result(self, name: str, ok: bool, reason: str = "") -> None:
        mark = "PASS" if ok else "FAIL"
        self.line(f"{mark} {name}" + (f": {reason}" if reason else ""), "ok" if ok else "fail")


def _parse(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError:
        return text


def _changes(before: Any, after: Any) -> Any:
    """What a state added or changed, when both sides are objects; else its whole output."""
    if isinstance(before, dict) and isinstance(after, dict):
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        return changed if changed else "(state data unchanged)"
    return after


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."
