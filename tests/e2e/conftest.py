"""End-to-end fixtures: the real template.yaml on the local cloud."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.stacks import Stacks


@pytest.fixture
def stack() -> Iterator[Stacks]:
    """Start the suite with parameter overrides and, if any are named, only those automations:
    `cloud = stack("EnableCostControls", CostControlGroups="g")`."""
    stacks = Stacks()
    yield stacks
    stacks.stop()
