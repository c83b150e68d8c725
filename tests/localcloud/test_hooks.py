"""Start-up of the local cloud refuses a moto its hooks were not written for."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud import LocalCloud, MotoChangedError
from localcloud.core import hooks
from tests.support.paths import LOCALCLOUD_TEMPLATES as TEMPLATES


def test_start_up_fails_naming_a_hooked_moto_attribute_that_is_gone(
    monkeypatch: pytest.MonkeyPatch, cloud_factory: Any
) -> None:
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
        WaitFunction,
    )

    monkeypatch.delattr(WaitFunction, "_wait_interval")
    with pytest.raises(MotoChangedError, match="WaitFunction has no attribute '_wait_interval'"):
        LocalCloud(template=TEMPLATES / "basic.yaml").start()
    monkeypatch.undo()
    # what had been hooked before the failure was put back: the next local cloud starts
    cloud_factory().stop()


def test_start_up_refuses_a_moto_version_other_than_the_pinned_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hooks.metadata, "version", lambda name: "5.1.0")
    with pytest.raises(
        MotoChangedError, match=r"moto 5\.1\.0 is installed but constraints\.txt pins"
    ):
        LocalCloud(template=TEMPLATES / "basic.yaml").start()
