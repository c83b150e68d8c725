"""The sample events in events/<key>/, and each folder's README table of them: `file | kind |
what it is | where from` (kinds: `handler:<key>.handlers.<step>`, `message:<…>`,
`state-machine:<LogicalId>`, `rule:<LogicalId>`, `no-rule`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from localcloud.template import load_yaml
from tests.support.paths import EVENTS, ROOT, TEMPLATE


def load_event(name: str) -> Any:
    """A sample event from events/ (`cost_controls/budget_alert_actual.json`)."""
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


KEYS = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / p.name).is_dir())
KINDS = ("handler", "message", "state-machine", "rule", "no-rule")
HEADER = ["file", "kind", "what it is", "where from"]
# EventBridge's envelope: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html


@dataclass(frozen=True)
class Row:
    """One row of an events/<key>/README.md table."""

    key: str
    file: str
    kind: str  # one of KINDS
    target: str  # the handler module, state machine or rule; "" for no-rule
    what: str
    where: str

    @property
    def name(self) -> str:
        return f"{self.key}/{self.file}"

    @property
    def id(self) -> str:
        return f"{self.name}:{self.kind}" + (f":{self.target}" if self.target else "")

    def load(self) -> Any:
        text = (EVENTS / self.key / self.file).read_text(encoding="utf-8")
        return json.loads(text) if self.file.endswith(".json") else text


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def readme_rows(key: str) -> list[Row]:
    """The rows of events/<key>/README.md's table (none if it has no README)."""
    readme = EVENTS / key / "README.md"
    if not readme.exists():
        return []
    lines = readme.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if _cells(line) == HEADER), None)
    if start is None:
        raise AssertionError(f"{readme} has no table with the columns {HEADER}")
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        if len(cells) != len(HEADER):
            raise AssertionError(f"{readme}: a row without {len(HEADER)} cells: {line}")
        file, kind, what, where = (cells[0].strip("`"), cells[1].strip("`"), *cells[2:])
        kind, _, target = kind.partition(":")
        rows.append(Row(key, file, kind, target, what, where))
    return rows


ROWS = [row for key in KEYS for row in readme_rows(key)]


def rows_of(kind: str, key: str | None = None) -> list[Row]:
    return [r for r in ROWS if r.kind == kind and key in (None, r.key)]


@cache
def _resources() -> dict[str, Any]:
    return dict(load_yaml(TEMPLATE)["Resources"])


def handler_modules() -> dict[str, str]:
    """`<key>.handlers.<step>` -> the logical id of the function whose handler it is."""
    return {
        str(r["Properties"]["Handler"]).removesuffix(".lambda_handler"): logical_id
        for logical_id, r in _resources().items()
        if r["Type"] == "AWS::Serverless::Function"
    }
