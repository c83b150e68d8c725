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
        """Each state entered, with what it produced, then how the execution ended."""
        for event in execution["history"]:
            kind = event["type"]
            if kind.endswith("StateExited"):
                details = event.get("stateExitedEventDetails", {})
                output = details.get("output", "")
                if len(output) > 240:
                    output = output[:237] + "..."
                self.line(f"> {details.get('name')}: {output}", "state", 1)
            elif kind.endswith("Failed") and "StateEntered" not in kind:
                details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
                self.line(f"! {kind}: {details.get('error', '')} {details.get('cause', '')[:200]}",
                          "fail", 1)
        style = "ok" if execution["status"] == "SUCCEEDED" else "fail"
        self.line(f"execution {execution['status']}", style, 1)

    def result(self, name: str, ok: bool, reason: str = "") -> None:
        mark = "PASS" if ok else "FAIL"
        self.line(f"{mark} {name}" + (f": {reason}" if reason else ""), "ok" if ok else "fail")
