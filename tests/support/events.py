"""The sample events in events/<key>/ (each folder's README says where each comes from)."""

from __future__ import annotations

import json
from typing import Any

from tests.support.paths import EVENTS


def load_event(name: str) -> Any:
    """A sample event from events/ (`cost_controls/budget_alert_actual.json`)."""
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))
