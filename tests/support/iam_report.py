"""The template's role statements that no test saw allow a call, each with its reason.

`make test` records, per local cloud, which statements of template.yaml's roles allowed a call
(LOCALCLOUD_IAM_RECORD); at the end of the run the statements none exercised are listed, each
to be explained in tests/iam_unexercised.yaml (keys are glob patterns of
`LogicalId/PolicyName/Sid`). One without a reason fails the run (a permission nothing uses is a
permission to remove, or a test to write), and so does a reason that no longer matches anything.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import yaml

from tests.support.paths import ROOT, TEMPLATE

IAM_REASONS = ROOT / "tests" / "iam_unexercised.yaml"


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


def report(folder: Path) -> tuple[list[str], bool]:
    """The report's lines, and whether it fails the run."""
    left = unexercised_statements(folder)
    reasons: dict[str, str] = yaml.safe_load(IAM_REASONS.read_text(encoding="utf-8")) or {}

    def reason(key: str) -> str | None:
        return next((r for p, r in reasons.items() if fnmatch.fnmatchcase(key, p)), None)

    lines = [f"{key}: {reason(key) or 'NO REASON GIVEN'}" for key in left]
    missing = [key for key in left if reason(key) is None]
    stale = sorted(p for p in reasons if not any(fnmatch.fnmatchcase(k, p) for k in left))
    lines += [f"{p}: exercised now, or gone: remove it from {IAM_REASONS.name}" for p in stale]
    lines.append(f"{len(left)} unexercised, {len(missing)} without a reason")
    return lines, bool(missing or stale)
