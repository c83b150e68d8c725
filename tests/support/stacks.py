"""The real template.yaml on the local cloud, with only the automations a test is about."""

from __future__ import annotations

from typing import Any

from localcloud import LocalCloud
from localcloud.testing import only
from tests.support.paths import TEMPLATE


class Stacks:
    """Starts local clouds one at a time (moto's backends are process-wide) and stops them."""

    def __init__(self) -> None:
        self._opened: list[LocalCloud] = []

    def __call__(self, *enabled: str, **parameters: Any) -> LocalCloud:
        """`stacks("EnableCostControls", CostControlGroups="g")`: only that automation, with
        those parameter overrides; with no automation named, the template's own defaults."""
        self.stop()
        if enabled:
            parameters = only(TEMPLATE, *enabled, **parameters)
        cloud = LocalCloud(template=TEMPLATE, parameters=parameters)
        self._opened.append(cloud.start())
        return cloud

    def stop(self) -> None:
        for cloud in self._opened:
            cloud.stop()
        self._opened.clear()
