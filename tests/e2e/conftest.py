"""End-to-end fixtures: the real template.yaml on the local cloud."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.testing import only
from tests.conftest import TEMPLATE


@pytest.fixture
def stack() -> Iterator[Any]:
    """Start the suite with parameter overrides and, if any are named, only those automations:
    `cloud = stack("EnableCostControls", CostControlGroups="g")`."""
    opened: list[LocalCloud] = []

    def start(*enabled: str, **parameters: str) -> LocalCloud:
        for cloud in opened:  # one local cloud per process at a time
            cloud.stop()
        if enabled:
            parameters = only(TEMPLATE, *enabled, **parameters)
        cloud = LocalCloud(template=TEMPLATE, parameters=parameters)
        opened.append(cloud.start())
        return cloud

    yield start
    for cloud in opened:
        cloud.stop()
