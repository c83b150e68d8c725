"""The guard on the local cloud's hooks into moto: a missing attribute or another moto fails
start-up, loudly and by name, instead of a hook silently doing nothing."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from localcloud.core import Hooks, MotoChangedError, check_moto_version
from localcloud.core.hooks import CONSTRAINTS, pinned_version


def stand_in() -> types.ModuleType:
    module = types.ModuleType("moto.stand_in")

    class Model:
        def describe(self) -> str:
            return "moto's"

    Model.__module__, Model.__qualname__ = module.__name__, "Model"
    module.Model = Model  # type: ignore[attr-defined]
    module.DELAY = 5  # type: ignore[attr-defined]
    return module


def test_a_hook_replaces_an_attribute_and_puts_it_back() -> None:
    module = stand_in()
    hooks = Hooks()
    hooks.replace(module.Model, "describe", lambda self: "hooked")
    hooks.replace(module, "DELAY", 0)
    assert (module.Model().describe(), module.DELAY) == ("hooked", 0)
    hooks.remove()
    assert (module.Model().describe(), module.DELAY) == ("moto's", 5)


def test_a_hook_on_an_attribute_moto_no_longer_has_fails_naming_it() -> None:
    module = stand_in()
    del module.Model.describe
    with pytest.raises(
        MotoChangedError, match=r"moto\.stand_in\.Model has no attribute 'describe'"
    ):
        Hooks().replace(module.Model, "describe", lambda self: "hooked")
    assert not hasattr(module.Model, "describe")  # nothing was added in its place
    del module.DELAY
    with pytest.raises(MotoChangedError, match=r"moto\.stand_in has no attribute 'DELAY'"):
        Hooks().replace(module, "DELAY", 0)


def test_an_addition_moto_has_since_defined_itself_is_refused() -> None:
    module = stand_in()
    hooks = Hooks()
    hooks.add(module.Model, "__deepcopy__", lambda self, memo: self)
    hooks.remove()
    assert "__deepcopy__" not in vars(module.Model)
    module.Model.__deepcopy__ = lambda self, memo: self  # type: ignore[attr-defined]
    with pytest.raises(MotoChangedError, match="now defines '__deepcopy__'"):
        Hooks().add(module.Model, "__deepcopy__", lambda self, memo: self)


def test_the_pinned_moto_is_read_from_the_constraints_file(tmp_path: Path) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("# pins\nmotor==1.0\nMoto[server]==5.2.5  # the emulator\n")
    assert pinned_version("moto", constraints) == "5.2.5"
    assert pinned_version("moto") == pinned_version("moto", CONSTRAINTS)


def test_a_moto_other_than_the_pinned_one_is_refused() -> None:
    pinned = pinned_version("moto")
    check_moto_version(installed=pinned)
    with pytest.raises(MotoChangedError, match=rf"moto 5\.2\.4 is installed but .* pins {pinned}"):
        check_moto_version(installed="5.2.4")


def test_constraints_without_moto_are_refused(tmp_path: Path) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("boto3==1.0\n")
    with pytest.raises(MotoChangedError, match="does not pin moto"):
        check_moto_version(installed="5.2.5", constraints=constraints)
