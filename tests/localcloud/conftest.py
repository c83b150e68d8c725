"""Fixtures for the local cloud's own tests, on the small templates beside them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from localcloud import LocalCloud
from tests.support.paths import LOCALCLOUD_TEMPLATES as TEMPLATES


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
