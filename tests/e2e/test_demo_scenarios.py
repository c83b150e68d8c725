"""Every demo scenario (`make demo`) runs as a test: what the demo shows a new user is checked
on every run, with IAM enforced, exactly as `steward demo <name>` plays it."""

from __future__ import annotations

import pytest

from steward_cli.main import main
from steward_cli.scenarios import all_scenarios
from tests.support.paths import ROOT


@pytest.mark.parametrize("name", [scenario.name for scenario in all_scenarios()])
def test_the_demo_scenario_plays_through(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo", name, "--no-color"])
    assert code == 0, capsys.readouterr().out


def test_there_is_one_scenario_per_automation_named_by_its_key() -> None:
    keys = {p.name for p in (ROOT / "functions").iterdir() if p.is_dir()}
    assert sorted(s.name for s in all_scenarios()) == sorted(keys)
