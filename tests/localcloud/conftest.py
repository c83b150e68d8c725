"""Fixtures for the local cloud's own tests, on the small templates beside them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud, testing

TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture
def cloud_factory() -> Iterator[Any]:
    """Start a local cloud on tests/localcloud/templates/basic.yaml with given options."""
    opened: list[LocalCloud] = []

    def make(**options: Any) -> LocalCloud:
        options.setdefault("template", TEMPLATES / "basic.yaml")
        cloud = LocalCloud(**options).start()
        opened.append(cloud)
        return cloud

    yield make
    for cloud in opened:
        cloud.stop()


@pytest.fixture
def cloud(cloud_factory: Any) -> LocalCloud:
    return cloud_factory()


def drain(
    cloud: LocalCloud, logical_id: str = "RecordQueue", region: str | None = None
) -> list[Any]:
    """Every message on the record queue, parsed, in no particular order."""
    return testing.drain(cloud, cloud.physical_id(logical_id, region=region), region=region)
