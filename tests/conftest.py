"""Shared test helpers: the repository's paths and one `load_event()` over events/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# The account moto serves (plain mock_aws and the local cloud); never written as a literal.
from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT_ID

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
TEMPLATE = ROOT / "template.yaml"


def load_event(name: str) -> Any:
    """A sample event from events/ (`cost_controls/budget_alert_actual.json`)."""
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def load_handler(automation: str, step: str) -> Any:
    """A function's handler module, `<automation>.handlers.<step>`, as a new execution
    environment imports it: run afresh, so its Powertools logger and clients are made with
    the test's environment (functions/<automation> is on pytest's path)."""
    import importlib

    return importlib.reload(importlib.import_module(f"{automation}.handlers.{step}"))


def lambda_context(name: str = "test-function", timeout_s: int = 60) -> Any:
    """A Lambda context object with a working get_remaining_time_in_millis()."""
    import time

    from localcloud.services.lambda_ import LambdaContext

    return LambdaContext(
        function_name=name,
        function_version="$LATEST",
        invoked_function_arn=f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:{name}",
        memory_limit_in_mb=256,
        aws_request_id="00000000-0000-4000-8000-000000000000",
        log_group_name=f"/aws/lambda/{name}",
        log_stream_name="2026/11/23/[$LATEST]test",
        deadline_ms=int(time.time() * 1000) + timeout_s * 1000,
    )


# ---------------------------------------------------------------------------- IAM statements

IAM_REASONS = ROOT / "tests" / "iam_unexercised.yaml"
_IAM_REPORT = pytest.StashKey[list[str]]()


def unexercised_statements(folder: Path) -> list[str]:
    """The template's role statements that no local cloud of this run saw allow a call."""
    seen: dict[str, bool] = {}
    for record in sorted(folder.glob("*.json")):
        data = json.loads(record.read_text(encoding="utf-8"))
        if data["template"] != str(TEMPLATE.resolve()):
            continue  # the local cloud's own test templates
        for key, used in data["statements"].items():
            seen[key] = seen.get(key, False) or used
    return sorted(key for key, used in seen.items() if not used)


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """With LOCALCLOUD_IAM_RECORD set (`make test`), find the template's role statements no
    test exercised, each to be explained in tests/iam_unexercised.yaml (keys are glob
    patterns); one without a reason fails the run (a permission nothing uses is a permission
    to remove, or a test to write), and so does a reason that no longer matches anything."""
    import fnmatch
    import os

    import yaml

    folder = os.environ.get("LOCALCLOUD_IAM_RECORD")
    if not folder or getattr(session.config, "workerinput", None) is not None:
        return
    left = unexercised_statements(Path(folder))
    reasons: dict[str, str] = yaml.safe_load(IAM_REASONS.read_text(encoding="utf-8")) or {}

    def reason(key: str) -> str | None:
        return next((r for p, r in reasons.items() if fnmatch.fnmatchcase(key, p)), None)

    lines = [f"{key}: {reason(key) or 'NO REASON GIVEN'}" for key in left]
    missing = [key for key in left if reason(key) is None]
    stale = sorted(p for p in reasons if not any(fnmatch.fnmatchcase(k, p) for k in left))
    lines += [f"{p}: exercised now, or gone: remove it from {IAM_REASONS.name}" for p in stale]
    lines.append(f"{len(left)} unexercised, {len(missing)} without a reason")
    session.config.stash[_IAM_REPORT] = lines
    if (missing or stale) and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    lines = config.stash.get(_IAM_REPORT, None)
    if lines is None:
        return
    terminalreporter.section("IAM statements of template.yaml that no test exercised")
    for line in lines:
        terminalreporter.line(line)
