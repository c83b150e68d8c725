"""Suite-wide pytest set-up: markers by directory and the unexercised-IAM-statements report.
Helpers live in tests/support/; fixtures beside the tests that use them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.support import iam_report
from tests.support.paths import ROOT

_IAM_REPORT = pytest.StashKey[list[str]]()
# tests/<directory>/… carries the marker of that name (pyproject.toml lists them)
MARKERS = {"unit": "unit", "functional": "functional", "e2e": "e2e", "localcloud": "localcloud"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.path)).relative_to(ROOT / "tests").parts
        marker = MARKERS.get(parts[0]) if len(parts) > 1 else None
        if marker is not None:
            item.add_marker(marker)


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """With LOCALCLOUD_IAM_RECORD set (`make test`), report the template's role statements no
    test exercised (see tests/support/iam_report.py); an unexplained one fails the run."""
    folder = os.environ.get("LOCALCLOUD_IAM_RECORD")
    if not folder or getattr(session.config, "workerinput", None) is not None:
        return
    lines, failed = iam_report.report(Path(folder))
    session.config.stash[_IAM_REPORT] = lines
    if failed and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    lines = config.stash.get(_IAM_REPORT, None)
    if lines is None:
        return
    terminalreporter.section("IAM statements of template.yaml that no test exercised")
    for line in lines:
        terminalreporter.line(line)
